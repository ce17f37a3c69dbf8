"""The detection core on arrays: the whole daily path of every statistic, at once.

`detect(n, hits, config, first_day)` takes graded predictions and hits per calendar day (day
0 = `first_day`, the first day with graded predictions, one entry per day, zeros for days without games) and
returns every day's statistics, thresholds and firing flags. It is causal: day t depends
only on days <= t, so `evaluate(as_of)` is `detect(history up to as_of)` read at its last
day, and the benchmark can run `detect` once per simulated stream (the tests prove both equal).

Two alerts, each a pair of one-sided CUSUMs with hysteresis:
  breach:        down-CUSUM against the floor           -> fires;  up-CUSUM against
                 floor + recovery_margin                -> resolves (never one good day)
  drift_warning: down-CUSUM against baseline - drop/2   -> fires;  up-CUSUM against
                 baseline - drop/2 + margin             -> resolves
Each day adds at most 1/min_recovery_days of the recovery threshold (a winsorised
up-CUSUM), so one very good day never resolves an alert. After a resolve the down-CUSUM
restarts from zero, so an alert cannot flap back the next day.

The breach is judged from the first graded day (cold-start parameters until a reference
exists, see `reference`), and at low volume (`weeks_rule_backstop_below_n` a day) the team's
weeks rule is its backstop: the day the rule starts firing, the breach fires too if the CUSUM
has not already (recorded as fired by the rule), so there the monitor is never later than the
rule it replaces; above that volume the CUSUM is faster than the rule on its own. Resolving needs evidence, never a gap:
the up-CUSUMs only move on days with graded predictions, and a drift warning resolves only on
a day whose last `current_days` days are at or above the floor.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predguard.monitors.detection.config import DetectionConfig
from predguard.monitors.detection.cusum import (
    first_crossing,
    increments,
    llr_weights,
    reflected_path,
    siegmund_threshold,
)
from predguard.monitors.detection.reference import Reference, reference_stats
from predguard.monitors.detection.rules import WeeksRulePath, weeks_rule_path

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class AlertPath:
    """One alert's daily path: its CUSUM, its recovery CUSUM, thresholds and firing days."""

    statistic: FloatArray
    threshold: FloatArray  # inf on days that cannot be judged
    recovery_statistic: FloatArray
    recovery_threshold: FloatArray
    firing: BoolArray
    fired_on: tuple[int, ...]  # day indexes where the alert started firing
    forced: tuple[bool, ...]  # per fired_on: raised by the backstop (the weeks rule), not the CUSUM
    resolved_on: tuple[int, ...]  # day indexes where recovery was confirmed


@dataclass(frozen=True)
class Trace:
    reference: Reference
    breach: AlertPath
    warning: AlertPath
    weeks: WeeksRulePath


def with_hysteresis(
    down: FloatArray,
    down_h: FloatArray,
    up: FloatArray,
    up_h: FloatArray,
    forced: BoolArray | None = None,
    resolvable: BoolArray | None = None,
) -> AlertPath:
    """Run fire/resolve segments: each segment is one vectorised reflected CUSUM.

    forced: days the alert fires whatever its CUSUM says (the backstop);
    resolvable: days on which a confirmed recovery may resolve it.
    """
    days = len(down)
    stat = np.zeros(days)
    rec = np.zeros(days)
    firing = np.zeros(days, dtype=bool)
    fired: list[int] = []
    by_rule: list[bool] = []
    resolved: list[int] = []
    up_gate = up_h if resolvable is None else np.where(resolvable, up_h, np.inf)
    t = 0
    while t < days:
        path = reflected_path(down[t:])
        i = first_crossing(path, down_h[t:])
        k = None if forced is None or not forced[t:].any() else int(np.argmax(forced[t:]))
        if k is not None and (i is None or k < i):
            i, rule = k, True
        else:
            rule = False
        if i is None:
            stat[t:] = path
            break
        fire = t + i
        stat[t : fire + 1] = path[: i + 1]
        fired.append(fire)
        by_rule.append(rule)
        start = fire + 1
        if start >= days:
            firing[fire] = True
            break
        recovery = reflected_path(up[start:])
        j = first_crossing(recovery, up_gate[start:])
        end = days if j is None else start + j  # firing stops on the day recovery is confirmed
        firing[fire:end] = True
        last = days if j is None else end + 1
        rec[start:last] = recovery[: last - start]
        # While firing the down statistic keeps accumulating (it shows how deep the breach is);
        # on the day recovery is confirmed it restarts from zero with that (good) day.
        stat[start:end] = reflected_path(down[start:end], start=float(path[i]))
        if j is None:
            break
        resolved.append(end)
        t = end
    return AlertPath(stat, down_h, rec, up_h, firing, tuple(fired), tuple(by_rule), tuple(resolved))


def detect(n: FloatArray, hits: FloatArray, config: DetectionConfig, first_day: dt.date) -> Trace:
    n = np.asarray(n, dtype=float)
    hits = np.asarray(hits, dtype=float)
    ref = reference_stats(n, hits, config)
    weeks = weeks_rule_path(first_day, n, hits, config)

    def cusum(
        p0: FloatArray | float, p1: FloatArray | float, design: FloatArray | float, budget: float, judged: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        """Increments of the LLR CUSUM of p1 vs p0 and the threshold for `budget` at `design`."""
        hit_w, miss_w = llr_weights(p0, p1)
        with np.errstate(invalid="ignore"):
            inc = np.where(judged, increments(n, hits, hit_w, miss_w, ref.phi), 0.0)
            design_rate = np.asarray(design, dtype=float)
            h = siegmund_threshold(hit_w, miss_w, design_rate, ref.mean_n, ref.game_day_fraction, ref.phi, budget)
        return inc, np.where(judged, h, np.inf)  # days that cannot be judged cannot alarm

    everywhere = np.ones(len(n), dtype=bool)
    floor, half = config.floor, config.breach_shift / 2
    breach_inc, breach_h = cusum(floor + half, floor - half, floor + half, config.breach_false_alarms_per_year, everywhere)
    up = floor + config.recovery_margin
    recovery_inc, recovery_h = cusum(up - half, up + half, floor, config.false_recoveries_per_year, everywhere)
    recovery_inc = np.minimum(recovery_inc, recovery_h / config.min_recovery_days)
    previous = np.concatenate(([False], weeks.firing[:-1]))
    rule_onsets = weeks.firing & ~previous & (ref.mean_n < config.weeks_rule_backstop_below_n)

    drop = config.warning_drop
    judged = ref.has_baseline
    baseline = np.clip(np.where(judged, ref.baseline, 0.5), drop + 0.01, 0.99)
    warn_inc, warn_h = cusum(baseline, baseline - drop, baseline, config.warning_false_alarms_per_year, judged)
    warn_up = baseline - drop / 2 + config.warning_recovery_margin
    low = np.clip(warn_up - drop / 2, 0.005, 0.995)
    high = np.clip(warn_up + drop / 2, 0.005, 0.995)
    warn_rec_inc, warn_rec_h = cusum(low, high, baseline - drop, config.false_recoveries_per_year, judged)
    warn_rec_inc = np.minimum(warn_rec_inc, warn_rec_h / config.min_recovery_days)
    recent_n, recent_hits = trailing_sums(n, config.current_days), trailing_sums(hits, config.current_days)
    at_or_above_floor = (recent_n > 0) & (recent_hits >= floor * recent_n)

    return Trace(
        reference=ref,
        breach=with_hysteresis(breach_inc, breach_h, recovery_inc, recovery_h, forced=rule_onsets),
        warning=with_hysteresis(warn_inc, warn_h, warn_rec_inc, warn_rec_h, resolvable=at_or_above_floor),
        weeks=weeks,
    )


def trailing_sums(values: FloatArray, days: int) -> FloatArray:
    """Sum of the last `days` values up to and including each day."""
    c = np.concatenate(([0.0], np.cumsum(values)))
    t = np.arange(len(values))
    return c[t + 1] - c[np.maximum(t + 1 - days, 0)]
