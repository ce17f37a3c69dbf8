"""Reuse the last run's results while nothing that run read has changed.

A check reads much more than Python files: Dockerfiles and .dockerignore files, requirement and
project files across the repository (for fix suggestions), compose files and scripts (to infer a
build context), directory listings (COPY sources, import resolution), the installed environment
(module -> distribution). Rather than trust a hand-kept list of those, a run *records* what it
read: a Python audit hook (PEP 578) sees every `open`, `os.scandir` and `os.listdir` of the process
while the check runs, and the import scanner reports each file it scanned with its scan. Existence
probes (`stat`) are not audited; they are covered by the listing of the probed file's directory:
the Dockerfile discovery walks every directory under the root, the parent of every opened file is
recorded, and the import resolver reports the directories it probes outside that walk.

What the record keeps:
- per file read: (size, mtime_ns, ctime_ns, inode) and a BLAKE2 hash of its bytes;
- per directory listed: the same stat and its sorted entries (name, kind, a link's target);
- per Python file scanned: the stat and a hash of its scan (imports, lines, suppressions);
- a hash of the Dockerfiles `git ls-files` lists (which ones are repository content).

A later run stats each of them. ctime changes with every write and every utime, so an edit that
keeps size and mtime_ns is still seen without reading anything. Where a stat differs the content
decides, as build systems do ("early cutoff"): a file with the same bytes, a directory with the same
names (an editor's atomic save renames over the file), a Python file with the same scan (a comment,
a function body) leave every result as it was. A Python file whose scan changed invalidates only
the images whose import closure holds it (the caller decides which). Given the commit's files
(FILES), a change the caller's selection attributes by itself is *explained*: a Dockerfile's or
.dockerignore's content, a module's scan, one of those added or removed; the caller checks what
its selection picks and keeps the rest. Anything else invalidates the record. Hashes are taken
when the record is saved, and kept only if the stat is still the one taken when the file was
read, so a file edited during the run never looks unchanged later.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from predguard.hooks import cache

KIND = "runs"
Sig = tuple[int, int, int, int]  # (size, mtime_ns, ctime_ns, inode)


def _sig(st: os.stat_result) -> Sig:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _stat(path: str) -> Sig | None:
    try:
        return _sig(os.stat(path))
    except (OSError, ValueError):
        return None


def _names(directory: str) -> list[str] | None:
    """The directory's entries, sorted: a name, with "/" for a directory and "->target" for a
    symlink, so that a file turned into a directory or a re-pointed link (which nothing opens,
    only probes) is a change too. None: not a readable directory."""
    try:
        with os.scandir(directory) as entries:
            names = [_entry(e) for e in entries if not (directory == _cache_parent and e.name == _cache_name)]
    except (OSError, ValueError):
        return None
    return sorted(names)


def _entry(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        try:
            return f"{entry.name}->{os.readlink(entry.path)}"
        except OSError:
            return f"{entry.name}->?"
    return entry.name + "/" if entry.is_dir(follow_symlinks=False) else entry.name


_cache_parent, _cache_name = "", ""


def _set_cache_directory(directory: Path | None) -> None:
    global _cache_parent, _cache_name
    _cache_parent, _cache_name = os.path.split(os.path.abspath(directory)) if directory is not None else ("", "")


def _content_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return cache.content_hash(handle.read())
    except (OSError, ValueError):
        return None


def scan_digest(value: Any) -> str:
    """The hash of a scan as the persistent cache stores it (predguard.hooks.python.imports). Its
    repr is as stable as JSON (plain lists, dicts built in line order, strings, numbers) and cheaper."""
    return cache.content_hash(repr(value).encode("utf-8", "surrogatepass"))


class Recorder:
    """What one run read, as the audit hook and the scanner report it."""

    def __init__(self, ignore: Path | None) -> None:
        self._ignore = os.path.abspath(ignore) + os.sep if ignore is not None else None
        self.files: dict[str, Sig] = {}
        self.dirs: dict[str, Sig] = {}
        self.scans: dict[str, tuple[Sig, Any]] = {}  # path -> (stat when read, scan as cached)
        self.git: str | None = None  # what discovery took from git (None: not a git work tree)
        self.git_seen = False
        self.complete = True  # False once something was read that the record cannot describe

    def _skip(self, path: str) -> bool:
        return (self._ignore is not None and path.startswith(self._ignore)) or path.endswith(".pyc")

    def file(self, path: str) -> None:
        if path in self.files or self._skip(path):
            return
        seen = _stat(path)
        if seen is not None:
            self.files[path] = seen
        self.probe(path)  # a file that appears or vanishes changes its directory's listing

    def directory(self, path: str) -> None:
        if path in self.dirs or self._skip(path + os.sep):
            return
        seen = _stat(path)
        if seen is None:
            self.probe(path)
        else:
            self.dirs[path] = seen

    def probe(self, path: str) -> None:
        """An existence test of `path`: its nearest existing directory's listing decides it."""
        parent = os.path.dirname(path)
        while parent not in self.dirs and os.path.dirname(parent) != parent and not os.path.isdir(parent):
            parent = os.path.dirname(parent)
        if parent not in self.dirs and not self._skip(parent + os.sep):
            seen = _stat(parent)
            if seen is not None:
                self.dirs[parent] = seen

    def scan(self, path: str, st: os.stat_result, value: Any) -> None:
        if path not in self.scans:
            self.scans[path] = (_sig(st), value)
            self.probe(path)


_active: Recorder | None = None
_hooked = False
_WRITE = os.O_WRONLY | os.O_RDWR


def _audit(event: str, args: tuple[Any, ...]) -> None:
    recorder = _active
    if recorder is None or event not in ("open", "os.scandir", "os.listdir"):
        return
    path = args[0] if args else None
    if path is None:
        path = "."
    if isinstance(path, int):
        return  # a descriptor: its path was recorded when it was opened
    if event == "open" and len(args) > 2 and isinstance(args[2], int) and args[2] & _WRITE:
        return
    try:
        name = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        recorder.complete = False
        return
    if event == "open":
        recorder.file(name)
    else:
        recorder.directory(name)


@contextlib.contextmanager
def recording(ignore: Path | None) -> Iterator[Recorder]:
    """Record what the block reads (`ignore`: a directory whose files do not count, the cache)."""
    global _active, _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # cannot be removed: it does nothing while no recorder is active
        _hooked = True
    recorder, previous = Recorder(ignore), _active
    _active = recorder
    _set_cache_directory(ignore)
    try:
        yield recorder
    finally:
        _active = previous


def active() -> Recorder | None:
    return _active


def scanned(path: Path, st: os.stat_result, value: Callable[[], Any]) -> None:
    """The import scanner read `path` (stat `st`); `value()` is its scan as the cache stores it."""
    if _active is not None:
        _active.scan(os.path.abspath(path), st, value())


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Reads in the block are not recorded (the scanner reports its files itself)."""
    global _active
    recorder, _active = _active, None
    try:
        yield
    finally:
        _active = recorder


def failed(path: Path) -> None:
    """Reading `path` failed: a later change to it (its mode, its existence) must be seen."""
    if _active is not None:
        _active.file(os.path.abspath(path))


def probed(path: Path) -> None:
    if _active is not None:
        _active.probe(os.path.abspath(path))


def git_listed(output: bytes | None) -> None:
    """`git ls-files` answered `output` (None: not a git work tree)."""
    if _active is not None:
        _active.git = _git_digest(output)
        _active.git_seen = True


@dataclass
class Record:
    files: dict[str, list[Any]]  # path -> [size, mtime_ns, ctime_ns, ino, content hash]
    dirs: dict[str, list[Any]]  # path -> [size, mtime_ns, ctime_ns, ino, sorted names]
    scans: dict[str, list[Any]]  # path -> [size, mtime_ns, ctime_ns, ino, scan hash]
    git: str | None
    results: Any  # what the caller keeps (its outcomes), opaque here
    refreshed: bool = field(default=False)  # stats were brought up to date: worth saving


@dataclass(frozen=True)
class Verdict:
    valid: bool  # False: the record says nothing about this tree
    rescanned: frozenset[str] = frozenset()  # Python files whose scan changed (valid records only)
    explained: frozenset[str] = frozenset()  # entries changed by the commit's own files (valid records only)
    reason: str = ""  # what changed first, when not valid (for the debug log)


def _invalid(reason: str) -> Verdict:
    return Verdict(False, reason=reason)


def load(key: str) -> Record | None:
    store = cache.active()
    value = store.get_record(KIND, key) if store is not None else None
    if not isinstance(value, dict):
        return None
    try:
        record = Record(dict(value["files"]), dict(value["dirs"]), dict(value["scans"]), value["git"], value["results"])
        for table in (record.files, record.dirs, record.scans):
            if not all(isinstance(v, list) and len(v) == 5 for v in table.values()):
                return None
    except (KeyError, TypeError, ValueError):
        return None
    return record


def validate(record: Record, root: Path, rescan: Callable[[Path], tuple[os.stat_result, Any] | None],
             commit: Collection[str] = ()) -> Verdict:
    """Is everything the record read as it was? Refreshes the stats of what only moved.

    `commit`: the changed files given as FILES (absolute). A change the caller's selection judges
    by itself is *explained* rather than fatal: a Dockerfile's or .dockerignore's content, a Python
    module's scan, one of them added or removed (its directory's names). The caller re-checks
    every image that selection picks and keeps the others' results."""
    judged = {p for p in commit if _judged_by_selection(p)}
    around = {str(parent) for p in judged for parent in Path(p).parents} | judged  # new directories too
    explained: set[str] = set()
    for path, entry in record.dirs.items():
        now = _stat(path)
        if now is not None and list(now) == entry[:4]:
            continue
        if now is None and path in around:  # a directory the commit emptied and removed
            explained.add(path)
            continue
        names = _names(path)
        if now is None or names is None or entry[4] is None or _stat(path) != now:
            return _invalid(f"{path} changed")
        if names != entry[4]:
            moved = set(names).symmetric_difference(entry[4])
            if not all(os.path.join(path, name.rstrip("/")) in around for name in moved):
                return _invalid(f"{path}: {', '.join(sorted(moved)[:3])} came or went")
            explained.add(path)
            continue
        entry[:4] = now
        record.refreshed = True
    for path, entry in record.files.items():
        now = _stat(path)
        if now is not None and list(now) == entry[:4]:
            continue
        if now is not None and entry[4] is not None and _content_digest(path) == entry[4] and _stat(path) == now:
            entry[:4] = now
            record.refreshed = True
        elif path in judged and not path.endswith(_PYTHON):  # a .py file read other than by the scanner is not
            explained.add(path)
        else:
            return _invalid(f"{path} changed")
    if record.git is not None:
        from predguard.hooks.discovery import git_output

        if _git_digest(git_output(root)) != record.git:
            if not any(_is_dockerfile(p) for p in judged):
                return _invalid("the Dockerfiles git tracks changed")
            explained.add(_GIT)
    changed: set[str] = set()
    for path, entry in record.scans.items():
        now = _stat(path)
        if now is not None and list(now) == entry[:4]:
            continue
        result = rescan(Path(path))
        if result is None:
            if path in judged:  # deleted by the commit
                explained.add(path)
                continue
            return _invalid(f"{path} is gone or unreadable")
        st, value = result
        new = scan_digest(value)
        if new != entry[4]:
            changed.add(path)
        record.scans[path] = [*_sig(st), new]
        record.refreshed = True
    return Verdict(True, frozenset(changed), frozenset(explained))


_GIT = "git ls-files"
_PYTHON = (".py", ".pyi")


def _is_dockerfile(path: str) -> bool:
    from predguard.hooks.discovery import is_dockerfile

    return is_dockerfile(os.path.basename(path))


def _judged_by_selection(path: str) -> bool:
    """Files whose change the FILES selection (check_dockerfiles._affected_outcomes) attributes to
    the images it can affect. Not requirement or project files: every image's fix suggestions
    read those of the whole repository (hooks/installs/elsewhere.py)."""
    name = os.path.basename(path)
    return _is_dockerfile(path) or name.endswith(".dockerignore") or (name.endswith(_PYTHON) and name != "setup.py")


def _git_digest(output: bytes | None) -> str | None:
    """What discovery takes from `git ls-files`: which Dockerfiles are tracked."""
    if output is None:
        return None
    tracked = sorted(p for p in output.split(b"\0") if p and _is_dockerfile(os.fsdecode(p)))
    return cache.content_hash(b"\0".join(tracked))


def save(key: str, recorder: Recorder, results: Any, previous: Record | None = None, verdict: Verdict | None = None) -> None:
    """Keep what `recorder` saw, on top of `previous` (a record this run validated as `verdict`).
    Entries the commit explained take their state now: the images they could affect were re-checked."""
    store = cache.active()
    if store is None or not recorder.complete:
        return
    files = dict(previous.files) if previous else {}
    dirs = dict(previous.dirs) if previous else {}
    scans = dict(previous.scans) if previous else {}
    git = previous.git if previous else None
    explained = verdict.explained if verdict else frozenset()
    for table, recorded, digest in ((dirs, recorder.dirs, _names), (files, recorder.files, _content_digest)):
        for path in explained & table.keys() - recorded.keys():  # (git: the caller's discovery asked it again)
            seen = _stat(path)
            if seen is None:
                del table[path]
            else:
                table[path] = _settled(path, seen, digest)
        for path, seen in recorded.items():
            table[path] = _settled(path, seen, digest)
    for path in explained & scans.keys() - recorder.scans.keys():
        del scans[path]  # deleted by the commit
    for path, (seen, value) in recorder.scans.items():
        scans[path] = [*seen, scan_digest(value)]
    if recorder.git_seen:
        git = recorder.git
    store.put_record(KIND, key, {"files": files, "dirs": dirs, "scans": scans, "git": git, "results": results})


def refresh(key: str, record: Record) -> None:
    """Store a validated record whose stats moved, so the next run does not hash again."""
    store = cache.active()
    if store is not None and record.refreshed:
        store.put_record(KIND, key, {"files": record.files, "dirs": record.dirs, "scans": record.scans,
                                     "git": record.git, "results": record.results})


def discard(key: str) -> None:
    """Forget a record that no longer describes the tree (nor the images checked since)."""
    store = cache.active()
    if store is not None:
        store.put_record(KIND, key, None)


def _settled(path: str, seen: Sig, digest: Callable[[str], Any]) -> list[Any]:
    """[stat, hash] -- the hash only if the path is still as it was when the run read it."""
    value = digest(path)
    return [*seen, value if _stat(path) == seen else None]
