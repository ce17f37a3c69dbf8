"""The embedded default store: one SQLite file, no server. Keys are primary keys: dedup on write."""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from predguard import run_markers
from predguard.processors.claims import DEFAULT_LEASE_SECONDS, ClaimKey, SqliteClaims
from predguard.processors.markers import DeadLetter, RunMarker
from predguard.sqlite_file import connect_wal

_MARKER_COLUMNS = list(run_markers.COLUMN_NAMES)  # the shared core owns the shape
_LETTER_COLUMNS = list(DeadLetter.__dataclass_fields__)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {run_markers.TABLE} (
    {", ".join(f"{c} {'TEXT PRIMARY KEY' if c == 'run_id' else ''}" for c in _MARKER_COLUMNS)}
);
CREATE INDEX IF NOT EXISTS {run_markers.TABLE}_by_date ON {run_markers.TABLE} (target_date, processor);
CREATE TABLE IF NOT EXISTS dead_letters (
    {", ".join(f"{c} {'TEXT PRIMARY KEY' if c == 'key' else ''}" for c in _LETTER_COLUMNS)}
);
"""


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._claims = SqliteClaims(self.path)

    @property
    def _conn(self) -> sqlite3.Connection:
        # Connect on first use, and again after a failure: a file that cannot be opened yet
        # (its directory missing, a volume not mounted) is a store that is down, and the
        # recorder's outbox keeps the records until it comes back.
        if self._connection is None:
            self._connection = connect_wal(self.path, _SCHEMA)
        return self._connection

    def append_markers(self, markers: Sequence[RunMarker]) -> None:
        self._insert(run_markers.TABLE, _MARKER_COLUMNS, [m.to_row() for m in markers])

    def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self._insert("dead_letters", _LETTER_COLUMNS, [d.to_row() for d in letters])

    def _insert(self, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
        sql = f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(sql, [tuple(row[c] for c in columns) for row in rows])
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def markers(self, target_date: date | None = None, processor: str | None = None) -> list[RunMarker]:
        clauses, params = [], []
        if target_date is not None:
            clauses.append("target_date = ?")
            params.append(target_date.isoformat())
        if processor is not None:
            clauses.append("processor = ?")
            params.append(processor)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._select(f"SELECT {', '.join(_MARKER_COLUMNS)} FROM {run_markers.TABLE}{where} ORDER BY recorded_at, run_id", params)
        return [RunMarker.from_row(dict(zip(_MARKER_COLUMNS, row))) for row in rows]

    def dead_letters(self) -> list[DeadLetter]:
        rows = self._select(f"SELECT {', '.join(_LETTER_COLUMNS)} FROM dead_letters ORDER BY received_at, key", [])
        return [DeadLetter.from_row(dict(zip(_LETTER_COLUMNS, row))) for row in rows]

    def processors_in_phase(self, phase: int) -> list[str]:
        rows = self._select(f"SELECT DISTINCT processor FROM {run_markers.TABLE} WHERE phase = ? ORDER BY processor", [phase])
        return [row[0] for row in rows]

    def _select(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def claim(self, key: ClaimKey, holder: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> bool:
        self._conn  # noqa: B018 - the store's schema first, so a file that cannot be opened fails here as "store down"
        return self._claims.claim(key, holder, lease_seconds)

    def release(self, key: ClaimKey, holder: str) -> None:
        self._claims.release(key, holder)

    def claim_holder(self, key: ClaimKey) -> str | None:
        return self._claims.holder(key)

    def close(self) -> None:
        self._claims.close()
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
