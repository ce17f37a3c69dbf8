"""The interface every runner implements, and the registry that finds a runner by command name.

A runner is a function `(shell, args) -> None` that reads its own command line (`gunicorn ...`
without the word `gunicorn`) and appends the Python processes it starts to `shell.runs`, with
the `sys.path` rules that runner follows. One module per runner under this package registers it
under every command name it is installed as (`@register("uvicorn", "hypercorn")`).
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from predguard.hooks.model import Image


@dataclass
class Run:
    """One recognised Python process."""

    modules: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    as_main: list[str] = field(default_factory=list)  # `python -m` modules
    front: list[str] = field(default_factory=list)  # dirs before PYTHONPATH
    back: list[str] = field(default_factory=list)  # dirs after PYTHONPATH (functions-framework appends)
    pythonpath: str = ""
    isolated: bool = False  # python -E / -I: PYTHONPATH ignored


@dataclass
class Shell:
    """What a runner may read (the image, the environment and working directory of the command)
    and where it records the processes it starts."""

    image: Image
    env: dict[str, str]
    cwd: str
    runs: list[Run] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # commands it runs that may start Python, unseen

    def pythonpath(self) -> str:
        return self.env.get("PYTHONPATH", "")


Runner = Callable[[Shell, list[str]], None]

REGISTRY: dict[str, Runner] = {}


def register(*names: str) -> Callable[[Runner], Runner]:
    def add(runner: Runner) -> Runner:
        for name in names:
            REGISTRY[name] = runner
        return runner

    return add


def join(base: str, path: str) -> str:
    """An image path relative to `base`, normalised."""
    return posixpath.normpath(posixpath.join(base, path))
