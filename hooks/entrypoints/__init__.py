"""What an image runs, and the `sys.path` it runs with.

From the final stage's ENTRYPOINT/CMD (Docker's combination rules), `shell` follows the command
line through wrappers, shells and entrypoint scripts to the Python runners services use; each
runner (`runners/`, one module per runner behind one interface and registry) records the
processes it starts with its own `sys.path` rules; `syspath` turns them into the image's search
path (PYTHONPATH from the image's ENV after the runner's own entries). When nothing can be
recognised, a PG103 finding says so and every copied non-test `.py` file becomes an entry.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from predguard.hooks.codes import new_finding
from predguard.hooks.entrypoints.runners import Shell
from predguard.hooks.entrypoints.shell import effective_command, interpret
from predguard.hooks.entrypoints.syspath import (
    dedupe,
    default_path,
    fallback_entries,
    from_override,
    is_test_file,
    runs_path,
)
from predguard.hooks.model import Finding, Image
from predguard.paths import display_path

__all__ = ["EntryPlan", "fallback_entries", "is_test_file", "plan_entrypoints"]


@dataclass(frozen=True)
class EntryPlan:
    modules: tuple[str, ...]  # dotted modules the image runs (`python -m x`, gunicorn `x:app`)
    scripts: tuple[str, ...]  # image paths of Python files run directly
    sys_path: tuple[str, ...]  # image directories searched for imports, in order (site-packages excluded)
    origin: str  # for humans: where the plan came from
    problems: tuple[Finding, ...] = ()  # PG103 when no entrypoint could be determined
    line: int = 1  # Dockerfile line of the CMD/ENTRYPOINT the plan came from (1 if none)
    fallback: bool = False  # True when the entries are every copied non-test .py file
    run_as_main: tuple[str, ...] = ()  # modules run by `python -m` (a package runs its __main__ too)


def plan_entrypoints(
    image: Image,
    *,
    override: Sequence[str] | None = None,
    root: Path | None = None,
    service: str | None = None,
) -> EntryPlan:
    """The entry modules/scripts of `image` and its `sys.path`.

    `override` (config: module names, `module:attr`, or image paths of scripts) replaces
    detection. `root`/`service` only shape PG103 findings (paths relative to `root`).
    """
    workdir = image.workdir or "/"
    command, line, origin = effective_command(image)
    shell = Shell(image, dict(image.env), workdir)
    if command:
        interpret(shell, command)
    detected_path = runs_path(shell.runs, workdir)

    if override:
        modules, scripts, extra = from_override(override, workdir)
        sys_path = dedupe([*extra, *(detected_path or default_path(image.env, workdir))])
        return EntryPlan(tuple(modules), tuple(scripts), tuple(sys_path), f"config override: {', '.join(override)}", (), line)

    modules = dedupe([m for run in shell.runs for m in run.modules])
    scripts = dedupe([s for run in shell.runs for s in run.scripts])
    if modules or scripts:
        as_main = tuple(dedupe([m for run in shell.runs for m in run.as_main]))
        return EntryPlan(tuple(modules), tuple(scripts), tuple(detected_path), origin, (), line, run_as_main=as_main)

    sys_path = default_path(image.env, workdir)
    modules, scripts = fallback_entries(image, sys_path)
    reason = f"cannot tell which Python code {_short(origin)} runs" if command else "the final stage has no CMD or ENTRYPOINT"
    shown = display_path(image.dockerfile, root)
    problem = new_finding(
        "PG103",
        severity="warning",
        dockerfile=shown,
        message=f"{reason}; checking every copied non-test .py file instead "
        "(set the service's `entrypoints` in [tool.predguard] to be precise)",
        file=shown,
        line=line,
        column=1,
        service=service,
    )
    return EntryPlan(tuple(modules), tuple(scripts), tuple(sys_path), f"fallback: {reason}", (problem,), line, True)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
