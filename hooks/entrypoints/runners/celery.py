"""`celery -A proj worker`: the app module, with the working directory (or --workdir) first."""
from __future__ import annotations

from predguard.hooks.entrypoints.runners.base import Run, Shell, join, register
from predguard.hooks.entrypoints.runners.options import app_module, split_options


@register("celery")
def run_celery(shell: Shell, args: list[str]) -> None:
    options, _ = split_options(args, frozenset({"-A", "--app", "-b", "--broker", "--workdir", "-l", "--loglevel", "-c", "-Q"}))
    spec = (options.get("-A") or options.get("--app") or [""])[-1]
    module = app_module(spec) if spec else None
    if module:
        cwd = join(shell.cwd, (options.get("--workdir") or ["."])[-1])
        shell.runs.append(Run(modules=[module], front=[cwd], pythonpath=shell.pythonpath()))
