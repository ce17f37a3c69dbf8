"""Verdicts and Notifications built directly, for the alert delivery tests (no detection run).

The numbers follow the real incident: a weekly hit rate falling from 69% to 48%, 100 graded
predictions a day, deterministic (no randomness) so charts and messages are reproducible.
"""
from __future__ import annotations

import datetime as dt
import math

from predguard.monitors.model import Interval, Notification, PeriodRate, Verdict

AS_OF = dt.date(2026, 2, 1)
DAYS = 70
PER_DAY = 100


def wilson(hits: int, n: int, z: float = 1.96, minimum: int = 30) -> Interval:
    if n == 0:
        return Interval(rate=None, low=None, high=None, n=0, hits=0, sufficient=False)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(rate=p, low=centre - half, high=centre + half, n=n, hits=hits, sufficient=n >= minimum)


def incident_rate(day_index: int) -> float:
    """69.2% for 5 weeks, then a linear fall to 48.3% over 4 weeks, then flat."""
    if day_index < 35:
        return 0.692
    return max(0.483, 0.692 - (0.692 - 0.483) * (day_index - 35) / 28)


def sample_verdict(
    *,
    system_id: str = "catboost-v3",
    as_of: dt.date = AS_OF,
    status: str = "breach",
    thin_week: bool = True,
) -> Verdict:
    start = as_of - dt.timedelta(days=DAYS - 1)
    days = [start + dt.timedelta(days=i) for i in range(DAYS)]
    counts = []
    for i, day in enumerate(days):
        n = PER_DAY
        if thin_week and 14 <= i < 21:  # a week with few graded games (a league break)
            n = 3
        counts.append((day, round(incident_rate(i) * n), n))
    daily = tuple(PeriodRate(day, wilson(h, n, minimum=20)) for day, h, n in counts)
    weekly = []
    for w in range(0, DAYS, 7):
        chunk = counts[w : w + 7]
        weekly.append(PeriodRate(chunk[0][0], wilson(sum(c[1] for c in chunk), sum(c[2] for c in chunk), minimum=100)))
    last7 = counts[-7:]
    current = wilson(sum(c[1] for c in last7), sum(c[2] for c in last7), minimum=100)
    firing = frozenset({"breach", "drift_warning"}) if status == "breach" else frozenset()
    return Verdict(
        system_id=system_id,
        as_of=as_of,
        status=status,  # type: ignore[arg-type]
        firing=firing,  # type: ignore[arg-type]
        statistic=6.4 if status == "breach" else 0.3,
        threshold=4.8,
        warning_statistic=7.9,
        warning_threshold=5.0,
        baseline_rate=0.692,
        floor=0.55,
        current=current,
        daily=daily,
        weekly=tuple(weekly),
        breach_since=as_of - dt.timedelta(days=12) if status == "breach" else None,
        below_floor_weeks=2 if status == "breach" else 0,
        weeks_rule_firing=status == "breach",
        notes=(f"week of {weekly[2].start.isoformat()}: 21 graded predictions, too few to judge",) if thin_week else (),
    )


def sample_notification(
    kind: str = "breach",
    *,
    system_id: str = "catboost-v3",
    as_of: dt.date = AS_OF,
    thread_ts: str | None = None,
    rule: str = "breach",
    chart_png: bytes | None = None,
) -> Notification:
    verdict = sample_verdict(system_id=system_id, as_of=as_of, status="ok" if kind == "resolved" else "breach")
    fingerprint = f"{rule}:{system_id}"
    return Notification(
        key=f"{fingerprint}:{kind}:{as_of.isoformat()}",
        fingerprint=fingerprint,
        kind=kind,  # type: ignore[arg-type]
        verdict=verdict,
        thread_ts=thread_ts,
        chart_png=chart_png,
    )
