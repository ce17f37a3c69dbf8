"""A persistent cache of per-file results (import scans) and of each run's record (what it read
and concluded: predguard.hooks.replay), so a warm run parses and checks nothing.

Where: `<root>/.predguard_cache/` (it holds a `.gitignore` of `*`, like ruff's and mypy's caches),
or `--cache-dir DIR` / `$PREDGUARD_CACHE_DIR`; when the root is not writable,
`$XDG_CACHE_HOME/predguard/<hash of the root>` (default `~/.cache`). `--no-cache` turns it off.

An entry is keyed by the file's path, size, mtime_ns and a BLAKE2 hash of the bytes that were
read: the bytes are read and hashed on every lookup, so an edit that keeps size and mtime_ns is
still seen. The file records predguard's version (with a hash of its source files' stats, so an
edited checkout is a new version) and the Python version (ast differs between them); any other
file -- corrupt, truncated, foreign, older -- is ignored (said once, at debug level) and
replaced. Saving merges with what is on disk and replaces the file atomically (`os.replace` of a
temporary file in the same directory), so concurrent runs never read a torn file; the last writer
wins for an entry both wrote, and both wrote the same content's result. The format is JSON:
loading it can never run code, whatever a repository ships in that directory.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from predguard import __version__

log = logging.getLogger(__name__)

DIRNAME = ".predguard_cache"
FORMAT = "predguard-cache/1"
ENV_DIR = "PREDGUARD_CACHE_DIR"
_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _code_version() -> str:
    """predguard's version plus a hash of its check's source files' sizes and mtimes: a cache
    written by other code (a development checkout edited since, a reinstall) is not believed."""
    import predguard
    import predguard.hooks

    seen: list[str] = []
    pending = [*predguard.__path__, *predguard.hooks.__path__]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                        pending.append(entry.path)
                    elif entry.name.endswith((".py", ".json")):
                        st = entry.stat()
                        seen.append(f"{entry.path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            continue
    return f"{__version__}+{hashlib.blake2b(chr(0).join(sorted(seen)).encode(), digest_size=8).hexdigest()}"


_VERSION = _code_version()


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Cache:
    """One cache file per kind of result (e.g. "imports"), loaded lazily, saved once at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._tables: dict[str, dict[str, list[Any]]] = {}
        self._dirty: dict[str, dict[str, list[Any]]] = {}
        self.hits = 0
        self.misses = 0

    def _file(self, kind: str) -> Path:
        return self.directory / f"{kind}.json"

    def _table(self, kind: str) -> dict[str, list[Any]]:
        table = self._tables.get(kind)
        if table is None:
            table = self._tables[kind] = self._read(kind)
        return table

    def _read(self, kind: str) -> dict[str, list[Any]]:
        path = self._file(kind)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.debug("predguard cache %s unreadable (%s): rebuilding it", path, exc)
            return {}
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            log.debug("predguard cache %s is corrupt: rebuilding it", path)
            return {}
        if not (isinstance(document, dict) and document.get("format") == FORMAT and isinstance(document.get("entries"), dict)):
            log.debug("predguard cache %s is not a predguard cache file: rebuilding it", path)
            return {}
        if document.get("predguard") != _VERSION or document.get("python") != _PYTHON:
            log.debug("predguard cache %s was written by predguard %s on Python %s: rebuilding it",
                      path, document.get("predguard"), document.get("python"))
            return {}
        return document["entries"]

    def get(self, kind: str, key: str, size: int, mtime_ns: int, digest: str) -> Any:
        """The stored result for this exact content, or None."""
        entry = self._table(kind).get(key)
        if isinstance(entry, list) and len(entry) == 4 and entry[0] == size and entry[1] == mtime_ns and entry[2] == digest:
            self.hits += 1
            return entry[3]
        self.misses += 1
        return None

    def put(self, kind: str, key: str, size: int, mtime_ns: int, digest: str, value: Any) -> None:
        entry = [size, mtime_ns, digest, value]
        self._table(kind)[key] = entry
        self._dirty.setdefault(kind, {})[key] = entry

    def get_record(self, kind: str, key: str) -> Any:
        """A stored value the caller validates itself (e.g. per-Dockerfile dependencies)."""
        return self._table(kind).get(key)

    def put_record(self, kind: str, key: str, value: Any) -> None:
        table = self._table(kind)
        if table.get(key) == value:
            return  # unchanged: a warm run writes nothing
        table[key] = value
        self._dirty.setdefault(kind, {})[key] = value

    def save(self) -> None:
        """Write what changed: merged into the file on disk now (another run may have saved since
        we loaded), through a temporary file and an atomic rename. Failing to write is not an error."""
        for kind, changed in self._dirty.items():
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                ignore = self.directory / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("# created by predguard: the cache is never committed\n*\n")
                entries = {**self._read(kind), **changed}
                document = {"format": FORMAT, "predguard": _VERSION, "python": _PYTHON, "entries": entries}
                fd, temp = tempfile.mkstemp(prefix=f".{kind}.", suffix=".tmp", dir=self.directory)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as out:
                        out.write(json.dumps(document, separators=(",", ":")))  # dumps: the C encoder; dump is pure Python
                    os.replace(temp, self._file(kind))
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(temp)
                    raise
            except OSError as exc:
                log.debug("predguard cache %s not written: %s", self.directory, exc)
        self._dirty.clear()


def default_directory(root: Path) -> Path:
    """`$PREDGUARD_CACHE_DIR`, else `<root>/.predguard_cache` when the root is writable, else
    `$XDG_CACHE_HOME/predguard/<hash of root>`."""
    configured = os.environ.get(ENV_DIR)
    if configured:
        return Path(configured)
    if os.access(root, os.W_OK):
        return root / DIRNAME
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "predguard" / hashlib.blake2b(os.fsencode(root), digest_size=8).hexdigest()


_ACTIVE: contextvars.ContextVar[Cache | None] = contextvars.ContextVar("predguard_cache", default=None)


def active() -> Cache | None:
    """The cache of the run in progress (None: no cache, e.g. --no-cache or a library call)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def using(directory: Path | None) -> Iterator[Cache | None]:
    """Make a cache in `directory` active for the block and save it at the end (None: no cache)."""
    if directory is None:
        yield None
        return
    store = Cache(directory)
    token = _ACTIVE.set(store)
    try:
        yield store
    finally:
        _ACTIVE.reset(token)
        store.save()
