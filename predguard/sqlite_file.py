"""Embedded SQLite files: a user-given path checked before SQLite opens it, and the one way
the stores open theirs (`connect_wal`).

sqlite3 reports a bad path late and vaguely ("unable to open database file", "disk I/O
error", "file is not a database"), and `mkdir` of its parent raises FileExistsError when an
ancestor is a regular file. One check here turns each case into an InputError naming the
path and the reason — and never creates anything when `create` is false (a dry run).
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from predguard.errors import InputError

SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_path(path: Path, *, where: str, create: bool) -> Path:
    """`path`, known to be an SQLite database file or a place where one can be created."""
    shown = f"{where} {path}"
    if path.is_dir():
        raise InputError("is a directory; give a file path for the embedded SQLite database", where=shown)
    if path.exists():
        _check_existing(path, shown)
        return path
    parent = _nearest_existing_ancestor(path.parent)
    if not parent.is_dir():
        raise InputError(f"cannot be created: {parent} is not a directory", where=shown)
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create its directory ({exc.strerror or exc})", where=shown) from None
        if not os.access(path.parent, os.W_OK):
            raise InputError(f"cannot write in {path.parent}", where=shown)
    return path


def _check_existing(path: Path, shown: str) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror or exc})", where=shown) from None
    if header and header != SQLITE_HEADER:
        raise InputError("is not an SQLite database (an unrelated file would be overwritten)", where=shown)


def _nearest_existing_ancestor(directory: Path) -> Path:
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    return directory


def connect_wal(path: Path, schema: str) -> sqlite3.Connection:
    """A connection in autocommit and WAL mode, usable from any thread, with `schema` (a script
    of CREATE ... IF NOT EXISTS) applied; closed again if that fails, so a caller can retry."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(schema)
    except BaseException:
        conn.close()
        raise
    return conn
