"""`predguard drift backtest`: replay the daily job over past days, alert state in memory."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from predguard.errors import InputError
from predguard.monitors.config import DriftConfig
from predguard.monitors.drift_job import detection, evaluate_all, window_days
from predguard.monitors.drift_render import pct
from predguard.monitors.model import Notification
from predguard.monitors.sources import Source, SourceSpec, histories, open_source
from predguard.monitors.state import AlertRecord, step


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
    detection_config, evaluate = detection(config)
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
    evidence = f"hit rate {pct(c.rate)} [{pct(c.low)}, {pct(c.high)}] n={c.n}"
    if n.kind == "breach":
        if v.breach_reason == "weeks_rule":
            detail = f"{evidence}; the weeks rule fired ({v.below_floor_weeks} complete weeks below the {v.floor:.0%} floor)"
        else:
            detail = f"{evidence}; CUSUM {v.statistic:.2f} >= {v.threshold or 0:.2f} below the {v.floor:.0%} floor"
    elif n.kind == "drift_warning":
        detail = f"{evidence}; {v.warning_statistic:.2f} >= {v.warning_threshold or 0:.2f} below baseline {pct(v.baseline_rate)}"
    else:
        rule = n.fingerprint.split(":", 1)[0]
        detail = f"{rule} resolved; {evidence}"
    return BacktestAlert(v.as_of, v.system_id, n.kind, c.rate, detail)
