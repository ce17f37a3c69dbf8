"""The processor lifecycle: extract → validate → transform → load, with an honest outcome.

`Processor.run` never raises for a processing fault: it returns a `ProcessorResult` whose
`outcome` says what happened, so that the caller (the Pub/Sub push adapter, a scheduler, a
test) can answer by the rules: success and expected skips are acknowledged, transient
failures are retried, permanent ones are dead-lettered.
"""
from __future__ import annotations

import enum
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from predguard.processors.errors import FutureDateError, NoDataError, describe, is_transient
from predguard.processors.modes import ModePolicy, ProcessingMode
from predguard.redact import redact

if TYPE_CHECKING:
    import pybreaker

log = logging.getLogger(__name__)

REASON_NO_DATA_SAME_DAY = "no_data_same_day"
REASON_NO_DATA_PAST_DATE = "no_data_past_date"
REASON_FUTURE_DATE = "future_target_date"


class Outcome(str, enum.Enum):
    SUCCESS = "success"
    SKIPPED = "skipped"
    FAILED_TRANSIENT = "failed_transient"
    FAILED_PERMANENT = "failed_permanent"

    def __str__(self) -> str:
        return self.value

    @property
    def acknowledged(self) -> bool:
        """Whether a push delivery with this outcome is acknowledged (not redelivered)."""
        return self is not Outcome.FAILED_TRANSIENT


class Skip(Exception):
    """Raised by a processor's step to skip the run on purpose, with a short reason code.

    `expected=True` declares the skip normal for this mode (it counts as complete in
    phase-status); an unexpected skip leaves the phase incomplete.
    """

    def __init__(self, reason: str, *, expected: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


def code_revision() -> str:
    """The running code's revision: Cloud Run's K_REVISION, else GIT_SHA, else "unknown"."""
    return os.environ.get("K_REVISION") or os.environ.get("GIT_SHA") or "unknown"


@dataclass(frozen=True)
class RunContext:
    """What a lifecycle step knows about the run it belongs to."""

    processor: str
    target_date: date
    mode: ProcessingMode
    now: datetime
    run_id: str
    message_id: str | None = None
    attempt: int = 1
    revision: str = "unknown"


@dataclass(frozen=True)
class ProcessorResult:
    processor: str
    target_date: date
    mode: ProcessingMode
    outcome: Outcome
    reason: str
    run_id: str
    phase: int | None = None
    rows_extracted: int = 0
    rows_valid: int = 0
    rows_loaded: int = 0
    duration_seconds: float = 0.0
    error: str | None = None
    expected_skip: bool = False
    message_id: str | None = None
    attempt: int = 1
    revision: str = "unknown"
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            target_date=self.target_date.isoformat(),
            mode=self.mode.value,
            outcome=self.outcome.value,
            started_at=self.started_at.isoformat(),
        )
        return data


class ResultRecorder(Protocol):
    """Where results go (predguard.processors.markers.MarkerRecorder is the real one)."""

    def record(self, result: ProcessorResult) -> None: ...


class Processor:
    """Subclass, set `name` (and `phase`), implement `extract` and `load`.

    `validate` and `transform` default to passing data through; `count` defaults to `len`.
    Override `determine_mode` for a processor's own rule (e.g. "games not final yet ⇒
    same-day"); `transient_errors` adds exception types to the declared transient list.
    A target date after the league's today is rejected (permanent, `future_target_date`)
    unless the processor sets `accepts_future_dates = True` (e.g. it reads a schedule ahead).
    """

    name: ClassVar[str] = ""
    phase: ClassVar[int | None] = None
    transient_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    accepts_future_dates: ClassVar[bool] = False

    def __init__(
        self,
        *,
        mode_policy: ModePolicy | None = None,
        recorder: ResultRecorder | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        if not self.name:
            raise TypeError(f"{type(self).__name__} must set a class attribute `name`")
        self.mode_policy = mode_policy or ModePolicy()
        self.recorder = recorder
        self.breaker = breaker

    # --- the lifecycle: override these -------------------------------------------------
    def extract(self, ctx: RunContext) -> Any:
        raise NotImplementedError

    def validate(self, data: Any, ctx: RunContext) -> Any:
        return data

    def transform(self, data: Any, ctx: RunContext) -> Any:
        return data

    def load(self, data: Any, ctx: RunContext) -> int | None:
        """Write `data` downstream; return the number of rows written (None: `count(data)`)."""
        raise NotImplementedError

    def count(self, data: Any) -> int:
        return len(data)

    def determine_mode(self, target_date: date, now: datetime) -> ProcessingMode:
        return self.mode_policy.infer(target_date, now)

    # --- running ---------------------------------------------------------------------------
    def run(
        self,
        target_date: date,
        *,
        mode: ProcessingMode | None = None,
        now: datetime | None = None,
        message_id: str | None = None,
        attempt: int = 1,
        recorder: ResultRecorder | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> ProcessorResult:
        """Run the lifecycle once and return its result; record it when a recorder is set."""
        started = time.monotonic()
        now = now or datetime.now(timezone.utc)
        base: dict[str, Any] = dict(
            processor=self.name,
            target_date=target_date,
            phase=self.phase,
            run_id=uuid.uuid4().hex,
            message_id=message_id,
            attempt=attempt,
            revision=code_revision(),
            started_at=now if now.tzinfo else now.replace(tzinfo=timezone.utc),
        )
        counts = {"rows_extracted": 0, "rows_valid": 0, "rows_loaded": 0}
        resolved = mode
        try:
            today = self.mode_policy.league_today(now)
            if target_date > today and not self.accepts_future_dates:
                raise FutureDateError(
                    f"target date {target_date.isoformat()} is after today ({today.isoformat()} in {self.mode_policy.timezone}): "
                    f"{self.name} does not accept future dates (set accepts_future_dates = True if it should)"
                )
            resolved = mode or self.determine_mode(target_date, now)
            ctx = RunContext(
                processor=self.name, target_date=target_date, mode=resolved, now=now, run_id=base["run_id"],
                message_id=message_id, attempt=attempt, revision=base["revision"],
            )
            outcome, reason, expected = self._lifecycle(ctx, counts, breaker or self.breaker)
            error = None
        except Skip as skip:
            outcome, reason, expected, error = Outcome.SKIPPED, skip.reason, skip.expected, None
        except Exception as exc:  # noqa: BLE001 - every fault becomes an outcome, never a crash
            transient = is_transient(exc, self.transient_errors)
            outcome = Outcome.FAILED_TRANSIENT if transient else Outcome.FAILED_PERMANENT
            reason = (REASON_NO_DATA_PAST_DATE if isinstance(exc, NoDataError)
                      else REASON_FUTURE_DATE if isinstance(exc, FutureDateError) else type(exc).__name__)
            # Redacted here, once: the result feeds the log, the run marker and the response.
            expected, error = False, redact(describe(exc))
        result = ProcessorResult(
            **base,
            # When the processor's own mode rule failed, report the calendar's mode.
            mode=resolved if resolved is not None else self.mode_policy.infer(target_date, now),
            outcome=outcome,
            reason=reason,
            error=error,
            expected_skip=expected,
            duration_seconds=round(time.monotonic() - started, 6),
            rows_extracted=counts["rows_extracted"],
            rows_valid=counts["rows_valid"],
            rows_loaded=counts["rows_loaded"],
        )
        _log_result(result)
        active = recorder or self.recorder
        if active is not None:
            active.record(result)
        return result

    def _lifecycle(
        self, ctx: RunContext, counts: dict[str, int], breaker: pybreaker.CircuitBreaker | None
    ) -> tuple[Outcome, str, bool]:
        data = self.extract(ctx)
        counts["rows_extracted"] = self.count(data)
        if counts["rows_extracted"] == 0:
            if ctx.mode is ProcessingMode.SAME_DAY:
                raise Skip(REASON_NO_DATA_SAME_DAY, expected=True)
            raise NoDataError(
                f"no data for a past date: {self.name} extracted 0 rows for {ctx.target_date.isoformat()} "
                f"in {ctx.mode.value} mode, where the data must exist"
            )
        data = self.validate(data, ctx)
        counts["rows_valid"] = self.count(data)
        data = self.transform(data, ctx)
        # Only the downstream write goes through the breaker: skips and extract/validate
        # problems never reach it, so they can never trip it.
        loaded = breaker.call(self.load, data, ctx) if breaker is not None else self.load(data, ctx)
        counts["rows_loaded"] = self.count(data) if loaded is None else int(loaded)
        return Outcome.SUCCESS, f"loaded {counts['rows_loaded']} rows", False


def _log_result(result: ProcessorResult) -> None:
    level = {
        Outcome.SUCCESS: logging.INFO,
        Outcome.SKIPPED: logging.INFO,
        Outcome.FAILED_TRANSIENT: logging.WARNING,
        Outcome.FAILED_PERMANENT: logging.ERROR,
    }[result.outcome]
    log.log(
        level,
        "%s %s for %s (%s): %s",
        result.processor,
        result.outcome.value,
        result.target_date.isoformat(),
        result.mode.value,
        result.error or result.reason,
        extra={"run": {k: v for k, v in result.to_dict().items() if k != "error"}},
    )


def by_name(processors: Mapping[str, Processor] | list[Processor]) -> dict[str, Processor]:
    """Index processors by name; two with one name is a configuration error."""
    items = list(processors.values()) if isinstance(processors, Mapping) else list(processors)
    index: dict[str, Processor] = {}
    for processor in items:
        if processor.name in index:
            raise ValueError(f"two processors are named {processor.name!r}")
        index[processor.name] = processor
    return index
