"""`predguard drift`: the daily drift monitor, and `predguard drift backtest`.

    predguard drift [--source SOURCE] [--table NAME] [--as-of DATE] [--format text|json]
                    [--dry-run] [--config FILE] [--state PATH] [--fail-on never|breach|drift_warning]
    predguard drift backtest --source SOURCE --from DATE --to DATE [--format text|json]

The daily job, for one `as_of` day:

    source --(daily counts per system, aggregated in the engine)--> DayCount histories
    detection.evaluate(system, history, as_of) --> Verdict per system
    state.step(stored alert records, verdict) --> Notifications (Alertmanager-like)
    monitoring table <- one row per (as_of, system)        (upsert: re-runs replace)
    outbox <- each Notification with its chart; then deliver everything pending, old and new
    retrain trigger on a new breach

Exit codes: 0 when the job ran — an alert is the signal, not a failed job; 1 when
`--fail-on breach` (or `drift_warning`) is given and such an alert is firing; 2 for bad
input (a malformed source, a missing or mistyped column, no rows in the window, a date in
the future, ...), always with one line saying what and where.

JSON output of the daily job (stable; fields are only ever added):
    as_of, source, window {start, end}, bytes_processed (BigQuery dry-run estimate, null for
    local files), rows_after_as_of (rows dated after as_of, ignored), dry_run,
    systems [{system_id, status, firing [kinds], hit_rate, hit_rate_low, hit_rate_high, n,
    hits, statistic, threshold, warning_statistic, warning_threshold, baseline_rate, floor,
    breach_since, below_floor_weeks, weeks_rule_firing, notes [..]}],
    notifications [{key, system_id, kind, sent (true / false / null on --dry-run), error,
                   retryable (a failure kept for the next run; false: dead-lettered)}],
    retrain [{system_id, how, ok, detail}]
Backtest JSON: {"alerts": [{date, system_id, kind, hit_rate, detail}]} with kind one of
breach, drift_warning, resolved (reminders are not listed), plus from, to, source.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

from predguard.monitors import retrain as retrain_trigger
from predguard.monitors.config import DEFAULT_STATE_PATH, FAIL_ON, DriftConfig, load_drift_config
from predguard.monitors.history import BigQueryHistoryStore, HistoryStore, SqliteHistoryStore, row_for
from predguard.monitors.model import DayCount, Notification, Verdict
from predguard.monitors.sources import Aggregate, Source, SourceSpec, bigquery_client, histories, open_source, parse_source
from predguard.monitors.state import AlertRecord, BigQueryStateStore, SqliteStateStore, StateStore, step
from predguard.errors import EXIT_FINDINGS, EXIT_OK, InputError, run_cli

log = logging.getLogger(__name__)

Evaluate = Callable[..., Verdict]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is an InputError (one line, exit 2) like every other."""

    def error(self, message: str) -> NoReturn:
        raise InputError(message, where=self.prog)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="bigquery:PROJECT.DATASET.TABLE, or a .csv, .parquet or .duckdb/.db file (default: config `source`)")
    parser.add_argument("--table", help="the table inside a DuckDB database file (default: config `table`)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--config", type=Path, help="a pyproject.toml with [tool.predguard.drift] (default: the nearest one)")


def daily_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="predguard drift", description="Daily drift monitor: hit rate per system, alert on a real drop.")
    _common(parser)
    parser.add_argument("--as-of", type=_date, help="the day to evaluate (default: today, UTC)")
    parser.add_argument("--dry-run", action="store_true", help="compute and print; send nothing, persist nothing")
    parser.add_argument("--state", type=Path, help=f"embedded state file (default: config `state`, else {DEFAULT_STATE_PATH})")
    parser.add_argument("--fail-on", choices=FAIL_ON, help="exit 1 while such an alert fires (default: never)")
    return parser


def backtest_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="predguard drift backtest", description="Replay the daily job over past days; list the alerts it would have sent.")
    _common(parser)
    parser.add_argument("--from", dest="start", type=_date, required=True, help="first day to replay")
    parser.add_argument("--to", dest="end", type=_date, required=True, help="last day to replay")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, today: dt.date | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if args[:1] == ["backtest"]:
        return backtest_main(args[1:], out=out, today=today)
    options = daily_parser().parse_args(args)
    config = _config(options.config)
    as_of = options.as_of or today
    if as_of > today:
        raise InputError(f"{as_of} is in the future (today is {today} UTC): grades for it cannot exist yet", where="--as-of")
    # The terminal notifier (no Slack configured) prints the messages: after the report in
    # text mode, on stderr in json mode so stdout stays one JSON document.
    messages = io.StringIO()
    run = run_daily(
        config,
        source_text=options.source,
        table=options.table,
        as_of=as_of,
        dry_run=options.dry_run,
        state_path=options.state,
        out=messages,
    )
    if options.format == "json":
        json.dump(run.to_json(), out, indent=2)
        out.write("\n")
        sys.stderr.write(messages.getvalue())
    else:
        out.write(render_text(run))
        if messages.getvalue():
            out.write("\n" + messages.getvalue())
    fail_on = options.fail_on or config.fail_on
    firing = {kind for verdict in run.verdicts for kind in verdict.firing}
    return EXIT_FINDINGS if fail_on != "never" and fail_on in firing else EXIT_OK


# --- configuration and source resolution -------------------------------------------------


def _config(path: Path | None) -> DriftConfig:
    return load_drift_config(path, search_from=None if path else Path.cwd())


def _detection(config: DriftConfig) -> tuple[Any, Evaluate]:
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
    return parse_source(text, table=table or config.table, has_sql=config.sql is not None)


# --- the daily job -----------------------------------------------------------------------


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

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "source": self.source,
            "window": {"start": self.window_start.isoformat(), "end": self.as_of.isoformat()},
            "bytes_processed": self.aggregate.bytes_processed,
            "rows_after_as_of": self.aggregate.rows_after_window,
            "dry_run": self.dry_run,
            "systems": [verdict_json(v) for v in self.verdicts],
            "notifications": [dataclasses.asdict(s) for s in self.sent],
            "retrain": [dataclasses.asdict(r) for r in self.retrain],
        }


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "system_id": v.system_id,
        "status": v.status,
        "firing": sorted(v.firing),
        "hit_rate": v.current.rate,
        "hit_rate_low": v.current.low,
        "hit_rate_high": v.current.high,
        "n": v.current.n,
        "hits": v.current.hits,
        "statistic": v.statistic,
        "threshold": v.threshold,
        "warning_statistic": v.warning_statistic,
        "warning_threshold": v.warning_threshold,
        "baseline_rate": v.baseline_rate,
        "floor": v.floor,
        "breach_since": v.breach_since.isoformat() if v.breach_since else None,
        "below_floor_weeks": v.below_floor_weeks,
        "weeks_rule_firing": v.weeks_rule_firing,
        "notes": list(v.notes),
    }


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
    detection_config, evaluate = _detection(config)
    start = as_of - dt.timedelta(days=window_days(detection_config) - 1)
    source = open_source(spec, config.columns, sql=config.sql, bigquery_client=bigquery)
    try:
        aggregate = source.aggregate(start, as_of)
    finally:
        source.close()
    by_system = histories(aggregate.rows, start, as_of)
    if not by_system and not config.systems:
        after = f"; {aggregate.rows_after_window} rows are dated after {as_of}" if aggregate.rows_after_window else ""
        raise InputError(f"no rows with a game date from {start} to {as_of}{after}", where=spec.text)
    verdicts = evaluate_all(by_system, config.systems, as_of, detection_config, evaluate)
    if aggregate.rows_after_window:
        note = f"{aggregate.rows_after_window} rows dated after {as_of} ignored"
        verdicts = [dataclasses.replace(v, notes=(*v.notes, note)) for v in verdicts]

    state_file = state_path or config.state or DEFAULT_STATE_PATH

    def make_notifier() -> Any:
        from predguard.monitors.alerting import build_notifier

        return build_notifier(config.slack, out=out, chart_dir=state_file.parent / "charts", environ=environ)

    # A configured Slack is built (and its configuration checked) before anything is
    # persisted, even on a dry run. With none configured, the terminal notifier is only
    # built when there is something to deliver: importing the chart stack costs ~1 s.
    notifier = make_notifier() if config.slack else None
    state_store = _state_store(config, state_file, dry_run, bigquery)
    records = state_store.load() if state_store is not None else {}
    notifications: list[Notification] = []
    changed: dict[str, AlertRecord] = {}
    for verdict in verdicts:
        new_records, sent = step(records, verdict, repeat_days=config.repeat_days)
        changed.update(new_records)
        notifications.extend(sent)
    run = DailyRun(as_of, spec.text, start, aggregate, verdicts, notifications, dry_run)
    if dry_run or state_store is None:
        run.sent = [Sent(n.key, n.verdict.system_id, n.kind, None) for n in notifications]
        return run

    history_store = _history_store(config, state_file, bigquery)
    history_store.upsert(row_for(v, window_start=start, source=spec.text) for v in verdicts)
    # Durable first: the notifications go into the outbox, then the state moves on, then
    # delivery. A crash in between re-runs into the same keys, which the outbox ignores.
    from predguard.monitors.outbox import Outbox

    with Outbox(state_file.parent / "drift-outbox.sqlite") as outbox:
        _enqueue(outbox, notifications)
        state_store.save(changed.values())
        if outbox.depth():
            run.sent = _deliver(outbox, notifier or make_notifier(), state_store)
    for n in notifications:
        run.retrain.extend(retrain_trigger.trigger(n, command=config.retrain_command, webhook=config.retrain_webhook))
    return run


def _state_store(config: DriftConfig, path: Path, dry_run: bool, bigquery: Any) -> StateStore | None:
    if config.state_table:
        client = bigquery if bigquery is not None else bigquery_client(config.state_table.split(".")[0])
        return BigQueryStateStore(client, config.state_table, create=not dry_run)
    if dry_run and not path.exists():
        return None  # nothing stored yet, and a dry run must not create the file
    if dry_run:
        return _ReadOnlySqlite(path)
    return SqliteStateStore(path)


class _ReadOnlySqlite:
    """A dry run reads the stored state (to show what would be sent) and writes nothing."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def load(self) -> dict[str, AlertRecord]:
        import sqlite3

        from predguard.monitors.state import _from_row

        self.con.row_factory = sqlite3.Row
        try:
            return {r["fingerprint"]: _from_row(r) for r in self.con.execute("SELECT * FROM alert_state")}
        except sqlite3.OperationalError:
            return {}

    def save(self, records: Iterable[AlertRecord]) -> None:  # pragma: no cover - never called on a dry run
        raise AssertionError("a dry run persists nothing")

    def set_thread_ts(self, fp: str, ts: str) -> None:  # pragma: no cover
        raise AssertionError("a dry run persists nothing")


def _history_store(config: DriftConfig, state_file: Path, bigquery: Any) -> HistoryStore:
    if config.history_table:
        client = bigquery if bigquery is not None else bigquery_client(config.history_table.split(".")[0])
        return BigQueryHistoryStore(client, config.history_table)
    return SqliteHistoryStore(state_file)


def _enqueue(outbox: Any, notifications: list[Notification]) -> None:
    from predguard.monitors.chart import notification_chart

    for n in notifications:
        outbox.enqueue(dataclasses.replace(n, chart_png=notification_chart(n)))


def _deliver(outbox: Any, notifier: Any, state_store: StateStore) -> list[Sent]:
    """Deliver everything pending — this run's notifications and leftovers of earlier runs."""
    results = outbox.deliver_pending(notifier)
    sent = []
    for key, delivery in results:
        fp, kind, _ = key.rsplit(":", 2)
        if delivery.ok and delivery.ts and kind in ("breach", "drift_warning"):
            state_store.set_thread_ts(fp, delivery.ts)
        system = fp.split(":", 1)[1]
        sent.append(Sent(key, system, kind, delivery.ok, delivery.error, delivery.retryable))
    return sent


# --- text output -------------------------------------------------------------------------

_STATUS = {"ok": "OK", "breach": "BREACH", "drift_warning": "DRIFT WARNING", "insufficient_data": "INSUFFICIENT DATA"}


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _delivery_state(s: Sent) -> str:
    if s.sent is None:
        return "would send"
    if s.sent:
        return "sent"
    if s.retryable:
        return f"not sent ({s.error}); kept in the outbox for the next run"
    return f"not sent ({s.error}); dead-lettered, not retried (kept in the outbox's dead letters, not lost)"


def render_text(run: DailyRun) -> str:
    size = "" if run.aggregate.bytes_processed is None else f", {run.aggregate.bytes_processed:,} bytes processed"
    lines = [f"drift as of {run.as_of} — {run.source} (window {run.window_start} to {run.as_of}{size})"]
    for v in run.verdicts:
        c = v.current
        since = f" since {v.breach_since}" if v.breach_since else ""
        lines += [
            "",
            f"{v.system_id}: {_STATUS.get(v.status, v.status.upper())}{since}",
            f"  hit rate    {_pct(c.rate)} [{_pct(c.low)}, {_pct(c.high)}], n = {c.n}" + ("" if c.sufficient else " (too few to judge)"),
            f"  breach      CUSUM {v.statistic:.2f} / threshold {v.threshold:.2f} (floor {v.floor:.0%})",
            f"  warning     {v.warning_statistic:.2f} / threshold {v.warning_threshold:.2f} (baseline {_pct(v.baseline_rate)})",
            f"  weeks rule  {v.below_floor_weeks} consecutive week(s) below the floor" + (" — firing" if v.weeks_rule_firing else ""),
        ]
        lines += [f"  note        {note}" for note in v.notes]
    if run.notifications or run.sent:
        lines.append("")
        for s in run.sent:
            lines.append(f"{s.kind} {s.system_id}: {_delivery_state(s)}")
    for r in run.retrain:
        lines.append(f"retrain {r.system_id} via {r.how}: {'ok' if r.ok else 'FAILED'} ({r.detail})")
    return "\n".join(lines) + "\n"


# --- backtest ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestAlert:
    date: dt.date
    system_id: str
    kind: str
    hit_rate: float | None
    detail: str


def backtest(
    config: DriftConfig, spec: SourceSpec, start: dt.date, end: dt.date, *, bigquery: Any = None
) -> list[BacktestAlert]:
    """Replay the daily job for each day in [start, end], seeing only the grades known that day
    (the table's graded_at, else the day after the game), with the alert state in memory."""
    detection_config, evaluate = _detection(config)
    days = window_days(detection_config)
    first = start - dt.timedelta(days=days - 1)
    source: Source = open_source(spec, config.columns, sql=config.sql, bigquery_client=bigquery)
    try:
        aggregate = source.aggregate(first, end, by_graded_day=True)
    finally:
        source.close()
    systems = sorted({r.system_id for r in aggregate.rows} | set(config.systems))
    if not systems:
        raise InputError(f"no rows with a game date from {first} to {end}", where=spec.text)
    records: dict[str, AlertRecord] = {}
    alerts: list[BacktestAlert] = []
    day = start
    while day <= end:
        window_start = day - dt.timedelta(days=days - 1)
        known = histories(aggregate.rows, window_start, day, graded_by=day)
        for verdict in evaluate_all(known, systems, day, detection_config, evaluate):
            changed, notifications = step(records, verdict, repeat_days=config.repeat_days)
            records.update(changed)
            alerts += [_alert(n) for n in notifications if n.kind != "reminder"]
        day += dt.timedelta(days=1)
    return alerts


def _alert(n: Notification) -> BacktestAlert:
    v = n.verdict
    c = v.current
    evidence = f"hit rate {_pct(c.rate)} [{_pct(c.low)}, {_pct(c.high)}] n={c.n}"
    if n.kind == "breach":
        detail = f"{evidence}; CUSUM {v.statistic:.2f} >= {v.threshold:.2f} below the {v.floor:.0%} floor"
    elif n.kind == "drift_warning":
        detail = f"{evidence}; {v.warning_statistic:.2f} >= {v.warning_threshold:.2f} below baseline {_pct(v.baseline_rate)}"
    else:
        rule = n.fingerprint.split(":", 1)[0]
        detail = f"{rule} resolved; {evidence}"
    return BacktestAlert(v.as_of, v.system_id, n.kind, c.rate, detail)


def backtest_main(argv: Sequence[str], *, out: TextIO, today: dt.date) -> int:
    options = backtest_parser().parse_args(list(argv))
    if options.start > options.end:
        raise InputError(f"--from {options.start} is after --to {options.end}", where="--from")
    if options.end > today:
        raise InputError(f"{options.end} is in the future (today is {today} UTC)", where="--to")
    config = _config(options.config)
    spec = resolve_source(config, options.source, options.table)
    alerts = backtest(config, spec, options.start, options.end)
    if options.format == "json":
        payload = {
            "source": spec.text,
            "from": options.start.isoformat(),
            "to": options.end.isoformat(),
            "alerts": [{**dataclasses.asdict(a), "date": a.date.isoformat()} for a in alerts],
        }
        json.dump(payload, out, indent=2)
        out.write("\n")
    else:
        out.write(f"backtest {options.start} to {options.end} — {spec.text}: {len(alerts)} alert(s)\n")
        for a in alerts:
            out.write(f"{a.date}  {a.system_id:<20} {a.kind:<14} {a.detail}\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run_cli(main, prog="predguard drift"))
