"""Wilson score intervals for a hit rate (scalar and vectorised)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
# ndtri is the normal quantile scipy.stats.norm.ppf calls; importing scipy.stats costs ~1 s.
from scipy.special import ndtri


@lru_cache(maxsize=16)
def z_for(confidence: float) -> float:
    """Two-sided normal quantile, e.g. 1.959964 for 0.95."""
    return float(ndtri(0.5 + confidence / 2.0))


def wilson_bounds(
    hits: NDArray[np.float64], n: NDArray[np.float64], confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson bounds per element; NaN where n == 0 (no data is not a rate of zero)."""
    z = z_for(confidence)
    n = np.asarray(n, dtype=float)
    hits = np.asarray(hits, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """(low, high) for `hits` out of `n`, or None when n == 0."""
    if n <= 0:
        return None
    low, high = wilson_bounds(np.array([hits]), np.array([n]), confidence)
    return float(low[0]), float(high[0])
