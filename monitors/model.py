"""The data types that flow through the drift monitor.

source (warehouse)  ->  DayCount per system and day   (aggregated in the engine)
detection           DayCount history  ->  Verdict     (pure function of the history up to as_of)
alert state         Verdict + stored state  ->  Notification | None   (Alertmanager-like)
notifier            Notification  ->  Slack (or the terminal + a PNG), via the durable outbox
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

AlertKind = Literal["breach", "drift_warning"]
NotificationKind = Literal["breach", "drift_warning", "reminder", "resolved"]
ReportKind = Literal["validation", "reminder", "resolved"]
Severity = Literal["critical", "warning", "info", "ok"]
# Kinds that open an alert's thread (reminders and resolved reply in it).
ALERT_KINDS: tuple[str, ...] = ("breach", "drift_warning", "validation")
# below_floor: nothing confirmed yet, but the last days' rate is under the floor (never "ok");
# insufficient_data: no graded predictions in the current window at all.
Status = Literal["ok", "below_floor", "breach", "drift_warning", "insufficient_data"]


@dataclass(frozen=True)
class DayCount:
    """Graded predictions of one system on one game date (NULL grades excluded)."""

    day: dt.date
    n: int  # graded predictions
    hits: int  # of which correct


@dataclass(frozen=True)
class Interval:
    rate: float | None  # None when n == 0
    low: float | None  # Wilson interval (95% unless the config says otherwise)
    high: float | None
    n: int
    hits: int
    sufficient: bool  # n >= the configured minimum for judging this period


@dataclass(frozen=True)
class PeriodRate:
    start: dt.date  # first day of the period (the day itself, or the week's first day)
    interval: Interval


@dataclass(frozen=True)
class Verdict:
    """What detection concludes for one system on `as_of`, with all its evidence."""

    system_id: str
    as_of: dt.date
    status: Status  # the most severe firing condition, or ok / insufficient_data
    firing: frozenset[AlertKind]  # conditions firing on as_of (hysteresis applied: a condition
    # stops firing only when the recovery test confirms it)
    statistic: float  # breach CUSUM statistic on as_of
    threshold: float | None  # its decision threshold (None: no graded prediction yet)
    warning_statistic: float
    warning_threshold: float | None  # None: no baseline yet (a new or low-volume system)
    baseline_rate: float | None  # the model's own reference hit rate (for drift_warning)
    floor: float  # e.g. 0.55
    current: Interval  # the recent window (e.g. last 7 days) with its Wilson interval
    daily: tuple[PeriodRate, ...]  # the evaluation window, day by day
    weekly: tuple[PeriodRate, ...]  # the evaluation window, week by week
    breach_since: dt.date | None = None  # first day the current breach fired
    below_floor_weeks: int = 0  # consecutive complete weeks below the floor, ending at as_of
    weeks_rule_firing: bool = False  # the team's rule (below floor for >= N consecutive weeks)
    breach_reason: str | None = None  # "cusum", or "weeks_rule" when the backstop raised it
    notes: tuple[str, ...] = ()  # "week of 2026-01-04: 12 graded predictions, too few to judge", ...


@dataclass(frozen=True)
class Notification:
    """One message to send. `key` is the idempotency key: the outbox delivers each key once."""

    key: str  # f"{fingerprint}:{kind}:{as_of.isoformat()}"
    fingerprint: str  # f"{rule}:{system_id}", stable across runs
    kind: NotificationKind
    verdict: Verdict
    thread_ts: str | None = None  # Slack ts of the alert's first message (resolved/reminder post in its thread)
    chart_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReportMessage:
    """A message whose producer decided what it says (the validation report), where a drift
    alert's message is derived from its Verdict. The same notifiers render both."""

    as_of: dt.date
    severity: Severity
    label: str  # the terminal's tag, e.g. "VALIDATION ERROR"
    title: str
    fields: tuple[tuple[str, str], ...]  # (label, value), in display order
    summary_label: str
    summary: str
    action: str
    notes: tuple[str, ...] = ()
    context: str = ""


@dataclass(frozen=True)
class ReportNotification:
    """A report to send through the same outbox and notifiers as a drift Notification."""

    key: str
    fingerprint: str  # one per report series: reminders and resolved thread under its last alert
    kind: ReportKind
    message: ReportMessage
    thread_ts: str | None = None
    chart_png: bytes | None = field(default=None, repr=False)  # reports carry no chart


AnyNotification = Notification | ReportNotification
