"""A durable local outbox: an SQLite file (WAL, synchronous=FULL: every commit is fsynced).

Records are put here first and removed only after the store has them, so a store outage or
a killed process loses nothing. Keys make it exactly-once: a second `put` of one key is a
no-op, and the stores dedup on write by the same key.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    kind: str
    payload: dict[str, Any]
    created_at: str


class Outbox:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # One connection shared by the threads of a worker, serialised by the lock;
        # other processes (gunicorn workers) coordinate through SQLite's own file locks.
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(_SCHEMA)

    def put(self, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """Store a record durably; False when one with this key is already waiting."""
        created = datetime.now(timezone.utc).isoformat()
        with self._lock:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO outbox (key, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                (key, kind, json.dumps(payload, sort_keys=True), created),
            )
        return cursor.rowcount == 1

    def pending(self, kind: str | None = None, limit: int = 500) -> list[OutboxEntry]:
        """The oldest waiting records (in the order they were put)."""
        query = "SELECT key, kind, payload, created_at FROM outbox"
        params: tuple[Any, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            params = (kind,)
        query += " ORDER BY seq LIMIT ?"
        with self._lock:
            rows = self._conn.execute(query, (*params, limit)).fetchall()
        return [OutboxEntry(key, kind_, json.loads(payload), created) for key, kind_, payload, created in rows]

    def remove(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("DELETE FROM outbox WHERE key = ?", [(k,) for k in keys])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def depth(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
