"""Which Dockerfiles to check: all of them under the root, or those that changed files can affect.

A Dockerfile is `Dockerfile`, `Dockerfile.<anything>`, `<anything>.Dockerfile` or
`<anything>.dockerfile` (but never `*.dockerignore`). Walking skips VCS, virtualenv and
dependency directories, DEFAULT_EXCLUDES (folders nothing builds from: archived, deprecated, old;
vendored dependencies) unless configured off, and the configured `exclude` globs. When the root is
a git work tree, a Dockerfile git does not track is not repository content and is not checked.
"""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache"})
DEFAULT_EXCLUDES = ("**/node_modules/**", "**/.venv/**", "**/site-packages/**",
                    "**/archive/**", "**/deprecated/**", "**/old/**")
# Files that change what an image contains or how it runs, when they sit inside its build context.
_CONTEXT_FILE = re.compile(r"(\.py|\.pyi|\.pth|requirements[^/]*\.(txt|in)|pyproject\.toml|setup\.cfg|setup\.py)$")


def is_dockerfile(name: str) -> bool:
    if name.endswith(".dockerignore"):
        return False
    return name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith((".Dockerfile", ".dockerfile"))


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: `**` spans directories (and `**/` may match none), `*`/`?` stay within one."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches_any(relative: str, globs: Iterable[str]) -> bool:
    """True when the POSIX path `relative` (to the root) matches one of `globs`."""
    return any(_glob_regex(g.strip("/").removeprefix("./")).match(relative) for g in globs)


def find_dockerfiles(root: Path, exclude: Sequence[str] = (), *, default_excludes: bool = True) -> list[Path]:
    """Every Dockerfile under `root` (absolute paths, sorted), minus excluded and untracked ones."""
    root = root.resolve()
    globs = [*exclude, *(DEFAULT_EXCLUDES if default_excludes else ())]
    tracked = git_tracked(root)
    found: list[Path] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in files:
            if is_dockerfile(name):
                path = Path(directory, name)
                relative = path.relative_to(root).as_posix()
                if not matches_any(relative, globs) and (tracked is None or relative in tracked):
                    found.append(path)
    return sorted(found)


def git_tracked(root: Path) -> frozenset[str] | None:
    """Paths (relative, POSIX) git tracks when `root` is the top of a git work tree; None otherwise."""
    from predguard.hooks import replay

    listed = git_output(root)
    replay.git_listed(listed)  # `git add` changes this answer and nothing in the work tree
    if listed is None:
        return None
    return frozenset(p.decode("utf-8", "surrogateescape") for p in listed.split(b"\0") if p)


def git_output(root: Path) -> bytes | None:
    """`git ls-files -z` at `root`, or None when the root is not the top of a git work tree."""
    if not (root / ".git").exists():
        return None
    try:
        return subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None  # no git, or not a repository after all: judge by the files alone


def dockerignore_files(dockerfile: Path, context: Path) -> tuple[Path, Path]:
    """The two .dockerignore files Docker may read for this Dockerfile: `<name>.dockerignore`
    beside it (wins when present) and `.dockerignore` at the context root."""
    return dockerfile.parent / f"{dockerfile.name}.dockerignore", context / ".dockerignore"


def is_within(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def could_affect_an_image(changed: Path) -> bool:
    """Can this change affect any image at all? (No: a README, a CSV that still exists.)"""
    name = changed.name
    return (not changed.exists() or is_dockerfile(name) or name.endswith(".dockerignore")
            or bool(_CONTEXT_FILE.search(name)))


def affects(changed: Path, dockerfile: Path, context: Path, closure: Iterable[Path] = ()) -> bool:
    """Can a change to `changed` (absolute; it may have been deleted) alter what this Dockerfile builds?

    Yes for the Dockerfile itself and its .dockerignore files, any file in its import closure,
    any Python/requirements/pyproject file inside its build context, and any *deleted* path inside
    the context (a deleted file can break a COPY or an import whatever its kind).
    """
    if changed == dockerfile or changed in dockerignore_files(dockerfile, context) or changed in set(closure):
        return True
    if not is_within(changed, context):
        return False
    return not changed.exists() or bool(_CONTEXT_FILE.search(changed.name))
