"""Claims (leases): at most one run of a message at a time, across threads, workers and instances.

Before running a pushed message, the push app takes a claim on (processor, target date,
message id) in the shared store. The claim is one atomic conditional write: it succeeds
when no claim exists or the existing one's lease has expired, and fails when a live claim
is held by someone else. The holder releases it once the run marker is recorded; a holder
that crashed never blocks the message for longer than the lease.

`SqliteClaims` is the SQLite implementation (a transaction under SQLite's write lock, so it
is correct across the processes of one host); `SqliteStore` uses it on its own file, and the
push app keeps one next to its outbox as the host-local fallback when the store cannot be
reached. The BigQuery store's claim is a MERGE (predguard.processors.stores.bigquery).
"""
from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from predguard.sqlite_file import connect_wal

DEFAULT_LEASE_SECONDS = 600.0  # longer than a run may take (Cloud Run's default request timeout is 300 s)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    processor TEXT NOT NULL,
    target_date TEXT NOT NULL,
    message_id TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (processor, target_date, message_id)
)
"""


@dataclass(frozen=True)
class ClaimKey:
    processor: str
    target_date: date
    message_id: str


def new_holder() -> str:
    """A holder id unique to one claim attempt, readable in the table: host/pid/random."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:16]}"


class SqliteClaims:
    """Claims in an SQLite file (the table `claims`), shared by every process that opens it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    @property
    def _conn(self) -> sqlite3.Connection:
        # Connect on first use (and again after a failure), like the store it lives in.
        if self._connection is None:
            self._connection = connect_wal(self.path, _SCHEMA)
        return self._connection

    def claim(self, key: ClaimKey, holder: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> bool:
        """Take the claim for `holder`; False when another holder's lease is still live."""
        params = (key.processor, key.target_date.isoformat(), key.message_id)
        with self._lock:
            conn = self._conn
            # BEGIN IMMEDIATE takes SQLite's write lock first: the read and the write below are
            # one step for every connection to the file, in this process or another.
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT holder, expires_at FROM claims WHERE processor = ? AND target_date = ? AND message_id = ?", params
                ).fetchone()
                now = time.time()
                if row is not None and row[0] != holder and row[1] > now:
                    conn.execute("COMMIT")
                    return False
                conn.execute(
                    "INSERT OR REPLACE INTO claims (processor, target_date, message_id, holder, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (*params, holder, now + lease_seconds),
                )
                conn.execute("COMMIT")
                return True
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def release(self, key: ClaimKey, holder: str) -> None:
        """Drop the claim if `holder` still holds it (an expired one taken over stays with its new holder)."""
        with self._lock:
            self._conn.execute(
                "DELETE FROM claims WHERE processor = ? AND target_date = ? AND message_id = ? AND holder = ?",
                (key.processor, key.target_date.isoformat(), key.message_id, holder),
            )

    def holder(self, key: ClaimKey) -> str | None:
        """Who holds a live claim on `key` (for tests and /stats), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT holder FROM claims WHERE processor = ? AND target_date = ? AND message_id = ? AND expires_at > ?",
                (key.processor, key.target_date.isoformat(), key.message_id, time.time()),
            ).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
