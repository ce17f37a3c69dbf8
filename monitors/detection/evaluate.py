"""evaluate(): one system's verdict on one day, with its evidence, from its daily history."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from predguard.monitors.detection.config import DetectionConfig
from predguard.monitors.detection.core import AlertPath, Trace, detect
from predguard.monitors.detection.rules import week_start, weeks_rule_path
from predguard.monitors.detection.wilson import wilson_bounds
from predguard.monitors.model import AlertKind, DayCount, Interval, PeriodRate, Status, Verdict
from predguard.errors import InputError

FloatArray = NDArray[np.float64]
_DEFAULT = DetectionConfig()


def daily_arrays(
    system_id: str, history: Sequence[DayCount], as_of: dt.date
) -> tuple[dt.date | None, FloatArray, FloatArray]:
    """(first day with graded predictions, n per day, hits per day) up to as_of inclusive.

    Days after as_of are ignored; missing days are days without games (n = 0).
    """
    rows = [row for row in history if row.day <= as_of]
    if not rows:
        return None, np.zeros(0), np.zeros(0)
    ordinals = np.fromiter((row.day.toordinal() for row in rows), dtype=np.int64, count=len(rows))
    n_rows = np.fromiter((row.n for row in rows), dtype=float, count=len(rows))
    hit_rows = np.fromiter((row.hits for row in rows), dtype=float, count=len(rows))
    impossible = (n_rows < 0) | (hit_rows < 0) | (hit_rows > n_rows)
    if impossible.any():
        row = rows[int(np.argmax(impossible))]
        raise InputError(
            f"day {row.day.isoformat()}: {row.hits} hits out of {row.n} graded predictions is impossible",
            where=f"history of {system_id}",
        )
    unique, counts = np.unique(ordinals, return_counts=True)
    if (counts > 1).any():
        twice = dt.date.fromordinal(int(unique[np.argmax(counts > 1)]))
        raise InputError(f"day {twice.isoformat()} appears twice", where=f"history of {system_id}")
    played = n_rows > 0
    if not played.any():
        return None, np.zeros(0), np.zeros(0)
    first = int(ordinals[played].min())
    days = as_of.toordinal() - first + 1
    keep = ordinals >= first
    n = np.zeros(days)
    hits = np.zeros(days)
    n[ordinals[keep] - first] = n_rows[keep]
    hits[ordinals[keep] - first] = hit_rows[keep]
    return dt.date.fromordinal(first), n, hits


def _interval(hits: float, n: float, low: float, high: float, minimum: int) -> Interval:
    count = int(n)
    if count == 0:
        return Interval(rate=None, low=None, high=None, n=0, hits=0, sufficient=False)
    return Interval(rate=hits / n, low=float(low), high=float(high), n=count, hits=int(hits), sufficient=count >= minimum)


def _periods(
    starts: list[dt.date], n: FloatArray, hits: FloatArray, minimum: int, confidence: float
) -> tuple[PeriodRate, ...]:
    low, high = wilson_bounds(hits, n, confidence)
    rows = zip(starts, hits.tolist(), n.tolist(), low.tolist(), high.tolist())
    return tuple(PeriodRate(start=s, interval=_interval(x, m, lo, hi, minimum)) for s, x, m, lo, hi in rows)


def _last_finite(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if len(finite) else 0.0


def _since(path: AlertPath, first: dt.date) -> dt.date | None:
    if not path.firing[-1]:
        return None
    return first + dt.timedelta(days=path.fired_on[-1])


def evaluate(
    system_id: str, history: Sequence[DayCount], as_of: dt.date, config: DetectionConfig = _DEFAULT
) -> Verdict:
    """The verdict for `system_id` on `as_of`: a pure function of the history up to as_of.

    `status` is the most severe firing alert (breach > drift_warning), else insufficient_data
    when the reference period or the current window has too few graded predictions, else ok.
    A firing alert is held (not resolved) through a data gap: only the recovery test
    resolves it, so callers should treat insufficient_data as "no change", never as resolved.
    The CUSUM path starts at the first graded day passed in: the daily job and the backtest
    pass the same window (`config.history_days` days ending on as_of) so they agree.
    """
    first, n, hits = daily_arrays(system_id, history, as_of)
    window_days = 7 * config.evaluation_weeks
    window_first = as_of - dt.timedelta(days=window_days - 1)

    # Evidence: whole Sunday weeks from the one holding the window's first day, up to as_of.
    week0 = week_start(window_first)
    span = (as_of - week0).days + 1
    span_n = np.zeros(span)
    span_hits = np.zeros(span)
    if first is not None:
        offset = (week0 - first).days  # may be negative: days before the first graded day are zeros
        src_lo = max(offset, 0)
        span_n[src_lo - offset :] = n[src_lo:]
        span_hits[src_lo - offset :] = hits[src_lo:]
    day_starts = [window_first + dt.timedelta(days=k) for k in range(window_days)]
    daily = _periods(day_starts, span_n[-window_days:], span_hits[-window_days:], config.min_day_n, config.confidence)
    week_starts = [week0 + dt.timedelta(days=7 * k) for k in range((span + 6) // 7)]
    week_index = np.arange(span) // 7
    week_n = np.bincount(week_index, weights=span_n, minlength=len(week_starts))
    week_hits = np.bincount(week_index, weights=span_hits, minlength=len(week_starts))
    weekly = _periods(week_starts, week_n, week_hits, config.min_week_n, config.confidence)

    notes: list[str] = []
    empty_weeks = [p for p in weekly if p.interval.n == 0]
    if empty_weeks:
        notes.append(f"{len(empty_weeks)} week(s) in the window without graded predictions")
    for period in weekly:
        partial = "" if period.start + dt.timedelta(days=6) <= as_of else " (week in progress)"
        if 0 < period.interval.n < config.min_week_n:
            notes.append(
                f"week of {period.start.isoformat()}{partial}: {period.interval.n} graded predictions, "
                f"too few to judge (minimum {config.min_week_n})"
            )
    short_days = [p for p in daily if 0 < p.interval.n < config.min_day_n]
    if short_days:
        notes.append(
            f"{len(short_days)} day(s) in the window with fewer than {config.min_day_n} graded predictions "
            "are shown but weigh little (the CUSUM weights each day by its size)"
        )

    cur_n = float(n[-config.current_days :].sum())
    cur_hits = float(hits[-config.current_days :].sum())
    cur_low, cur_high = wilson_bounds(np.array([cur_hits]), np.array([cur_n]), config.confidence)
    current = _interval(cur_hits, cur_n, cur_low[0], cur_high[0], config.min_current_n)

    if first is None:
        notes.insert(0, "no graded predictions up to this day: nothing to judge")
        return Verdict(
            system_id=system_id, as_of=as_of, status="insufficient_data", firing=frozenset(),
            statistic=0.0, threshold=0.0, warning_statistic=0.0, warning_threshold=0.0,
            baseline_rate=None, floor=config.floor, current=current, daily=daily, weekly=weekly,
            notes=tuple(notes),
        )  # fmt: skip

    trace: Trace = detect(n, hits, config)
    ref = trace.reference
    weeks = weeks_rule_path(first, n, hits, config)
    firing: set[AlertKind] = set()
    if trace.breach.firing[-1]:
        firing.add("breach")
    if trace.warning.firing[-1]:
        firing.add("drift_warning")

    judged = bool(ref.adequate[-1])
    if not judged:
        notes.insert(
            0,
            f"reference period too short: {int(ref.days[-1])} days and {int(ref.n[-1])} graded predictions "
            f"(need {config.min_reference_days} days and {config.min_reference_n} predictions, "
            f"{config.reference_days} days ending {config.reference_gap_days} days before this day)",
        )
    if not current.sufficient:
        notes.insert(
            0,
            f"last {config.current_days} days: {current.n} graded predictions, too few to judge "
            f"(minimum {config.min_current_n})" + ("; the firing alert is held, not resolved" if firing else ""),
        )
    if "breach" in firing:
        notes.append(
            f"recovery test (rate back above {config.floor + config.recovery_margin:.0%}): "
            f"{trace.breach.recovery_statistic[-1]:.2f} of {_last_finite(trace.breach.recovery_threshold):.2f}"
        )

    status: Status
    if "breach" in firing:
        status = "breach"
    elif "drift_warning" in firing:
        status = "drift_warning"
    elif not judged or not current.sufficient:
        status = "insufficient_data"
    else:
        status = "ok"

    baseline = float(ref.baseline[-1]) if judged else None
    return Verdict(
        system_id=system_id,
        as_of=as_of,
        status=status,
        firing=frozenset(firing),
        statistic=float(trace.breach.statistic[-1]),
        threshold=_last_finite(trace.breach.threshold),
        warning_statistic=float(trace.warning.statistic[-1]),
        warning_threshold=_last_finite(trace.warning.threshold),
        baseline_rate=baseline if baseline is None or math.isfinite(baseline) else None,
        floor=config.floor,
        current=current,
        daily=daily,
        weekly=weekly,
        breach_since=_since(trace.breach, first),
        below_floor_weeks=int(weeks.below_floor_weeks[-1]),
        weeks_rule_firing=bool(weeks.firing[-1]),
        notes=tuple(notes),
    )
