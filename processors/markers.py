"""Run markers and dead letters: what happened to every run and every rejected message.

`MarkerRecorder` writes each record to the durable local outbox first, then delivers the
outbox to the store. A store that is down leaves the records in the outbox, delivered on
the next record, the next `flush()` or the next start-up; the store dedups by key, so a
record delivered twice (a crash between the store write and the outbox delete) is kept once.
A record at fault itself -- its payload unreadable, or a value the store rejects -- is set aside
as an outbox dead letter instead (`Outbox.dead_letters`, `requeue`), and the others go on.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from predguard.outbox import Entry, Outbox
from predguard.processors.base import Outcome, ProcessorResult
from predguard.processors.errors import describe
from predguard.redact import redact

if TYPE_CHECKING:
    from predguard.processors.stores import Store

log = logging.getLogger(__name__)

KIND_MARKER = "marker"
KIND_DEAD_LETTER = "dead_letter"
FLUSH_BATCH = 500  # records per store write while emptying the outbox
# Failures that belong to one record, not to the store: its payload does not decode into a
# record, or the store cannot take one of its values (text with a lone surrogate, which is not
# UTF-8; an integer beyond 64 bits). Anything else -- locked, cannot open, disk I/O, the
# network -- is the store being down: every record waits.
_UNREADABLE = (ValueError, TypeError, KeyError)
_REJECTED = (ValueError, OverflowError)


def run_topic(processor: str, target_date: date, message_id: str | None) -> str:
    """The outbox topic of a run: what a redelivered Pub/Sub message is looked up by."""
    return f"{processor}/{target_date.isoformat()}/{message_id or ''}"


def _to_json(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class RunMarker:
    """One run of one processor for one date, skips included. `run_id` is its idempotency key."""

    run_id: str
    processor: str
    target_date: date
    mode: str
    outcome: str
    reason: str
    phase: int | None = None
    expected_skip: bool = False
    message_id: str | None = None
    attempt: int = 1
    duration_seconds: float = 0.0
    revision: str = "unknown"
    rows_extracted: int = 0
    rows_loaded: int = 0
    error: str | None = None
    recorded_at: datetime = field(default_factory=_utcnow)

    @classmethod
    def from_result(cls, result: ProcessorResult) -> RunMarker:
        return cls(
            run_id=result.run_id,
            processor=result.processor,
            target_date=result.target_date,
            mode=result.mode.value,
            outcome=result.outcome.value,
            reason=result.reason,
            phase=result.phase,
            expected_skip=result.expected_skip,
            message_id=result.message_id,
            attempt=result.attempt,
            duration_seconds=result.duration_seconds,
            revision=result.revision,
            rows_extracted=result.rows_extracted,
            rows_loaded=result.rows_loaded,
            error=result.error,
        )

    @property
    def key(self) -> str:
        return self.run_id

    @property
    def acknowledged(self) -> bool:
        return Outcome(self.outcome).acknowledged

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row.update(target_date=self.target_date.isoformat(), recorded_at=self.recorded_at.isoformat())
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunMarker:
        values = dict(row)
        values["target_date"] = _as_date(values["target_date"])
        values["recorded_at"] = _as_datetime(values["recorded_at"])
        values["expected_skip"] = bool(values.get("expected_skip"))
        phase = values.get("phase")
        values["phase"] = None if phase is None else int(phase)
        values["attempt"] = int(values.get("attempt") or 1)
        values["rows_extracted"] = int(values.get("rows_extracted") or 0)
        values["rows_loaded"] = int(values.get("rows_loaded") or 0)
        values["duration_seconds"] = float(values.get("duration_seconds") or 0.0)
        return cls(**{k: values[k] for k in cls.__dataclass_fields__ if k in values})


@dataclass(frozen=True)
class DeadLetter:
    """A message that will not be retried: its raw payload, why, and on which delivery attempt."""

    key: str
    reason: str
    error: str
    raw_payload: str
    message_id: str | None = None
    subscription: str | None = None
    delivery_attempt: int | None = None
    processor: str | None = None
    target_date: str | None = None
    received_at: datetime = field(default_factory=_utcnow)

    @staticmethod
    def make_key(message_id: str | None, raw: bytes) -> str:
        """One dead letter per message: its id (redeliveries differ in deliveryAttempt), else a
        digest of the bytes when the body did not even yield an id."""
        return f"msg:{message_id}" if message_id else f"sha256:{hashlib.sha256(raw).hexdigest()[:32]}"

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["received_at"] = self.received_at.isoformat()
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DeadLetter:
        values = dict(row)
        values["received_at"] = _as_datetime(values["received_at"])
        attempt = values.get("delivery_attempt")
        values["delivery_attempt"] = None if attempt is None else int(attempt)
        return cls(**{k: values[k] for k in cls.__dataclass_fields__ if k in values})


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value))


def _as_datetime(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class MarkerRecorder:
    """Records markers and dead letters durably: outbox first, then the store, exactly once."""

    def __init__(self, store: Store, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox
        self._flush_lock = threading.Lock()
        self.store_errors = 0

    def record(self, result: ProcessorResult) -> None:
        self.record_marker(RunMarker.from_result(result))

    def record_marker(self, marker: RunMarker) -> None:
        topic = run_topic(marker.processor, marker.target_date, marker.message_id)
        self.outbox.put(KIND_MARKER, marker.key, _to_json(marker.to_row()), topic=topic)
        self.flush()

    def record_dead_letter(self, letter: DeadLetter) -> None:
        self.outbox.put(KIND_DEAD_LETTER, letter.key, _to_json(letter.to_row()))
        self.flush()

    def flush(self) -> int:
        """Deliver what the outbox holds to the store; the number delivered (0 if the store is down)."""
        delivered = 0
        with self._flush_lock:
            while pending := self.outbox.waiting(limit=FLUSH_BATCH):
                try:
                    delivered += self._hand_off(pending)
                except Exception as exc:  # noqa: BLE001 - the store is down: keep the records in the outbox
                    self.store_errors += 1
                    log.warning("run-marker store unavailable, %d record(s) kept in the outbox: %s", self.outbox.depth(), redact(describe(exc)))
                    break
        return delivered

    def _hand_off(self, entries: list[Entry]) -> int:
        """Write `entries` to the store, then remove them from the outbox; how many were written.
        A record at fault itself is quarantined and the others go on; what this raises is the store's."""
        records: list[tuple[Entry, RunMarker | DeadLetter]] = []
        for entry in entries:
            try:
                records.append((entry, _decode(entry)))
            except _UNREADABLE as exc:
                self.outbox.quarantine(entry.key, redact(f"unreadable {entry.kind} record: {describe(exc)}"))
        try:
            markers = [r for _, r in records if isinstance(r, RunMarker)]
            letters = [r for _, r in records if isinstance(r, DeadLetter)]
            if markers:
                self.store.append_markers(markers)
            if letters:
                self.store.append_dead_letters(letters)
        except _REJECTED as exc:
            if len(records) > 1:  # which one: each on its own
                return sum(self._hand_off([entry]) for entry, _ in records)
            entry = records[0][0]
            self.outbox.quarantine(entry.key, redact(f"the store rejects this {entry.kind}: {describe(exc)}"))
            return 0
        # A crash here redelivers these next time; the store dedups them by key.
        self.outbox.remove([entry.key for entry, _ in records])
        return len(records)

    def completed_run(self, processor: str, target_date: date, message_id: str) -> RunMarker | None:
        """The acknowledged run of this message, if one exists (in the outbox or the store).

        A store that cannot be read answers None: the work is then done again, which the
        keyed (MERGE) writes downstream make harmless.
        """
        for entry in self.outbox.waiting(KIND_MARKER, topic=run_topic(processor, target_date, message_id)):
            try:
                marker = _decode(entry)
            except _UNREADABLE:
                continue  # not a run anyone can read: the next flush sets it aside
            if isinstance(marker, RunMarker) and _same_run(marker, processor, target_date, message_id):
                return marker
        try:
            found = self.store.markers(target_date=target_date, processor=processor)
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot read run markers to check for a redelivery: %s", redact(describe(exc)))
            return None
        return next((m for m in found if _same_run(m, processor, target_date, message_id)), None)


def _decode(entry: Entry) -> RunMarker | DeadLetter:
    row = json.loads(entry.payload)
    if entry.kind == KIND_MARKER:
        return RunMarker.from_row(row)
    if entry.kind == KIND_DEAD_LETTER:
        return DeadLetter.from_row(row)
    raise ValueError(f"unknown record kind {entry.kind!r}")


def _same_run(marker: RunMarker, processor: str, target_date: date, message_id: str) -> bool:
    return (
        marker.processor == processor
        and marker.target_date == target_date
        and marker.message_id == message_id
        and marker.acknowledged
    )


def latest_by_processor(markers: Sequence[RunMarker]) -> dict[str, RunMarker]:
    """The most recent marker of each processor."""
    latest: dict[str, RunMarker] = {}
    for marker in sorted(markers, key=lambda m: (m.recorded_at, m.run_id)):
        latest[marker.processor] = marker
    return latest
