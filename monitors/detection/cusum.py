"""Variation-scaled Bernoulli CUSUM on daily counts, and its threshold from a false-alarm budget.

One day with `n` graded predictions and `x` hits adds the log-likelihood ratio of p1 against
p0,  x*log(p1/p0) + (n-x)*log((1-p1)/(1-p0)),  divided by the dispersion factor phi (the
quasi-likelihood scaling: predictions on one day's games are correlated, so a day carries
less evidence than n independent coin flips). The statistic is reflected at zero (Page).

Threshold: Siegmund's approximation of the average run length of a reflected random walk
with per-day mean mu < 0 and sd sigma (D = mu/sigma, b = h/sigma + 1.166):
    ARL ~= (exp(2|D|b) - 2|D|b - 1) / (2 D^2)
solved for h at the design point so that ARL = (game days per year) / budget. Dividing the
increments by phi keeps 2|mu|h/sigma^2 (the exponent) the same as for binomial data, which
is why scaling by phi holds the budget under over-dispersion. The benchmark checks the
approximation by simulation on calibration seeds (benchmarks/README.md).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
SIEGMUND_CORRECTION = 1.166  # 2 * 0.583, the overshoot correction for normal increments
DAYS_PER_YEAR = 365.25


def llr_weights(p0: FloatArray | float, p1: FloatArray | float) -> tuple[FloatArray, FloatArray]:
    """Per-prediction log-likelihood ratio of p1 vs p0: (weight of a hit, weight of a miss)."""
    p0 = np.asarray(p0, dtype=float)
    p1 = np.asarray(p1, dtype=float)
    return np.log(p1 / p0), np.log((1.0 - p1) / (1.0 - p0))


def increments(
    n: FloatArray, hits: FloatArray, hit_weight: FloatArray, miss_weight: FloatArray, phi: FloatArray
) -> FloatArray:
    """Daily CUSUM increments, scaled by 1/phi; days without games add nothing."""
    return (hits * hit_weight + (n - hits) * miss_weight) / phi


def reflected_path(increments_: FloatArray, start: float = 0.0) -> FloatArray:
    """S_t = max(0, S_{t-1} + inc_t) with S_{-1} = start, vectorised (Lindley's recursion).

    S_t = C_t - min(-start, min_{j<=t} C_j) where C is the cumulative sum of the increments.
    """
    c = np.cumsum(increments_)
    return c - np.minimum(np.minimum.accumulate(c), -start)


def first_crossing(path: FloatArray, threshold: FloatArray) -> int | None:
    """Index of the first day the statistic reaches its threshold, or None."""
    hit = path >= threshold
    if not hit.any():
        return None
    return int(np.argmax(hit))


def _solve_exponent(c: FloatArray) -> FloatArray:
    """y > 0 with exp(y) - y - 1 = c, by Newton (the function is convex and increasing).

    The starting points are within a few percent of the root (sqrt(2c) for small c, the
    fixed point of y = log(1 + c + y) for large c); 5 steps give full double precision.
    """
    c = np.maximum(c, 1e-12)
    y = np.where(c < 2.0, np.sqrt(2.0 * c), np.log1p(c + np.log1p(c) + 1.0))
    for _ in range(5):
        e = np.exp(y)
        y = y - (e - y - 1.0 - c) / (e - 1.0)
    return y


def siegmund_threshold(
    hit_weight: FloatArray,
    miss_weight: FloatArray,
    design_rate: FloatArray,
    mean_n: FloatArray,
    game_day_fraction: FloatArray,
    phi: FloatArray,
    false_alarms_per_year: float,
) -> FloatArray:
    """CUSUM threshold h with one false alarm per 1/budget years at `design_rate`.

    mean_n: graded predictions on a typical game day; game_day_fraction: share of calendar
    days with games (the budget is per calendar year). The drift at the design rate must be
    negative (the caller's design guarantees it).
    """
    mean_per_prediction = design_rate * hit_weight + (1.0 - design_rate) * miss_weight
    var_per_prediction = (hit_weight - miss_weight) ** 2 * design_rate * (1.0 - design_rate)
    mu = mean_n * mean_per_prediction / phi
    sigma = np.sqrt(mean_n * var_per_prediction / phi)
    drift = np.abs(mu / sigma)
    arl_game_days = DAYS_PER_YEAR * game_day_fraction / false_alarms_per_year
    y = _solve_exponent(2.0 * drift * drift * arl_game_days)
    b = y / (2.0 * drift)
    # Never below half a day's sd: with a tiny budget the correction could make h negative.
    return sigma * np.maximum(b - SIEGMUND_CORRECTION, 0.5)
