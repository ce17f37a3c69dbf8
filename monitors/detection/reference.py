"""Per-day reference statistics: baseline rate, dispersion phi, typical volume.

For day t the reference is the window [t - gap - R, t - gap) clipped to the history, so each
day's parameters depend only on earlier days. All windows are computed at once from prefix
sums (O(days)).

Dispersion: phi = Pearson chi-square / (days - 1) with the window's pooled rate, i.e. the
observed variance of the daily rates over the binomial variance, floored at 1 (never make
the test *more* sensitive than independent predictions would allow).

A day whose reference window is too thin is still judged against the floor (the breach needs
no baseline), in one of two modes:
  carried  an earlier day had an adequate reference (the window emptied over an off-season
           or the All-Star break): that day's parameters, baseline included, carry over;
  cold     never had one (a new system, or low volume that never fills the reference): the
           volume and game-day share of the days so far, and phi from the days so far shrunk
           towards a conservative prior (the prior counts as `cold_start_prior_days` days);
           no baseline, so no drift warning.
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
    carried: BoolArray  # parameters carried from the last adequate day (a gap emptied the window)
    cold: BoolArray  # no adequate reference yet: judged against the floor with cold-start parameters

    @property
    def has_baseline(self) -> BoolArray:
        """Days with a baseline (their own or carried): the drift warning can be judged."""
        return self.adequate | self.carried


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
    mean_n = np.where(adequate, mean_n, 1.0)
    fraction = np.where(adequate, np.maximum(fraction, 1e-3), 1.0)

    # Carry the last adequate day's parameters forward over days whose window is too thin.
    source = np.where(adequate, t, -1)
    last_adequate = np.maximum.accumulate(source) if days else source
    carried = ~adequate & (last_adequate >= 0)
    take = np.where(carried, last_adequate, t)
    rate, phi, mean_n, fraction = rate[take], phi[take], mean_n[take], fraction[take]

    cold = ~adequate & ~carried
    if cold.any():
        c_phi, c_mean_n, c_fraction = _cold_start(n, hits, config)
        phi = np.where(cold, c_phi, phi)
        mean_n = np.where(cold, c_mean_n, mean_n)
        fraction = np.where(cold, c_fraction, fraction)
        rate = np.where(cold, np.nan, rate)
    return Reference(
        adequate=adequate,
        baseline=rate,
        phi=phi,
        mean_n=mean_n,
        game_day_fraction=fraction,
        days=game_days.astype(np.int64),
        n=total_n,
        carried=carried,
        cold=cold,
    )


def _cold_start(n: FloatArray, hits: FloatArray, config: DetectionConfig) -> tuple[FloatArray, FloatArray, FloatArray]:
    """phi, volume and game-day share for day t from the days so far (no reference period).

    Volume and game-day share include day t itself (they do not depend on its outcomes); phi
    uses only the days before t: (prior * w + Pearson chi-square) / (w + game days - 1), so
    with little history it stays near the prior and a lucky calm start cannot lower it below 1.
    """
    days = len(n)
    t = np.arange(days)
    played = n > 0
    game_days = np.cumsum(played.astype(float))
    mean_n = np.where(game_days > 0, np.cumsum(n) / np.maximum(game_days, 1.0), 1.0)
    fraction = np.maximum(game_days / (t + 1.0), 1e-3)
    prior_phi, weight = config.cold_start_phi, float(config.cold_start_prior_days)
    raw = dispersion(n, hits, t, days)  # over [0, t)
    past_days = np.concatenate(([0.0], game_days[:-1])) if days else game_days
    # dispersion() floors each estimate at 1 before the blend: that only makes it more conservative.
    pearson = np.where(past_days >= 2, raw * np.maximum(past_days - 1.0, 1.0), 0.0)
    phi = (prior_phi * weight + pearson) / (weight + np.maximum(past_days - 1.0, 0.0))
    return np.maximum(phi, 1.0), mean_n, fraction
