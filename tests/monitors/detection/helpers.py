"""Streams for the detection tests: deterministic where a test needs exact behaviour."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from predguard.monitors.model import DayCount

SUNDAY = dt.date(2025, 1, 5)


def constant_history(hits_per_day: Sequence[int], n: int = 100, start: dt.date = SUNDAY) -> list[DayCount]:
    """One DayCount a day with exactly these hits out of n."""
    return [DayCount(start + dt.timedelta(days=i), n, hits) for i, hits in enumerate(hits_per_day)]


def random_history(rates: Sequence[float], n: int, seed: int, start: dt.date = SUNDAY) -> list[DayCount]:
    rng = np.random.default_rng(seed)
    hits = rng.binomial(n, np.asarray(rates))
    return [DayCount(start + dt.timedelta(days=i), n, int(h)) for i, h in enumerate(hits)]


def day(index: int, start: dt.date = SUNDAY) -> dt.date:
    return start + dt.timedelta(days=index)
