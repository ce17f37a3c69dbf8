"""How a path is shown to the user: relative to the repository root when it lies inside it."""
from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path | str, root: Path | str | None = None) -> str:
    """POSIX `path` relative to `root` (default: the working directory), "." for the root itself.

    The lexical form is tried first so a symlinked folder keeps the name the user typed, then
    the resolved one (root given through a symlink); outside the root the path is shown as given.
    """
    base = Path.cwd() if root is None else Path(root)
    for make in (lambda p: Path(os.path.abspath(p)), lambda p: Path(p).resolve()):
        try:
            return make(path).relative_to(make(base)).as_posix()
        except (ValueError, OSError, RuntimeError):
            continue
    return Path(path).as_posix()
