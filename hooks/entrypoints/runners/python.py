"""`python [options] script.py | -m module | -c code`: sys.path[0] is the script's directory, or
the working directory for `-m`; `-E`/`-I` ignore PYTHONPATH. `python -m gunicorn ...` hands over
to that runner with the working directory first."""
from __future__ import annotations

import posixpath
import re

from predguard.hooks.entrypoints.runners.base import REGISTRY, Run, Shell, join

INTERPRETER = re.compile(r"^(?:.*/)?(?:python|pypy)(?:\d+(?:\.\d+)?)?$")


def is_interpreter(command: str) -> bool:
    return bool(INTERPRETER.match(command))


def run_python(shell: Shell, args: list[str]) -> None:
    run = Run(pythonpath=shell.pythonpath())
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            break
        if arg.startswith("--"):  # --version, --help ... : not running code
            index += 1
            continue
        letters = arg[1:]
        for position, letter in enumerate(letters):
            value_inline = letters[position + 1 :]
            if letter in "mc":
                value = value_inline or (args[index + 1] if index + 1 < len(args) else "")
                rest = args[index + (1 if value_inline else 2) :]
                if letter == "m" and value:
                    _module(shell, run, value, rest)
                return  # -c code: not analysable statically
            if letter in "WX":
                index += 0 if value_inline else 1
                break
            if letter in "EI":
                run.isolated = True
        index += 1
    if index < len(args) and args[index] not in ("-", "--"):
        script = join(shell.cwd, args[index])
        run.scripts.append(script)
        run.front.append(posixpath.dirname(script))  # sys.path[0] = the script's directory
        shell.runs.append(run)


def _module(shell: Shell, run: Run, module: str, rest: list[str]) -> None:
    runner = REGISTRY.get(module)
    if runner is not None:  # `python -m gunicorn ...`: -m puts cwd first, then the runner's own rules
        shell.runs.append(Run(front=[shell.cwd], pythonpath=run.pythonpath, isolated=run.isolated))
        runner(shell, rest)
        return
    run.modules.append(module)
    run.as_main.append(module)
    run.front.append(shell.cwd)  # -m puts the working directory first
    shell.runs.append(run)
