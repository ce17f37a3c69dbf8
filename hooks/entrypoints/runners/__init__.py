"""Entrypoint runners: one module per way a service starts Python, all behind one interface
(`base.Runner`) and found by command name in one registry (`runner_for`), like pre-commit's
`languages/`. To support a new runner, add a module here that `@register`s its command names
and import it below.

    python               python script.py | -m module (the interpreter itself)
    gunicorn             gunicorn mod:app, --chdir, --pythonpath, config file
    uvicorn              uvicorn / hypercorn / daphne mod:app, --app-dir
    functions_framework  functions-framework --source
    flask                flask run, --app, $FLASK_APP
    celery               celery -A app
    streamlit            streamlit run app.py (and its pages/)
"""
from __future__ import annotations

from predguard.hooks.entrypoints.runners import celery, flask, functions_framework, gunicorn, streamlit, uvicorn  # noqa: F401  (they register)
from predguard.hooks.entrypoints.runners.base import REGISTRY, Run, Runner, Shell
from predguard.hooks.entrypoints.runners.python import is_interpreter, run_python


def runner_for(command: str) -> Runner | None:
    """The runner for a command word (`gunicorn`, `/usr/local/bin/python3.11`), if it is one."""
    name = command.rsplit("/", 1)[-1]
    if name in REGISTRY:
        return REGISTRY[name]
    return run_python if is_interpreter(command) else None


__all__ = ["REGISTRY", "Run", "Runner", "Shell", "runner_for"]
