"""The one durable outbox: an SQLite file where a record waits until its destination has it.

processors put run markers here before the run-marker store has them; monitors put Slack
notifications here before Slack has them. SQLite in WAL mode with `synchronous=FULL`: a record
that `put` reported is on disk before the call returns, and readers never block the writer.

Each record has a unique `key` (dedup on write: putting a key that is already here, waiting,
delivered or dead, is a no-op) and a `topic` that groups records which belong together (one
alert's notifications, one Pub/Sub message's run); lookups by topic and the waiting queue are
indexed queries, never a scan of a window of rows. Two ways to empty it:

- hand-off (`waiting` + `remove`): the consumer writes a batch to a store that dedups by key
  itself, then removes the batch; a crash in between redelivers, which the store absorbs. A
  record the consumer can never take (unreadable, or a value the store rejects) is set aside
  with `quarantine`, as a dead letter, so that the records behind it still go.
- delivery (`deliver`): each record is claimed with one conditional UPDATE, sent, and settled:

      pending -> sending (claimed) -> delivered                       (sent)
                                   -> pending                         (retryable: next run)
                                   -> dead                            (not retryable, or too many attempts)

  Two deliverers on one file never both send a record. One that dies between sending and
  settling leaves its claim; after `lease_seconds` the record is sent again (the one case where
  a message can repeat, chosen over losing it). While a record of a topic waits after a
  retryable failure, the later records of that topic wait too (order within a topic).
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 15 * 60
DEFAULT_MAX_ATTEMPTS = 10
WAITING_FOR_EARLIER = "waiting for an earlier record of this topic"

_COLUMNS = (
    ("seq", "INTEGER PRIMARY KEY AUTOINCREMENT"),
    ("key", "TEXT NOT NULL UNIQUE"),
    ("kind", "TEXT NOT NULL"),
    ("topic", "TEXT NOT NULL DEFAULT ''"),
    ("payload", "TEXT NOT NULL"),
    ("blob", "BLOB"),
    ("state", "TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'delivered', 'dead'))"),
    ("attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("last_error", "TEXT"),
    ("claim", "TEXT"),
    ("claimed_at", "REAL"),
    ("created_at", "TEXT NOT NULL DEFAULT ''"),
    ("delivered_at", "TEXT"),
)
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS outbox_open ON outbox (state, seq)",
    "CREATE INDEX IF NOT EXISTS outbox_topic ON outbox (topic, state, seq)",
)
# Earlier layouts of this file, renamed in place so an upgrade loses no waiting record.
_RENAMED = {"fingerprint": "topic", "chart_png": "blob", "enqueued_at": "created_at"}
_DROPPED = ("ts",)  # Slack thread ts: kept by the drift monitor's alert state alone
_WAITING = "state = 'pending' OR (state = 'sending' AND claimed_at < ?)"  # due: claims past their lease too
_WAITING_ANY = "state IN ('pending', 'sending')"
_ENTRY = "key, kind, topic, payload, blob, created_at, state, attempts"


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    topic: str
    payload: str
    blob: bytes | None
    created_at: str
    state: str  # as read before this delivery's claim: "sending" means a claim outlived its lease
    attempts: int  # earlier delivery attempts

    @property
    def unknown_fate(self) -> bool:
        """An earlier attempt may have arrived: it was cut off, or failed in a retryable way
        (a timeout after the request left). A sender that can look should, before sending again."""
        return self.state == "sending" or self.attempts > 0


@dataclass(frozen=True)
class InFlight:
    """A record another deliverer claimed within the lease: its fate is unknown until the lease ends."""

    key: str
    kind: str
    claimed_at: dt.datetime
    retry_after: dt.datetime  # when a later run may send (or look for) it


@dataclass(frozen=True)
class DeadLetter:
    """A record the outbox gave up on; `requeue` gives it another chance."""

    key: str
    kind: str
    attempts: int
    error: str


class Outcome(Protocol):
    """What a send returns (the monitors' Delivery is one)."""

    @property
    def ok(self) -> bool: ...

    @property
    def retryable(self) -> bool: ...

    @property
    def error(self) -> str | None: ...

    @property
    def warning(self) -> str | None: ...


@dataclass(frozen=True)
class Waiting:
    """The outcome of a record not sent because an earlier one of its topic is still waiting."""

    error: str = WAITING_FOR_EARLIER
    ok: bool = False
    retryable: bool = True
    warning: str | None = None


class Outbox:
    def __init__(
        self, path: str | Path, *, lease_seconds: float = DEFAULT_LEASE_SECONDS, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> None:
        self.path = Path(path)
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode; every write below is an explicit BEGIN IMMEDIATE transaction (the write
        # lock up front, so two processes serialise instead of failing on a lock upgrade). One
        # connection is shared by a worker's threads, serialised by the lock.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._transaction():
            self._create_or_upgrade()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def put(self, kind: str, key: str, payload: str, *, topic: str = "", blob: bytes | None = None) -> bool:
        """Store a record durably. False when its key is already here (waiting, delivered or dead)."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, kind, topic, payload, blob, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (key, kind, topic, payload, blob, _now()),
            )
        return cursor.rowcount == 1

    def remove(self, keys: Iterable[str]) -> None:
        """Forget records a store now holds (the hand-off way of emptying the outbox)."""
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE key = ?", [(k,) for k in keys])

    def quarantine(self, key: str, error: str) -> bool:
        """Set a waiting record aside as a dead letter (`requeue` gives it another chance)."""
        error = error.encode("utf-8", "backslashreplace").decode("utf-8")  # storable, even quoting the bad value
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, claim = NULL, claimed_at = NULL "
                f"WHERE key = ? AND ({_WAITING_ANY})",
                (error, key),
            )
        log.warning("outbox dead letter", extra={"key": key, "reason": error})
        return cursor.rowcount == 1

    def requeue(self, key: str) -> bool:
        """Give a dead letter another chance (after fixing the token or channel)."""
        with self._transaction():
            cursor = self._db.execute("UPDATE outbox SET state = 'pending', attempts = 0 WHERE key = ? AND state = 'dead'", (key,))
        return cursor.rowcount == 1

    # -- reading -----------------------------------------------------------------------------

    def waiting(self, kind: str | None = None, *, topic: str | None = None, limit: int | None = None) -> list[Entry]:
        """Records still to deliver (pending or claimed), oldest first; all of them unless `limit`."""
        query = f"SELECT {_ENTRY} FROM outbox WHERE ({_WAITING_ANY})"
        params: list[object] = []
        if kind is not None:
            query, params = query + " AND kind = ?", [*params, kind]
        if topic is not None:
            query, params = query + " AND topic = ?", [*params, topic]
        query += " ORDER BY seq" + (" LIMIT ?" if limit is not None else "")
        with self._lock:
            rows = self._db.execute(query, (*params, *([limit] if limit is not None else []))).fetchall()
        return [Entry(*row) for row in rows]

    def depth(self) -> int:
        """Records still to deliver (pending, or claimed by a deliverer right now)."""
        with self._lock:
            (count,) = self._db.execute(f"SELECT COUNT(*) FROM outbox WHERE {_WAITING_ANY}").fetchone()
        return int(count)

    def state(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT state FROM outbox WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def in_flight(self) -> list[InFlight]:
        """Records claimed by a deliverer within the lease (running now, or crashed recently)."""
        fresh = time.time() - self.lease_seconds
        with self._lock:
            rows = self._db.execute(
                "SELECT key, kind, claimed_at FROM outbox WHERE state = 'sending' AND claimed_at >= ? ORDER BY seq", (fresh,)
            ).fetchall()
        when, utc = dt.datetime.fromtimestamp, dt.timezone.utc
        return [InFlight(key, kind, when(at, utc), when(at + self.lease_seconds, utc)) for key, kind, at in rows]

    def dead_letters(self) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, kind, attempts, COALESCE(last_error, '') FROM outbox WHERE state = 'dead' ORDER BY seq"
            ).fetchall()
        return [DeadLetter(key=r[0], kind=r[1], attempts=r[2], error=r[3]) for r in rows]

    # -- delivery ----------------------------------------------------------------------------

    def deliver(self, send: Callable[[Entry], Outcome]) -> list[tuple[Entry, Outcome]]:
        """Send every waiting record once, oldest first; what happened to each record tried.

        `send` may raise: that counts as a retryable failure (a sender's bug must not strand
        the record in 'sending').
        """
        results: list[tuple[Entry, Outcome]] = []
        held_back: set[str] = set()  # topics with an earlier record still undelivered
        for entry in self._due():
            if entry.topic and entry.topic in held_back:
                results.append((entry, Waiting()))
                continue
            claim = self._claim(entry.key)
            if claim is None:
                continue  # another deliverer has it, or it was delivered meanwhile
            try:
                outcome: Outcome = send(entry)
            except Exception as exc:
                log.exception("outbox sender raised", extra={"key": entry.key})
                outcome = _Raised(f"sender raised {type(exc).__name__}: {exc}")
            self._settle(entry.key, claim, outcome)
            if not outcome.ok and outcome.retryable and entry.topic:
                held_back.add(entry.topic)
            results.append((entry, outcome))
        return results

    # -- internals ---------------------------------------------------------------------------

    def _due(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ENTRY} FROM outbox WHERE {_WAITING} ORDER BY seq",
                (time.time() - self.lease_seconds,),
            ).fetchall()
        return [Entry(*row) for row in rows]

    def _claim(self, key: str) -> str | None:
        claim, now = uuid.uuid4().hex, time.time()
        with self._transaction():
            cursor = self._db.execute(
                f"UPDATE outbox SET state = 'sending', claim = ?, claimed_at = ? WHERE key = ? AND ({_WAITING})",
                (claim, now, key, now - self.lease_seconds),
            )
        return claim if cursor.rowcount == 1 else None

    def _settle(self, key: str, claim: str, outcome: Outcome) -> None:
        with self._transaction():
            if outcome.ok:
                self._db.execute(
                    "UPDATE outbox SET state = 'delivered', delivered_at = ?, last_error = ?, attempts = attempts + 1 "
                    "WHERE key = ? AND claim = ?",
                    (_now(), outcome.warning, key, claim),
                )
                log.info("outbox delivered", extra={"key": key})
                return
            (attempts,) = self._db.execute("SELECT attempts + 1 FROM outbox WHERE key = ?", (key,)).fetchone()
            dead = not outcome.retryable or attempts >= self.max_attempts
            error = outcome.error or "unknown error"
            if outcome.retryable and dead:
                error = f"gave up after {attempts} attempts: {error}"
            self._db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, last_error = ?, claim = NULL, claimed_at = NULL "
                "WHERE key = ? AND claim = ?",
                ("dead" if dead else "pending", attempts, error, key, claim),
            )
        log.warning("outbox dead letter" if dead else "outbox will retry", extra={"key": key, "reason": error, "attempts": attempts})

    def _create_or_upgrade(self) -> None:
        existing = [row[1] for row in self._db.execute("PRAGMA table_info(outbox)")]
        if not existing:
            columns = ", ".join(f"{name} {decl}" for name, decl in _COLUMNS)
            self._db.execute(f"CREATE TABLE outbox ({columns})")
        else:
            for old, new in _RENAMED.items():
                if old in existing:
                    self._db.execute(f"ALTER TABLE outbox RENAME COLUMN {old} TO {new}")
            for old in _DROPPED:
                if old in existing:
                    self._db.execute(f"ALTER TABLE outbox DROP COLUMN {old}")
            present = {_RENAMED.get(name, name) for name in existing}
            for name, decl in _COLUMNS:
                if name not in present:  # a file from before a column existed: add it with its default
                    self._db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {decl.replace(' UNIQUE', '')}")
        for statement in _INDEXES:
            self._db.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")



@dataclass(frozen=True)
class _Raised:
    error: str
    ok: bool = False
    retryable: bool = True
    warning: str | None = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
