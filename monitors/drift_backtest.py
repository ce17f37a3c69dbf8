"""`predguard drift backtest`: replay the daily job over past days, alert state in memory.

Same data, same day, same report as the daily job, with two differences the output names:
- grades: the backtest sees on day D only what was graded by D (the table's graded_at, else
  the day after the game), while `predguard drift --as-of D` re-run later sees every grade
  for games up to D. Where that changes an alert, its detail says what the daily job re-run
  would report and how many grades arrived late;
- state: the alert state starts empty on --from, so an alert already firing before that day
  is reported as new on its first replayed day.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from predguard.errors import InputError
from predguard.monitors.config import DriftConfig
from predguard.monitors.drift_job import Evaluate, detection, evaluate_all, window_days
from predguard.monitors.drift_render import pct
from predguard.monitors.model import Notification
from predguard.monitors.sources import DailyRow, Source, SourceSpec, graded_on, histories, open_source
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
            for n in notifications:
                if n.kind == "reminder":
                    continue
                alert = _alert(n)
                why = _daily_job_differs(n, aggregate.rows, window_start, day, detection_config, evaluate)
                alerts.append(alert if why is None else dataclasses.replace(alert, detail=f"{alert.detail}; {why}"))
        day += dt.timedelta(days=1)
    return alerts


def _daily_job_differs(
    n: Notification, rows: Sequence[DailyRow], window_start: dt.date, day: dt.date, detection_config: Any, evaluate: Evaluate
) -> str | None:
    """Why `predguard drift --as-of day`, re-run now, would not report this alert, or None."""
    system = n.verdict.system_id
    complete = histories(rows, window_start, day).get(system, [])
    late = sum(r.n for r in rows if r.system_id == system and window_start <= r.game_date <= day and graded_on(r) > day)
    if not late:
        return None
    verdict = evaluate(system, complete, day, detection_config)
    rule = n.fingerprint.split(":", 1)[0]
    same = (rule in verdict.firing) == (n.kind != "resolved")
    if same:
        return None
    return (
        f"the daily job re-run for {day} would say {verdict.status} instead: it also sees {late} grades "
        f"for games up to {day} that were graded after it"
    )


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
