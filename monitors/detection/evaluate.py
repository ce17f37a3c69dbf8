"""evaluate(): one system's verdict on one day, with its evidence, from its daily history."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from predguard.monitors.detection.config import DetectionConfig
from predguard.monitors.detection.core import AlertPath, Trace, detect
from predguard.monitors.detection.rules import week_start
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


def _last_finite(values: FloatArray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if len(finite) else None


def _since(path: AlertPath, first: dt.date) -> dt.date | None:
    if not path.firing[-1]:
        return None
    return first + dt.timedelta(days=path.fired_on[-1])


def evaluate(
    system_id: str, history: Sequence[DayCount], as_of: dt.date, config: DetectionConfig = _DEFAULT
) -> Verdict:
    """The verdict for `system_id` on `as_of`: a pure function of the history up to as_of.

    `status` is the most severe firing alert (breach > drift_warning), else insufficient_data
    when the current window holds no graded prediction at all, else below_floor when its rate
    is under the floor (never "ok" below the floor), else ok. A firing alert is held (not
    resolved) through a data gap: only the recovery test resolves it, so callers should treat
    insufficient_data as "no change", never as resolved.
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
    week_n = np.bincount(week_index, weights=span_n, minlength=len(week_starts)).astype(float)
    week_hits = np.bincount(week_index, weights=span_hits, minlength=len(week_starts)).astype(float)
    weekly = _periods(week_starts, week_n, week_hits, config.min_week_n, config.confidence)

    notes: list[str] = []
    empty_weeks = [p for p in weekly if p.interval.n == 0]
    if empty_weeks:
        notes.append(f"{len(empty_weeks)} week(s) in the window without graded predictions")
    for period in weekly:
        partial = "" if period.start + dt.timedelta(days=6) <= as_of else " (week in progress)"
        iv = period.interval
        if 0 < iv.n < config.min_week_n:
            notes.append(
                f"week of {period.start.isoformat()}{partial}: only {iv.n} graded predictions, so its rate "
                f"{_pct(iv.rate)} is uncertain (95% interval {_pct(iv.low)} to {_pct(iv.high)}; "
                f"{config.min_week_n} would narrow it)"
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
        notes.insert(0, "no graded predictions for this system up to this day: there is nothing to judge yet")
        return Verdict(
            system_id=system_id, as_of=as_of, status="insufficient_data", firing=frozenset(),
            statistic=0.0, threshold=None, warning_statistic=0.0, warning_threshold=None,
            baseline_rate=None, floor=config.floor, current=current, daily=daily, weekly=weekly,
            notes=tuple(notes),
        )  # fmt: skip

    trace: Trace = detect(n, hits, config, first)
    ref = trace.reference
    weeks = trace.weeks
    firing: set[AlertKind] = set()
    if trace.breach.firing[-1]:
        firing.add("breach")
    if trace.warning.firing[-1]:
        firing.add("drift_warning")

    has_baseline = bool(ref.has_baseline[-1])
    if bool(ref.cold[-1]):
        notes.insert(
            0,
            f"no reference period yet ({int(ref.days[-1])} game days and {int(ref.n[-1])} graded predictions in the "
            f"{config.reference_days} days ending {config.reference_gap_days} days ago; need {config.min_reference_days} "
            f"and {config.min_reference_n}): judged against the {config.floor:.0%} floor from its first graded day "
            f"with a cautious day-to-day variation (phi {ref.phi[-1]:.2f}); no drift warning until there is a baseline",
        )
    elif bool(ref.carried[-1]):
        notes.insert(
            0,
            f"reference period thinned by a break ({int(ref.days[-1])} game days in the window): the last full "
            f"reference (baseline {_pct(float(ref.baseline[-1]))}, phi {ref.phi[-1]:.2f}) carries over",
        )
    if current.n == 0:
        last_game = first + dt.timedelta(days=int(np.flatnonzero(n > 0)[-1]))
        notes.insert(
            0,
            f"no graded predictions in the last {config.current_days} days (last graded game day {last_game.isoformat()})"
            + ("; the firing alert is held, not resolved: a break is not a recovery" if firing else ""),
        )
    elif not current.sufficient:
        notes.insert(
            0,
            f"last {config.current_days} days: only {current.n} graded predictions, so the rate {_pct(current.rate)} is "
            f"uncertain (95% interval {_pct(current.low)} to {_pct(current.high)}); the CUSUM and the weeks rule "
            "still judge it, pooling the days",
        )
    if "breach" in firing:
        notes.append(
            f"recovery test (rate back above {config.floor + config.recovery_margin:.0%}): "
            f"{trace.breach.recovery_statistic[-1]:.2f} of {_last_finite(trace.breach.recovery_threshold):.2f}"
        )
    if "drift_warning" in firing:
        notes.append(
            f"the drift warning resolves only once its recovery test passes on a day whose last {config.current_days} "
            f"days are at or above the {config.floor:.0%} floor"
        )
    reason = None
    if "breach" in firing:
        reason = "weeks_rule" if trace.breach.forced[-1] else "cusum"
        if reason == "weeks_rule":
            notes.insert(
                0,
                f"breach raised by the backstop: the team's weeks rule ({config.weeks_rule_weeks} complete weeks below "
                f"the floor) fired before the CUSUM reached its threshold",
            )

    status: Status
    if "breach" in firing:
        status = "breach"
    elif "drift_warning" in firing:
        status = "drift_warning"
    elif current.n == 0:
        status = "insufficient_data"
    elif current.rate is not None and current.rate < config.floor:
        status = "below_floor"
    else:
        status = "ok"

    baseline = float(ref.baseline[-1]) if has_baseline else None
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
        breach_reason=reason,
        notes=tuple(notes),
    )


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None or not math.isfinite(rate) else f"{rate:.1%}"
