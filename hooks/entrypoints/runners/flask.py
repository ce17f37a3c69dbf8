"""`flask run`: the app from `--app`/`-A`, $FLASK_APP, or flask's defaults wsgi.py/app.py; cwd first."""
from __future__ import annotations

from predguard.hooks.entrypoints.runners.base import Run, Shell, join, register
from predguard.hooks.entrypoints.runners.options import app_module, split_options


@register("flask")
def run_flask(shell: Shell, args: list[str]) -> None:
    options, _ = split_options(args, frozenset({"--app", "-A", "--env-file", "-e", "--host", "-h", "--port", "-p"}))
    spec = (options.get("--app") or options.get("-A") or [shell.env.get("FLASK_APP", "")])[-1]
    if not spec:
        for candidate in ("wsgi.py", "app.py"):  # flask's own defaults
            if join(shell.cwd, candidate) in shell.image.files:
                spec = candidate
                break
    module = app_module(spec) if spec else None
    if module:
        shell.runs.append(Run(modules=[module], front=[shell.cwd], pythonpath=shell.pythonpath()))
