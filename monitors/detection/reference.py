"""Per-day reference statistics: baseline rate, dispersion phi, typical volume.

For day t the reference is the window [t - gap - R, t - gap) clipped to the history, so each
day's parameters depend only on earlier days. All windows are computed at once from prefix
sums (O(days)).

Dispersion: phi = Pearson chi-square / (days - 1) with the window's pooled rate, i.e. the
observed variance of the daily rates over the binomial variance, floored at 1 (never make
the test *more* sensitive than independent predictions would allow).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predguard.monitors.detection.config import DetectionConfig

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Reference:
    adequate: BoolArray  # enough reference data to judge day t
    baseline: FloatArray  # pooled hit rate of the reference (clipped to [0.02, 0.98])
    phi: FloatArray  # dispersion factor >= 1
    mean_n: FloatArray  # graded predictions per game day
    game_day_fraction: FloatArray  # share of calendar days with games
    days: NDArray[np.int64]  # game days in the reference
    n: FloatArray  # graded predictions in the reference


def _window_sums(values: FloatArray, lo: NDArray[np.int64], hi: NDArray[np.int64]) -> FloatArray:
    prefix = np.concatenate(([0.0], np.cumsum(values)))
    return prefix[hi] - prefix[lo]


def dispersion(n: FloatArray, hits: FloatArray, hi: NDArray[np.int64], window: int) -> FloatArray:
    """phi over the `window` days ending before `hi`, floored at 1."""
    lo = np.clip(hi - window, 0, len(n))
    played = n > 0
    safe_n = np.where(played, n, 1.0)
    game_days = _window_sums(played.astype(float), lo, hi)
    total_n = _window_sums(n, lo, hi)
    total_hits = _window_sums(hits, lo, hi)
    sum_sq = _window_sums(np.where(played, hits * hits / safe_n, 0.0), lo, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.clip(np.where(total_n > 0, total_hits / total_n, 0.5), 0.02, 0.98)
        # sum_i (x_i - n_i p)^2 / n_i, expanded so it is a function of window sums only
        pearson = sum_sq - 2.0 * rate * total_hits + rate * rate * total_n
        phi = pearson / (rate * (1.0 - rate) * np.maximum(game_days - 1.0, 1.0))
    return np.where(game_days >= 2, np.maximum(phi, 1.0), 1.0)


def reference_stats(n: FloatArray, hits: FloatArray, config: DetectionConfig) -> Reference:
    days = len(n)
    t = np.arange(days)
    hi = np.clip(t - config.reference_gap_days, 0, days)
    lo = np.clip(t - config.reference_gap_days - config.reference_days, 0, days)
    played = n > 0
    game_days = _window_sums(played.astype(float), lo, hi)
    total_n = _window_sums(n, lo, hi)
    total_hits = _window_sums(hits, lo, hi)
    adequate = (game_days >= config.min_reference_days) & (total_n >= max(config.min_reference_n, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.clip(np.where(total_n > 0, total_hits / total_n, 0.5), 0.02, 0.98)
        mean_n = np.where(game_days > 0, total_n / np.maximum(game_days, 1.0), 1.0)
        fraction = np.where(hi > lo, game_days / np.maximum(hi - lo, 1), 1.0)
    phi = np.where(adequate, dispersion(n, hits, hi, config.dispersion_days), 1.0)
    return Reference(
        adequate=adequate,
        baseline=rate,
        phi=phi,
        mean_n=np.where(adequate, mean_n, 1.0),
        game_day_fraction=np.where(adequate, np.maximum(fraction, 1e-3), 1.0),
        days=game_days.astype(np.int64),
        n=total_n,
    )
