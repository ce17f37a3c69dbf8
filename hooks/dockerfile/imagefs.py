"""Which build-context files a COPY/ADD source names, as BuildKit resolves them.

Sources are relative to the context root (a leading `/` and `../` cannot leave it); a directory
source copies its contents; wildcards follow Go's filepath.Match per path component (`*` never
crosses `/`; `**` only with --parents); the top source follows symlinks, symlinks inside copied
directories are copied as links (their targets are not read, so a loop cannot hang us);
.dockerignore'd paths are not in the context at all. Directories are listed lazily and at most once
per Dockerfile, so `COPY shared/ ...` never walks the rest of the repository.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import posixpath
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from predguard.errors import InputError

from predguard.hooks.dockerfile.dockerignore import DockerIgnore, IgnorePattern, compile_pattern

SKIPPED_DIRS = frozenset({".git"})
_WILDCARD = re.compile(r"(?<!\\)[*?\[]")


def has_wildcard(source: str) -> bool:
    return _WILDCARD.search(source) is not None


def clean_source(source: str) -> str:
    """Context-relative POSIX path: `/x`, `../x` and `./x` all mean `x`; "" is the root."""
    cleaned = posixpath.normpath("/" + source).lstrip("/")
    return "" if cleaned == "." else cleaned


@dataclass(frozen=True)
class Match:
    rel: str  # context-relative path of the file
    path: Path  # real path on disk
    under: str  # the part of `rel` below the matched source root (where it lands below dest)


@dataclass(frozen=True)
class SourceResult:
    matches: tuple[Match, ...]
    status: str  # "ok" | "missing" | "ignored" | "empty-wildcard" | "symlink-loop" | "outside" | "not-a-file"
    ignored_by: IgnorePattern | None = None
    single_file: bool = False  # a literal source naming one file: `COPY f /dest` may name the file itself


class ContextIndex:
    """The build context, listed lazily: each directory is read once and each path matched against
    .dockerignore once (a directory's pattern results feed its children, as BuildKit's walk does).
    Dockerfiles sharing a context and an ignore file share one index (`shared`)."""

    def __init__(self, root: Path, ignore: DockerIgnore) -> None:
        self.root = root
        self.ignore = ignore
        self._listings: dict[str, list[tuple[str, int]]] = {}  # rel dir -> [(name, st_mode of lstat)]
        self._dir_bits: dict[str, int | None] = {"": None}  # rel dir -> patterns matching it or a parent
        self._verdicts: dict[str, IgnorePattern | None] = {}  # rel -> the pattern excluding it (None: kept)
        self._paths: dict[str, Path] = {}
        self.dirs_listed = 0

    @classmethod
    def shared(cls, root: Path, ignore: DockerIgnore) -> ContextIndex:
        """Inside `sharing()`, one index per (context, pattern list); otherwise a new one."""
        shared = _SHARED.get()
        if shared is None:
            return cls(root, ignore)
        key = (root, ignore.path, tuple((p.text, p.exclusion) for p in ignore.patterns))
        index = shared.get(key)
        if index is None:
            index = shared[key] = cls(root, ignore)
        return index

    def listdir(self, rel_dir: str) -> list[tuple[str, int]]:
        cached = self._listings.get(rel_dir)
        if cached is not None:
            return cached
        entries: list[tuple[str, int]] = []
        try:
            with os.scandir(self.root / rel_dir if rel_dir else self.root) as it:
                for entry in it:
                    try:
                        entries.append((entry.name, entry.stat(follow_symlinks=False).st_mode))
                    except OSError:
                        continue
        except PermissionError as exc:
            # docker build fails on it too ("error from sender: ... permission denied"): say so,
            # rather than report the files below as missing or excluded.
            raise InputError(f"cannot read directory {rel_dir or '.'} of the build context ({exc.strerror})",
                             where=str(self.root)) from None
        except OSError:
            pass  # not a directory, or gone: nothing below it
        entries.sort()
        self.dirs_listed += 1
        self._listings[rel_dir] = entries
        return entries

    def lstat_mode(self, rel: str) -> int | None:
        if not rel:
            return stat.S_IFDIR
        parent, _, name = rel.rpartition("/")
        for entry_name, mode in self.listdir(parent):
            if entry_name == name:
                return mode
        return None

    def _bits(self, rel_dir: str) -> int | None:
        bits = self._dir_bits.get(rel_dir, -1)
        if bits == -1:
            self.excluded_by(rel_dir)
            bits = self._dir_bits[rel_dir]
        return bits

    def excluded_by(self, rel: str) -> IgnorePattern | None:
        """The .dockerignore pattern that leaves `rel` out of the context (None: it is sent)."""
        if rel in self._verdicts:
            return self._verdicts[rel]
        if not self.ignore.patterns:
            return None
        verdict, bits = self.ignore.match(rel, self._bits(rel.rpartition("/")[0]))
        self._verdicts[rel] = verdict
        self._dir_bits[rel] = bits  # only read back for directories
        return verdict

    def excluded(self, rel: str) -> bool:
        return bool(rel) and self.excluded_by(rel) is not None

    def visible(self, rel: str) -> bool:
        return not self.excluded(rel)

    def files_under(self, rel_dir: str, copied_root: str | None = None) -> Iterator[tuple[str, Path]]:
        """Every regular file below a directory that the context really holds.

        An excluded directory is not even listed unless a `!` pattern can re-include something
        below it (DockerIgnore.prunable, BuildKit's rule). Symlinks are copied as links, never
        followed into directories (so loops cannot hang us); a link to a file counts when its
        target is copied too (inside `copied_root`): any other link dangles in the image.
        """
        copied_root = rel_dir if copied_root is None else copied_root
        for name, mode in self.listdir(rel_dir):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            excluded = self.excluded(rel)
            if stat.S_ISDIR(mode):
                if name in SKIPPED_DIRS or (excluded and self.ignore.prunable(rel)):
                    continue
                yield from self.files_under(rel, copied_root)
            elif excluded:
                continue
            elif stat.S_ISREG(mode):
                yield rel, self.path(rel)
            elif stat.S_ISLNK(mode) and self._link_to_copied_file(rel, copied_root):
                yield rel, self.path(rel)

    def path(self, rel: str) -> Path:
        """The file's Path, one object per file for every image sharing this index."""
        found = self._paths.get(rel)
        if found is None:
            found = self._paths[rel] = self.root / rel
        return found

    def _link_to_copied_file(self, rel: str, copied_root: str) -> bool:
        path = self.root / rel
        try:
            if os.readlink(path).startswith("/") or not stat.S_ISREG(os.stat(path).st_mode):
                return False  # an absolute link points into the image, not the context
            target = os.path.relpath(os.path.realpath(path), self.root)
        except OSError:
            return False
        target = target.replace(os.sep, "/")
        return not target.startswith("..") and (not copied_root or target == copied_root or target.startswith(copied_root + "/"))

    def resolve_top(self, rel: str) -> tuple[str, str | None]:
        """Follow symlinks of a top source (BuildKit: FollowSymlinks) -> (kind, resolved rel)."""
        mode = self.lstat_mode(rel)
        if mode is None:
            return "missing", None
        if not stat.S_ISLNK(mode):
            return ("dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"), rel
        path = self.root / rel
        try:
            target = path.resolve(strict=True)
            st = target.stat()
        except RuntimeError:
            return "symlink-loop", None
        except OSError as exc:
            return ("symlink-loop" if exc.errno == 40 else "missing"), None
        try:
            resolved = target.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return "outside", None
        resolved = "" if resolved == "." else resolved
        return ("dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"), resolved


_IndexKey = tuple[Path, "Path | None", tuple[tuple[str, bool], ...]]
_SHARED: contextvars.ContextVar[dict[_IndexKey, ContextIndex] | None] = contextvars.ContextVar("predguard_context_indexes", default=None)


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Within this block (one check run, where the tree does not change), Dockerfiles with the
    same context and .dockerignore share one listing and one set of verdicts."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def resolve_source(index: ContextIndex, source: str, *, parents: bool = False, excludes: tuple[str, ...] = ()) -> SourceResult:
    """The context files one COPY source brings in, each with the path it lands at below dest."""
    rel = clean_source(source)
    marker = ""
    if parents and "/./" in "/" + source:
        # `--parents`: "./" marks where the preserved parent directories start.
        before = ("/" + source).split("/./", 1)[0]
        marker = clean_source(before)
    exclude_rx = [compile_pattern(posixpath.normpath(p).lstrip("/")) for p in excludes]

    if not has_wildcard(rel):
        kind, resolved = index.resolve_top(rel)
        if rel and not index.visible(rel):
            # An excluded directory is still sent when a `!` pattern re-includes something below it.
            if not (kind == "dir" and resolved is not None and index.ignore.has_exclusions and next(index.files_under(resolved), None)):
                return SourceResult((), "ignored", index.excluded_by(rel))
        if kind in ("missing", "symlink-loop", "outside") or resolved is None:
            return SourceResult((), kind)
        if kind == "other":
            return SourceResult((), "not-a-file")
        roots = [(rel, resolved, kind)]
    else:
        roots = [(r, r, k) for r, k in _glob(index, rel, recursive=parents)]
        if not roots:
            return SourceResult((), "empty-wildcard")

    matches: list[Match] = []
    for shown, real, kind in roots:
        if kind == "symlink":
            kind, resolved = index.resolve_top(real)
            if resolved is None:
                continue
            real = resolved
        keep = _kept_parents(shown, marker) if parents else ""
        if kind == "dir" and parents:
            keep = _kept_parents(shown + "/", marker)  # --parents keeps the directory's own path too
        if kind == "dir":
            for file_rel, path in index.files_under(real):
                inner = file_rel[len(real) + 1 :] if real else file_rel
                if _excluded(exclude_rx, inner):
                    continue
                matches.append(Match(rel=file_rel, path=path, under=posixpath.join(keep, inner) if keep else inner))
        elif kind == "file":
            name = shown.rsplit("/", 1)[-1]
            if _excluded(exclude_rx, name) or (parents and _excluded(exclude_rx, shown)):
                continue
            matches.append(Match(rel=real, path=index.root / real, under=posixpath.join(keep, name) if keep else name))
    single = not has_wildcard(rel) and roots[0][2] == "file"
    return SourceResult(tuple(matches), "ok", single_file=single)


def _kept_parents(shown: str, marker: str) -> str:
    """The directories above a matched path that --parents recreates under dest (after a `./` marker)."""
    parent = posixpath.dirname(shown) if shown else ""
    if marker and (parent == marker or parent.startswith(marker + "/")):
        parent = parent[len(marker) :].lstrip("/")
    return parent if parent not in ("", ".") else ""


def _excluded(patterns: list[re.Pattern[str]], rel: str) -> bool:
    parts = rel.split("/")
    for rx in patterns:
        for n in range(1, len(parts) + 1):
            if rx.match("/".join(parts[:n])):
                return True
    return False


def _glob(index: ContextIndex, pattern: str, *, recursive: bool) -> list[tuple[str, str]]:
    """(rel, kind) of context entries matching a wildcard source; kind is dir|file|symlink."""
    parts = pattern.split("/")
    if recursive and "**" in pattern:
        # --parents allows `**`: match the whole path below the fixed prefix.
        fixed: list[str] = []
        for part in parts:
            if has_wildcard(part):
                break
            fixed.append(part)
        base = "/".join(fixed)
        rx = compile_pattern(pattern)
        found = []
        for rel, kind in _walk_entries(index, base):
            if rx.match(rel):
                found.append((rel, kind))
        # A matched directory brings its contents: drop entries already inside a matched dir.
        dirs = [r for r, k in found if k == "dir"]
        return [(r, k) for r, k in found if not any(r.startswith(d + "/") for d in dirs)]
    current = [("", "dir")]
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        nxt: list[tuple[str, str]] = []
        part_rx = compile_pattern(part) if has_wildcard(part) else None
        for base, kind in current:
            if kind != "dir":
                continue
            for name, mode in index.listdir(base):
                if part_rx is None and name != _unescape(part):
                    continue
                if part_rx is not None and not part_rx.match(name):
                    continue
                rel = f"{base}/{name}" if base else name
                if not index.visible(rel) or name in SKIPPED_DIRS:
                    continue
                entry_kind = "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "symlink" if stat.S_ISLNK(mode) else "other"
                if entry_kind == "symlink" and not last:
                    kind2, resolved = index.resolve_top(rel)
                    if kind2 != "dir":
                        continue
                    entry_kind = "dir"
                nxt.append((rel, entry_kind))
        current = nxt
    return [(r, k) for r, k in current if k != "other"]


def _walk_entries(index: ContextIndex, base: str) -> Iterator[tuple[str, str]]:
    for name, mode in index.listdir(base):
        rel = f"{base}/{name}" if base else name
        if name in SKIPPED_DIRS or not index.visible(rel):
            continue
        if stat.S_ISDIR(mode):
            yield rel, "dir"
            yield from _walk_entries(index, rel)
        elif stat.S_ISREG(mode):
            yield rel, "file"
        elif stat.S_ISLNK(mode):
            yield rel, "symlink"


def _unescape(part: str) -> str:
    return re.sub(r"\\(.)", r"\1", part)
