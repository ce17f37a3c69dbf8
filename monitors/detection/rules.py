"""The team's rule: the weekly hit rate below the floor for N or more consecutive complete weeks.

Weeks start on Sunday, like BigQuery's DATE_TRUNC(d, WEEK). A week is judged only when it is
complete and has at least `weeks_rule_min_n` graded predictions (default 1: any graded
prediction, as the team applies the rule); a week with fewer breaks the run of consecutive
weeks (it cannot count as evidence either way). The detection core uses the rule's onsets as
a backstop for the breach, so the monitor never fires later than the rule it replaces.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predguard.monitors.detection.config import DetectionConfig

FloatArray = NDArray[np.float64]


def week_start(day: dt.date) -> dt.date:
    """The Sunday on or before `day`."""
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


@dataclass(frozen=True)
class WeeksRulePath:
    below_floor_weeks: NDArray[np.int64]  # per day: consecutive complete judged weeks below the floor
    firing: NDArray[np.bool_]  # per day: below_floor_weeks >= the configured number of weeks


def weeks_rule_path(first_day: dt.date, n: FloatArray, hits: FloatArray, config: DetectionConfig) -> WeeksRulePath:
    """The rule's state on every day of a daily series that starts on `first_day`."""
    days = len(n)
    offset = (first_day.weekday() + 1) % 7  # days between the first Sunday and first_day
    week_of_day = (np.arange(days) + offset) // 7
    weeks = int(week_of_day[-1]) + 1 if days else 0
    week_n = np.bincount(week_of_day, weights=n, minlength=weeks)
    week_hits = np.bincount(week_of_day, weights=hits, minlength=weeks)
    with np.errstate(invalid="ignore", divide="ignore"):
        below = (week_n >= max(config.weeks_rule_min_n, 1)) & (week_hits / week_n < config.floor)
    run = np.zeros(weeks, dtype=np.int64)
    for w in range(weeks):  # a few hundred weeks at most
        run[w] = run[w - 1] + 1 if below[w] and w > 0 else int(below[w])
    # The last complete week on day t ends on a Saturday <= t.
    last_complete = (np.arange(days) + offset + 1) // 7 - 1
    count = np.where(last_complete >= 0, run[np.maximum(last_complete, 0)], 0)
    return WeeksRulePath(below_floor_weeks=count, firing=count >= config.weeks_rule_weeks)
