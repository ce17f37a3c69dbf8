"""Which Dockerfiles a commit's changed Python files can affect: decided from what each image's
last check read, kept in the persistent cache (predguard.hooks.cache, kind "images").

A Python file changed by the commit affects an image when it is in the image's import closure;
when it was deleted inside the build context (a COPY or an import may break); when the image has
no resolvable entrypoint, so every copied `.py` file is an entry, and the image copies it; or when it is a file the closure
did not read but whose module name the closure imports (a new file can make a missing import
resolve, or shadow one). A file outside all of those cannot change what the image runs: its
content is read by nothing the image imports, and its existence was already known to the check.

A record is only used while it is fresh: every file of the closure still has the size and
mtime_ns it had when it was read (the files of this commit aside: they are judged by the rules
above). Otherwise, or with no record, the caller decides the old way, from paths alone.
"""
from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from predguard.hooks import cache

KIND = "images"
PYTHON_SUFFIXES = (".py", ".pyi")
# Python files that describe an installation rather than a module: judged by their paths, as
# requirements files are (predguard.hooks.discovery.affects).
_PROJECT_FILES = frozenset({"setup.py"})
# Modules the interpreter imports by itself at start-up: no import statement names them.
_STARTUP_MODULES = frozenset({"sitecustomize", "usercustomize"})


@dataclass(frozen=True)
class Dependencies:
    closure: dict[str, tuple[int, int]]  # repository file -> (size, mtime_ns) when the check read it
    names: frozenset[str]  # every dotted-name part and imported name in the closure's imports
    fallback: bool  # entrypoints unresolved (PG103): nothing was checked, so any copied .py file may matter
    copied: tuple[str, ...]  # context files and directories the image copies


def is_module(path: Path) -> bool:
    """A Python module whose effect is decided by the import closure (not setup.py and the like)."""
    return path.suffix in PYTHON_SUFFIXES and path.name not in _PROJECT_FILES


class Stats:
    """(size, mtime_ns) per path, each stat'ed once per run (Dockerfiles share most of their closure)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, int] | None] = {}

    def __call__(self, path: str) -> tuple[int, int] | None:
        if path not in self._seen:
            try:
                st = os.stat(path)
                self._seen[path] = (st.st_size, st.st_mtime_ns)
            except OSError:
                self._seen[path] = None
        return self._seen[path]


def record(dockerfile: Path, closure: Iterable[Path], fallback: bool, copied: Iterable[Path]) -> None:
    """Keep what this check of `dockerfile` read, for the next commit's selection."""
    store = cache.active()
    if store is None:
        return
    from predguard.hooks.python.imports import parse_file  # the closure's scans: in memory already

    stats = Stats()
    files: dict[str, list[int]] = {}
    names: set[str] = set()
    for path in closure:
        stat = stats(os.fspath(path))
        if stat is None:
            continue
        files[os.fspath(path)] = list(stat)
        if path.suffix in PYTHON_SUFFIXES:
            for ref in parse_file(path).imports:
                names.update(part for part in ref.module.split(".") if part)
                names.update(ref.names)
    store.put_record(KIND, os.fspath(dockerfile), {"closure": files, "names": sorted(names), "fallback": fallback,
                                                     "copied": [os.fspath(p) for p in copied]})


def load(dockerfile: Path) -> Dependencies | None:
    store = cache.active()
    value = store.get_record(KIND, os.fspath(dockerfile)) if store is not None else None
    if not isinstance(value, dict):
        return None
    try:
        closure = {str(path): (int(stat[0]), int(stat[1])) for path, stat in value["closure"].items()}
        names = frozenset(str(name) for name in value["names"])
        fallback = bool(value["fallback"])
        copied = tuple(str(path) for path in value["copied"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    return Dependencies(closure, names, fallback, copied)


def fresh(deps: Dependencies, changed: Collection[str], stats: Stats) -> bool:
    """Is every closure file as it was read (the commit's own files aside)?"""
    return all(path in changed or stats(path) == seen for path, seen in deps.closure.items())


def affects(deps: Dependencies, changed: Path, context: Path) -> bool:
    """Can this changed Python file alter what the image runs? (see the module docstring)"""
    if os.fspath(changed) in deps.closure:
        return True
    inside = _within(changed, context)
    if not changed.exists():
        return inside
    if inside and _module_names(changed) & _STARTUP_MODULES:
        return True
    if deps.fallback and any(_within(changed, Path(root)) for root in deps.copied):
        return True  # a new copied file is an entry of its own
    return (_module_names(changed) | _now_python(changed)) & deps.names != set()


def _within(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _now_python(path: Path) -> set[str]:
    """A directory that held no Python until `path` came: `import dir` may now find a namespace
    package (predguard.hooks.python.resolve: a directory counts once a child is .py or a package)."""
    names = set()
    directory = path.parent
    if not _other_python(directory, path):
        names.add(directory.name)
        if path.name == "__init__.py" and not _other_python(directory.parent, directory):
            names.add(directory.parent.name)
    return names


def _other_python(directory: Path, besides: Path) -> bool:
    try:
        return any(c != besides and (c.suffix == ".py" or (c / "__init__.py").is_file()) for c in directory.iterdir())
    except OSError:
        return True  # unreadable: nothing changed for the resolver either


def _module_names(path: Path) -> set[str]:
    """The name a file would be imported by, at its last component (`pkg/__init__.py` -> "pkg")."""
    stem = path.name.split(".", 1)[0]
    return {path.parent.name} if stem == "__init__" else {stem}
