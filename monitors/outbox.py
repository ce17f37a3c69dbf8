"""The durable outbox: every notification is written here before it is sent, and delivered
exactly once per key, however many runs it takes.

SQLite in WAL mode with `synchronous=FULL`: a row that `enqueue` reported is on disk before the
call returns, and readers never block the writer. States:

    pending  -> sending (claimed by one deliverer) -> delivered          (Delivery.ok)
                                                   -> pending            (retryable: next run)
                                                   -> dead               (not retryable, or too many attempts)

Exactly once comes from two rules: the key is UNIQUE (dedup on write: enqueueing a key again,
even after delivery, is a no-op), and a row is claimed with one conditional UPDATE before it is
sent, so two deliverers on the same file (two overlapping cron runs) never both send it. A
deliverer that dies between sending and recording leaves its claim behind; after `lease` the
row is sent again, unless the notifier can say whether the earlier attempt arrived: before
re-sending a row whose previous attempt's fate is unknown (a claim that outlived its lease, or
a retryable failure such as a timeout after the request left), the outbox asks a notifier that
has `find_delivered(n)` (the bot-token Slack notifier: the alert key is in the message's
metadata) and records the message it finds instead of posting a second one. A notifier without
it (webhook) keeps the window: a crash between Slack accepting and the outbox recording repeats
the message once, chosen over losing it. `in_flight()` lists rows claimed by a deliverer within
its lease, so a rerun can say that an alert is pending rather than nothing.

Order per alert: a reminder or resolved waits while an earlier notification of the same alert
(fingerprint) is still pending, and one whose `thread_ts` is unknown (the alert itself was
delivered from the outbox on a later run) is threaded under the ts the outbox recorded for it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from predguard.monitors.alerting.delivery import Delivery, Notifier
from predguard.monitors.model import ALERT_KINDS, AnyNotification
from predguard.monitors.serialize import notification_from_json, notification_to_json

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 15 * 60
DEFAULT_MAX_ATTEMPTS = 10

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    key           TEXT NOT NULL UNIQUE,
    fingerprint   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    chart_png     BLOB,
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    ts            TEXT,
    claim         TEXT,
    claimed_at    REAL,
    enqueued_at   TEXT NOT NULL,
    delivered_at  TEXT
);
CREATE INDEX IF NOT EXISTS outbox_open ON outbox (state, seq);
"""


@dataclass(frozen=True)
class InFlight:
    """A row another deliverer claimed within the lease: its fate is unknown until the lease ends."""

    key: str
    kind: str
    claimed_at: dt.datetime
    retry_after: dt.datetime  # when a later run may send (or find) it


@dataclass(frozen=True)
class DeadLetter:
    key: str
    kind: str
    attempts: int
    error: str


class Outbox:
    def __init__(
        self,
        path: Path,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.path = Path(path)
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: every transaction below is explicit (BEGIN IMMEDIATE takes the write
        # lock up front, so two processes serialise instead of failing on a lock upgrade).
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._transaction():
            for statement in _statements(_SCHEMA):
                self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def enqueue(self, n: AnyNotification) -> bool:
        """Store `n` durably. False when its key is already here (pending, delivered or dead)."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, fingerprint, kind, payload, chart_png, enqueued_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (n.key, n.fingerprint, n.kind, notification_to_json(n), n.chart_png, _now()),
            )
        added = cursor.rowcount == 1
        log.info("outbox enqueue", extra={"key": n.key, "kind": n.kind, "added": added})
        return added

    def deliver_pending(self, notifier: Notifier) -> list[tuple[str, Delivery]]:
        """Send every pending notification once, oldest first; return what happened to each key tried."""
        results: list[tuple[str, Delivery]] = []
        held_back: set[str] = set()  # fingerprints with an earlier notification still undelivered
        for seq, key, fingerprint, state, attempts in self._open_rows():
            if fingerprint in held_back:
                results.append((key, Delivery.failed("waiting for an earlier notification of this alert", retryable=True)))
                continue
            claim = self._claim(key)
            if claim is None:
                continue  # another deliverer has it, or it was delivered meanwhile
            unknown_fate = state == "sending" or attempts > 0
            delivery = self._send(key, fingerprint, notifier, unknown_fate=unknown_fate)
            self._record(key, claim, delivery)
            if not delivery.ok and delivery.retryable:
                held_back.add(fingerprint)
            results.append((key, delivery))
        return results

    def depth(self) -> int:
        """Notifications still to deliver (pending, or claimed by a deliverer right now)."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')").fetchone()
        return int(count)

    def in_flight(self) -> list[InFlight]:
        """Rows claimed by a deliverer within the lease (running now, or crashed recently)."""
        fresh = time.time() - self.lease_seconds
        rows = self._db.execute(
            "SELECT key, kind, claimed_at FROM outbox WHERE state = 'sending' AND claimed_at >= ? ORDER BY seq", (fresh,)
        ).fetchall()
        when = dt.datetime.fromtimestamp
        utc = dt.timezone.utc
        return [InFlight(k, kind, when(at, utc), when(at + self.lease_seconds, utc)) for k, kind, at in rows]

    def state(self, key: str) -> str | None:
        row = self._db.execute("SELECT state FROM outbox WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def dead_letters(self) -> list[DeadLetter]:
        rows = self._db.execute(
            "SELECT key, kind, attempts, COALESCE(last_error, '') FROM outbox WHERE state = 'dead' ORDER BY seq"
        ).fetchall()
        return [DeadLetter(key=r[0], kind=r[1], attempts=r[2], error=r[3]) for r in rows]

    def requeue(self, key: str) -> bool:
        """Give a dead letter another chance (after fixing the token or channel)."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0 WHERE key = ? AND state = 'dead'", (key,)
            )
        return cursor.rowcount == 1

    # -- internals ---------------------------------------------------------------------------

    def _open_rows(self) -> list[tuple[int, str, str, str, int]]:
        stale = time.time() - self.lease_seconds
        return self._db.execute(
            "SELECT seq, key, fingerprint, state, attempts FROM outbox "
            "WHERE state = 'pending' OR (state = 'sending' AND claimed_at < ?) ORDER BY seq",
            (stale,),
        ).fetchall()

    def _claim(self, key: str) -> str | None:
        claim = uuid.uuid4().hex
        now = time.time()
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE outbox SET state = 'sending', claim = ?, claimed_at = ? "
                "WHERE key = ? AND (state = 'pending' OR (state = 'sending' AND claimed_at < ?))",
                (claim, now, key, now - self.lease_seconds),
            )
        return claim if cursor.rowcount == 1 else None

    def _send(self, key: str, fingerprint: str, notifier: Notifier, *, unknown_fate: bool = False) -> Delivery:
        payload, chart_png = self._db.execute("SELECT payload, chart_png FROM outbox WHERE key = ?", (key,)).fetchone()
        try:
            n = notification_from_json(payload, chart_png)
        except (ValueError, KeyError, TypeError) as exc:
            return Delivery.failed(f"stored payload unreadable: {exc}", retryable=False)
        if n.thread_ts is None and n.kind in ("reminder", "resolved"):
            n = dataclasses.replace(n, thread_ts=self._alert_ts(fingerprint))
        find = getattr(notifier, "find_delivered", None)
        try:
            if unknown_fate and find is not None:
                found: Delivery | None = find(n)
                if found is not None:
                    log.info("outbox found an earlier delivery", extra={"key": key, "ts": found.ts})
                    return found
            return notifier.send(n)
        except Exception as exc:  # a notifier bug must not strand the row in 'sending'
            log.exception("notifier raised", extra={"key": key})
            return Delivery.failed(f"notifier raised {type(exc).__name__}: {exc}", retryable=True)

    def _alert_ts(self, fingerprint: str) -> str | None:
        row = self._db.execute(
            f"SELECT ts FROM outbox WHERE fingerprint = ? AND kind IN ({', '.join('?' for _ in ALERT_KINDS)}) "
            "AND state = 'delivered' AND ts IS NOT NULL ORDER BY seq DESC LIMIT 1",
            (fingerprint, *ALERT_KINDS),
        ).fetchone()
        return None if row is None else str(row[0])

    def _record(self, key: str, claim: str, delivery: Delivery) -> None:
        with self._transaction():
            if delivery.ok:
                self._db.execute(
                    "UPDATE outbox SET state = 'delivered', ts = ?, delivered_at = ?, last_error = ?, "
                    "attempts = attempts + 1 WHERE key = ? AND claim = ?",
                    (delivery.ts, _now(), delivery.warning, key, claim),
                )
                log.info("outbox delivered", extra={"key": key, "ts": delivery.ts})
                return
            (attempts,) = self._db.execute("SELECT attempts + 1 FROM outbox WHERE key = ?", (key,)).fetchone()
            dead = not delivery.retryable or attempts >= self.max_attempts
            error = delivery.error or "unknown error"
            if delivery.retryable and dead:
                error = f"gave up after {attempts} attempts: {error}"
            self._db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, last_error = ?, claim = NULL, claimed_at = NULL "
                "WHERE key = ? AND claim = ?",
                ("dead" if dead else "pending", attempts, error, key, claim),
            )
        log.warning(
            "outbox dead letter" if dead else "outbox will retry",
            extra={"key": key, "reason": error, "attempts": attempts},
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
