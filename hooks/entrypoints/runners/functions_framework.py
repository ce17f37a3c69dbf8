"""functions-framework: loads `--source` (default main.py, or $FUNCTION_SOURCE) by path and
appends its directory to sys.path."""
from __future__ import annotations

import posixpath

from predguard.hooks.entrypoints.runners.base import Run, Shell, join, register
from predguard.hooks.entrypoints.runners.options import split_options


@register("functions-framework", "functions-framework-python", "functions_framework")
def run_functions_framework(shell: Shell, args: list[str]) -> None:
    options, _ = split_options(args, frozenset({"--target", "--source", "--signature-type", "--host", "--port"}),
                               frozenset({"--debug", "--dry-run"}))
    source = (options.get("--source") or [shell.env.get("FUNCTION_SOURCE", "") or "main.py"])[-1]
    script = join(shell.cwd, source)
    shell.runs.append(Run(scripts=[script], back=[posixpath.dirname(script)], pythonpath=shell.pythonpath()))
