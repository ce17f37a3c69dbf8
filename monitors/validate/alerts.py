"""Slack only for real issues, through the drift monitor's alert state, outbox and notifiers.

State is one `AlertRecord` per check (fingerprint `validate:<check>`, rule = the status it is
firing at). A run posts at most one message, the report:

- `validation` when a check starts firing (a status in `notify_on`) or changes status
  (warn -> error, error -> warn): the current problems, each with value, threshold, evidence;
- `resolved`, once, when firing checks are judged healthy again (listing them), in the thread;
- `reminder` when problems persist and nothing was posted for `repeat_days` days, in the thread;
- nothing when the same problems persist: a persisting problem is not re-posted every run.

Not evidence either way: a check `not_applicable` in this mode (grading before the games), or
`degraded` when degraded is not in notify_on. A firing alert stays firing through those runs,
and an earlier day never rewinds the state. The notification key carries the day, the mode and
the problems, so a re-run of the same run is deduplicated by the outbox.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from predguard.monitors.model import ReportKind, ReportMessage, ReportNotification, Severity
from predguard.monitors.state import AlertRecord, StateStore
from predguard.monitors.validate.config import DEFAULT_STATE_PATH, ValidateConfig
from predguard.monitors.validate.model import CheckResult, Report
from predguard.monitors.validate.report import format_value, summary

REPORT_FINGERPRINT = "validate:report"
_QUIET = ("not_applicable", "degraded")  # not evidence of health, nor of a new problem (unless notified)


def fingerprint(check: str) -> str:
    return f"validate:{check}"


@dataclass(frozen=True)
class Sent:
    key: str
    kind: str
    sent: bool | None  # None: --dry-run (would send)
    error: str | None = None
    retryable: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def state_text(self) -> str:
        if self.sent is None:
            return "would post to the alert channel (dry run)"
        if self.sent:
            return "posted"
        where = "kept in the outbox for the next run" if self.retryable else "dead-lettered (kept in the outbox, not retried)"
        return f"not posted ({self.error}); {where}"


@dataclass(frozen=True)
class Pending:
    """A report another run claimed within its lease: posted or not, nobody knows yet."""

    key: str
    kind: str
    claimed_at: str  # ISO 8601, UTC
    retry_after: str  # after this, a run posts it (or finds it already posted, with a bot token)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def state_text(self) -> str:
        return f"PENDING — another run claimed it at {self.claimed_at} and its fate is unknown; a run after {self.retry_after} posts it (or finds it already posted)"


@dataclass(frozen=True)
class Deliveries:
    sent: list[Sent] = field(default_factory=list)  # what this run tried
    pending: list[Pending] = field(default_factory=list)  # claimed by another run


def step(
    records: Mapping[str, AlertRecord], report: Report, *, notify_on: frozenset[str], repeat_days: int
) -> tuple[dict[str, AlertRecord], ReportNotification | None]:
    """Advance the per-check alerts to this report. Returns the changed records and what to post."""
    day = report.day
    changed: dict[str, AlertRecord] = {}
    new: list[CheckResult] = []
    recovered: list[CheckResult] = []
    firing: list[CheckResult] = []
    for result in report.results:
        fp = fingerprint(result.name)
        previous = records.get(fp)
        if previous is not None and day < previous.last_as_of:
            continue  # an earlier day never rewinds the state
        was_firing = previous is not None and previous.firing
        if result.status in notify_on:
            firing.append(result)
            if was_firing and previous is not None and previous.rule == result.status:
                record = replace(previous, last_as_of=day)
            else:
                since = previous.since if was_firing and previous is not None else day
                record = AlertRecord(fp, result.status, result.name, True, since, False, None, None, day)  # type: ignore[arg-type]
                new.append(result)
        elif was_firing and previous is not None:
            if result.status in _QUIET:
                record = replace(previous, last_as_of=day)
            else:
                record = replace(previous, firing=False, last_as_of=day)
                recovered.append(result)
        else:
            continue
        if record != previous:
            changed[fp] = record
    kind = _kind(new, recovered, firing, records, day, repeat_days)
    if kind is None:
        return changed, None
    if kind != "resolved":  # the problems posted now count as announced
        for result in firing:
            fp = fingerprint(result.name)
            changed[fp] = replace(changed.get(fp) or records[fp], notified=True, last_notified=day)
    signature = ",".join(f"{r.name}={r.status}" for r in (*firing, *recovered))
    digest = hashlib.sha256(signature.encode()).hexdigest()[:12]
    key = f"{REPORT_FINGERPRINT}:{kind}:{day.isoformat()}:{report.mode}:{digest}"
    message = build_message(report, kind, firing, recovered)
    # A reminder or resolved replies in the thread of the post that announced its checks; the
    # alert state keeps that thread (set after delivery), not the outbox.
    about = recovered if kind == "resolved" else firing
    threads = [records[fp].thread_ts for fp in (fingerprint(r.name) for r in about) if fp in records and records[fp].thread_ts]
    thread_ts = threads[-1] if kind != "validation" and threads else None
    return changed, ReportNotification(key, REPORT_FINGERPRINT, kind, message, thread_ts=thread_ts)


def _kind(
    new: list[CheckResult],
    recovered: list[CheckResult],
    firing: list[CheckResult],
    records: Mapping[str, AlertRecord],
    day: dt.date,
    repeat_days: int,
) -> ReportKind | None:
    if new:
        return "validation"
    if recovered:
        return "resolved"
    firing_fps = {fingerprint(r.name) for r in firing}
    announced = [r.last_notified for fp, r in records.items() if fp in firing_fps and r.notified and r.last_notified is not None]
    if announced and (day - max(announced)).days >= repeat_days:
        return "reminder"
    return None


def build_message(report: Report, kind: ReportKind, firing: list[CheckResult], recovered: list[CheckResult]) -> ReportMessage:
    errors = sum(r.status == "error" for r in firing)
    severity: Severity = "ok" if kind == "resolved" else "critical" if errors else "warning"
    label = {"critical": "VALIDATION ERROR", "warning": "VALIDATION WARNING", "ok": "VALIDATION RESOLVED", "info": "VALIDATION"}[severity]
    when = f"{report.day} ({report.mode})"
    if kind == "resolved":
        title = f"Resolved: {', '.join(r.name for r in recovered)} healthy again on {when}"
    else:
        counts = ", ".join(f"{n} {s}" for s, n in (("error", errors), ("warn", sum(r.status == "warn" for r in firing)), ("degraded", sum(r.status == "degraded" for r in firing))) if n)
        title = f"{'Still failing' if kind == 'reminder' else 'Data validation'} {when}: {counts}"
    shown = firing if kind != "resolved" else recovered
    fields = tuple((f"{r.status.upper()} · {r.name}", _line(r)) for r in shown)
    notes = [*report.notes]
    if kind == "resolved" and firing:
        notes.append(f"still firing: {', '.join(f'{r.name} ({r.status})' for r in firing)}")
    if kind != "resolved" and recovered:
        notes.append(f"healthy again: {', '.join(r.name for r in recovered)}")
    action = (
        "Nothing to do: these checks are within their thresholds again."
        if kind == "resolved"
        else f"Open the full report with `predguard validate --date {report.day} --mode {report.mode}`; "
        "a degraded check means a table or column it reads is missing (schema change?), an error or warning "
        "means its value crossed the threshold shown."
    )
    return ReportMessage(
        as_of=report.day,
        severity=severity,
        label=label,
        title=title,
        fields=fields,
        summary_label="Report",
        summary=f"{summary(report)}; {report.mode_reason}",
        action=action,
        notes=tuple(notes),
        context=f"predguard validate · {report.day} · {report.mode} · {report.warehouse}",
    )


def _line(r: CheckResult) -> str:
    detail = "; ".join(p for p in (r.evidence, r.reason) if p)
    return f"{format_value(r)} (threshold {r.threshold}) — {detail}" if r.status != "degraded" else detail


# --- persistence and delivery: the drift monitor's stores, outbox and notifiers ---------------


def notify(
    config: ValidateConfig,
    report: Report,
    *,
    dry_run: bool,
    state_path: Path | None,
    out: TextIO,
    bigquery: Any = None,
    environ: dict[str, str] | None = None,
) -> Deliveries:
    from predguard.monitors.alerting import build_notifier

    state_file = state_path or config.state or DEFAULT_STATE_PATH
    # A configured Slack is checked before anything is persisted, even on a dry run.
    notifier = build_notifier(config.slack, out=out, chart_dir=state_file.parent, environ=environ) if config.slack else None
    store = _state_store(config, state_file, dry_run, bigquery)
    records = store.load() if store is not None else {}
    changed, notification = step(records, report, notify_on=config.notify_on, repeat_days=config.repeat_days)
    if dry_run or store is None:
        return Deliveries([Sent(notification.key, notification.kind, None)] if notification else [])
    from predguard.monitors.outbox import NotificationOutbox

    # Durable first: into the outbox, then the state moves on, then delivery (old leftovers too).
    with NotificationOutbox(state_file.parent / "validate-outbox.sqlite") as outbox:
        if notification is not None:
            outbox.enqueue(notification)
        store.save(changed.values())
        if not outbox.depth():
            return Deliveries()
        if notifier is None:
            notifier = build_notifier(config.slack, out=out, chart_dir=state_file.parent, environ=environ)
        results = outbox.deliver_pending(notifier)
        pending = [
            Pending(p.key, p.kind, p.claimed_at.isoformat(timespec="seconds"), p.retry_after.isoformat(timespec="seconds"))
            for p in outbox.in_flight()
        ]
    for key, delivery in results:
        # This run's announcement opened a thread: its checks' later reminder and recovery go there.
        if notification is not None and key == notification.key and notification.kind == "validation" and delivery.ok and delivery.ts:
            for fp, record in changed.items():
                if record.firing:
                    store.set_thread_ts(fp, delivery.ts)
    return Deliveries([Sent(key, key.split(":")[2], d.ok, d.error, d.retryable) for key, d in results], pending)


def _state_store(config: ValidateConfig, path: Path, dry_run: bool, bigquery: Any) -> StateStore | None:
    from predguard.monitors.state import BigQueryStateStore, SqliteStateStore

    if config.state_table:
        from predguard.bigquery import client as bigquery_client
        from predguard.bigquery import parse_name

        name = parse_name(config.state_table, ("table",), what="table", where="state_table")
        client = bigquery if bigquery is not None else bigquery_client(name.project)
        return BigQueryStateStore(client, name.table_id, create=not dry_run)
    if dry_run and not path.exists():
        return None  # nothing stored yet, and a dry run creates nothing
    return SqliteStateStore(path)
