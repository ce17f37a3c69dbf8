"""The daily drift job for one `as_of` day (see `predguard.monitors.drift` for the CLI).

    source --(daily counts per system, aggregated in the engine)--> DayCount histories
    detection.evaluate(system, history, as_of) --> Verdict per system
    state.step(stored alert records, verdict) --> Notifications (Alertmanager-like)
    monitoring table <- one row per (as_of, system)        (upsert: re-runs replace)
    outbox <- each Notification with its chart; then deliver everything pending, old and new
    retrain trigger on a new breach
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from predguard.errors import InputError
from predguard.monitors import retrain as retrain_trigger
from predguard.monitors.config import DEFAULT_STATE_PATH, DriftConfig, load_drift_config
from predguard.monitors.drift_stores import history_store, state_store
from predguard.monitors.history import row_for
from predguard.monitors.model import DayCount, Notification, Verdict
from predguard.monitors.sources import Aggregate, SourceSpec, histories, open_source, parse_source
from predguard.monitors.state import AlertRecord, StateStore, step
from predguard.sqlite_file import check_sqlite_path

Evaluate = Callable[..., Verdict]


def load_config(path: Path | None) -> DriftConfig:
    return load_drift_config(path, search_from=None if path else Path.cwd())


def detection(config: DriftConfig) -> tuple[Any, Evaluate]:
    from predguard.monitors.detection import DetectionConfig, evaluate

    where = f"{config.origin} [tool.predguard.drift.detection]"
    return DetectionConfig.from_mapping(dict(config.detection), where=where), evaluate


def window_days(detection_config: Any) -> int:
    """Days of history the detection needs on `as_of`: the reference period, the gap before
    the days being judged, and the evaluation window (the CUSUM's memory fits in it)."""
    explicit = getattr(detection_config, "history_days", None)
    if isinstance(explicit, int):
        return explicit
    c = detection_config
    return int(c.reference_days + c.reference_gap_days + 7 * c.evaluation_weeks)


def resolve_source(config: DriftConfig, source_text: str | None, table: str | None) -> SourceSpec:
    text = source_text or config.source
    if not text:
        raise InputError(
            "no source: pass --source bigquery:PROJECT.DATASET.TABLE (or a .csv/.parquet/.duckdb file), "
            "or set `source` in [tool.predguard.drift]",
            where="--source",
        )
    spec = parse_source(text, table=table or config.table, has_sql=config.sql is not None)
    if table is not None and spec.kind != "duckdb":
        raise InputError(f"names a table inside a DuckDB database; a {spec.kind} source has none", where="--table")
    return spec


@dataclass(frozen=True)
class Sent:
    key: str
    system_id: str
    kind: str
    sent: bool | None  # None: --dry-run
    error: str | None = None
    retryable: bool = False  # a failure kept in the outbox for the next run (else dead-lettered)


@dataclass
class DailyRun:
    as_of: dt.date
    source: str
    window_start: dt.date
    aggregate: Aggregate
    verdicts: list[Verdict]
    notifications: list[Notification]
    dry_run: bool
    sent: list[Sent] = field(default_factory=list)
    retrain: list[retrain_trigger.TriggerResult] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)


@dataclass(frozen=True)
class Pending:
    """A notification another run claimed within its lease: sent or not, nobody knows yet."""

    key: str
    system_id: str
    kind: str
    claimed_at: str  # ISO 8601, UTC
    retry_after: str  # after this, a run sends it (or finds it already posted, with a bot token)


def evaluate_all(
    rows_by_system: dict[str, list[DayCount]], systems: Iterable[str], as_of: dt.date, detection_config: Any, evaluate: Evaluate
) -> list[Verdict]:
    names = sorted(set(rows_by_system) | set(systems))
    return [evaluate(name, rows_by_system.get(name, []), as_of, detection_config) for name in names]


def run_daily(
    config: DriftConfig,
    *,
    source_text: str | None,
    table: str | None,
    as_of: dt.date,
    dry_run: bool,
    state_path: Path | None,
    out: TextIO,
    bigquery: Any = None,
    environ: dict[str, str] | None = None,
) -> DailyRun:
    spec = resolve_source(config, source_text, table)
    detection_config, evaluate = detection(config)
    start = as_of - dt.timedelta(days=window_days(detection_config) - 1)
    source = open_source(spec, config.columns, sql=config.sql, bigquery_client=bigquery)
    try:
        aggregate = source.aggregate(start, as_of)
    finally:
        source.close()
    by_system = histories(aggregate.rows, start, as_of)
    if not by_system and not config.systems:
        after = f"; {aggregate.rows_after_window} rows are dated after {as_of}" if aggregate.rows_after_window else ""
        hint = "" if after else "; pass --as-of with a day the source has graded predictions for"
        raise InputError(f"no rows with a game date from {start} to {as_of}{after}{hint}", where=spec.text)
    verdicts = evaluate_all(by_system, config.systems, as_of, detection_config, evaluate)
    notes = [f"{aggregate.rows_after_window} rows dated after {as_of} ignored"] if aggregate.rows_after_window else []
    if aggregate.rows_without_system:
        notes.append(f"{aggregate.rows_without_system} rows in the window have no system_id and were ignored")
    if aggregate.null_text_rows:
        notes.append(f"{aggregate.null_text_rows} rows in the file have the text NULL in is_correct: counted as ungraded, like an empty cell")
    if notes:
        verdicts = [dataclasses.replace(v, notes=(*v.notes, *notes)) for v in verdicts]

    state_file = check_sqlite_path(state_path or config.state or DEFAULT_STATE_PATH,
                                   where="--state" if state_path else "state", create=not dry_run)

    def make_notifier() -> Any:
        from predguard.monitors.alerting import build_notifier

        return build_notifier(config.slack, out=out, chart_dir=state_file.parent / "charts", environ=environ)

    # A configured Slack is built (and its configuration checked) before anything is
    # persisted, even on a dry run. With none configured, the terminal notifier is only
    # built when there is something to deliver: importing the chart stack costs ~1 s.
    notifier = make_notifier() if config.slack else None
    states = state_store(config, state_file, dry_run, bigquery)
    records = states.load() if states is not None else {}
    notifications: list[Notification] = []
    changed: dict[str, AlertRecord] = {}
    for verdict in verdicts:
        new_records, sent = step(records, verdict, repeat_days=config.repeat_days)
        changed.update(new_records)
        notifications.extend(sent)
    run = DailyRun(as_of, spec.text, start, aggregate, verdicts, notifications, dry_run)
    if dry_run or states is None:
        run.sent = [Sent(n.key, n.verdict.system_id, n.kind, None) for n in notifications]
        return run

    history_store(config, state_file, bigquery).upsert(row_for(v, window_start=start, source=spec.text) for v in verdicts)
    # Durable first: the notifications go into the outbox, then the state moves on, then
    # delivery. A crash in between re-runs into the same keys, which the outbox ignores.
    from predguard.monitors.outbox import NotificationOutbox

    with NotificationOutbox(state_file.parent / "drift-outbox.sqlite") as outbox:
        _enqueue(outbox, notifications)
        states.save(changed.values())
        if outbox.depth():
            run.sent = _deliver(outbox, notifier or make_notifier(), states)
        run.pending = [_pending(item) for item in outbox.in_flight()]
    for n in notifications:
        run.retrain.extend(retrain_trigger.trigger(n, command=config.retrain_command, webhook=config.retrain_webhook))
    return run


def _enqueue(outbox: Any, notifications: list[Notification]) -> None:
    from predguard.monitors.chart import notification_chart

    for n in notifications:
        outbox.enqueue(dataclasses.replace(n, chart_png=notification_chart(n)))


def _pending(item: Any) -> Pending:
    fp = item.key.rsplit(":", 2)[0]
    return Pending(item.key, fp.split(":", 1)[1], item.kind, item.claimed_at.isoformat(timespec="seconds"), item.retry_after.isoformat(timespec="seconds"))


def _deliver(outbox: Any, notifier: Any, states: StateStore) -> list[Sent]:
    """Deliver everything pending — this run's notifications and leftovers of earlier runs."""
    results = outbox.deliver_pending(notifier, threads=states)  # the thread ts goes to the state as each alert is sent
    sent = []
    for key, delivery in results:
        fp, kind, _ = key.rsplit(":", 2)
        system = fp.split(":", 1)[1]
        sent.append(Sent(key, system, kind, delivery.ok, delivery.error, delivery.retryable))
    return sent
