"""What an image runs, and the `sys.path` it runs with.

From the final stage's ENTRYPOINT/CMD (Docker's combination rules), `shell` follows the command
line through wrappers, shells and entrypoint scripts to the Python runners services use; each
runner (`runners/`, one module per runner behind one interface and registry) records the
processes it starts with its own `sys.path` rules; `syspath` turns them into the image's search
path (PYTHONPATH from the image's ENV after the runner's own entries). When nothing can be
recognised, a PG103 warning says so and nothing is checked for that image (never "every copied
file": that guess produced most false alarms on real repositories); a command line that only
runs other programs (`node server.js`, a script that runs no Python) has nothing to check.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from predguard.hooks.codes import new_finding
from predguard.hooks.entrypoints.runners import Shell
from predguard.hooks.entrypoints.shell import effective_command, interpret
from predguard.hooks.entrypoints.syspath import dedupe, default_path, from_override, is_test_file, runs_path
from predguard.hooks.model import Finding, Image
from predguard.paths import display_path

__all__ = ["EntryPlan", "is_test_file", "plan_entrypoints"]


@dataclass(frozen=True)
class EntryPlan:
    modules: tuple[str, ...]  # dotted modules the image runs (`python -m x`, gunicorn `x:app`)
    scripts: tuple[str, ...]  # image paths of Python files run directly
    sys_path: tuple[str, ...]  # image directories searched for imports, in order (site-packages excluded)
    origin: str  # for humans: where the plan came from
    problems: tuple[Finding, ...] = ()  # PG103 (warning) when no entrypoint could be determined
    line: int = 1  # Dockerfile line of the CMD/ENTRYPOINT the plan came from (1 if none)
    unknown: bool = False  # True when what runs cannot be told: nothing is checked
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
    shell = Shell(image, {"HOME": "/root", **image.env}, workdir)  # the container's HOME, for root
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
    if command and not shell.unknown:
        return EntryPlan((), (), tuple(sys_path), f"runs no Python: {_short(origin)}", (), line)
    if command:
        unseen = ", ".join(dict.fromkeys(shell.unknown))
        reason = f"cannot tell which Python code {_short(origin)} runs ({_short(unseen, 40)} cannot be read)"
    else:
        reason = "the final stage has no CMD or ENTRYPOINT (the base image's is unknown)"
    shown = display_path(image.dockerfile, root)
    problem = new_finding(
        "PG103",
        severity="warning",
        dockerfile=shown,
        message=f"{reason}; nothing is checked for this image "
        "(set the service's `entrypoints` in [tool.predguard] to check it)",
        file=shown,
        line=line,
        column=1,
        service=service,
    )
    return EntryPlan((), (), tuple(sys_path), f"unknown: {reason}", (problem,), line, unknown=True)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
