from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from predguard.monitors.detection.config import DetectionConfig
from predguard.monitors.detection.core import detect
from tests.monitors.detection.helpers import SUNDAY
from predguard.monitors.detection.cusum import (
    _solve_exponent,
    first_crossing,
    llr_weights,
    reflected_path,
    siegmund_threshold,
)


def loop_cusum(increments: list[float], start: float = 0.0) -> list[float]:
    out, s = [], start
    for inc in increments:
        s = max(0.0, s + inc)
        out.append(s)
    return out


@pytest.mark.parametrize("start", [0.0, 2.5])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reflected_path_is_pages_recursion(seed: int, start: float) -> None:
    increments = np.random.default_rng(seed).normal(-0.2, 1.0, 300)
    assert reflected_path(increments, start=start) == pytest.approx(loop_cusum(increments.tolist(), start))


def test_first_crossing() -> None:
    path = np.array([0.0, 1.0, 3.0, 5.0, 2.0])
    assert first_crossing(path, np.full(5, 3.0)) == 2
    assert first_crossing(path, np.full(5, 6.0)) is None
    assert first_crossing(path, np.array([np.inf, np.inf, np.inf, 4.0, 1.0])) == 3


def test_llr_weights_sign() -> None:
    hit, miss = llr_weights(0.60, 0.50)  # evidence for the lower rate
    assert hit < 0 < miss
    # The increment's mean is zero at (about) the midpoint: the floor for the breach design.
    zero_rate = miss / (miss - hit)
    assert zero_rate == pytest.approx(0.5503, abs=1e-3)


@pytest.mark.parametrize("c", [1e-3, 0.5, 1.9, 2.1, 50.0, 1e4, 1e7])
def test_exponent_solver_is_exact(c: float) -> None:
    expected = brentq(lambda y: np.expm1(y) - y - c, 1e-9, 100.0)
    assert _solve_exponent(np.array([c]))[0] == pytest.approx(expected, rel=1e-9)


def threshold(budget: float, phi: float = 1.0, mean_n: float = 100.0) -> float:
    hit, miss = llr_weights(0.60, 0.50)
    arr = lambda v: np.array([v])  # noqa: E731
    return float(siegmund_threshold(hit, miss, arr(0.60), arr(mean_n), arr(1.0), arr(phi), budget)[0])


def test_threshold_grows_as_the_budget_shrinks() -> None:
    assert threshold(1.0) < threshold(0.1) < threshold(0.01)


def test_dispersion_scaling_keeps_the_threshold_and_asks_for_more_evidence() -> None:
    # Increments are divided by phi, which leaves the exponent 2|mu|h/sigma^2 unchanged: the
    # threshold on the scaled statistic stays (almost) the same, so phi times more raw
    # log-likelihood evidence is needed before an alarm.
    assert threshold(0.1, phi=2.0) == pytest.approx(threshold(0.1, phi=1.0), rel=0.05)
    assert threshold(0.1, phi=1.0, mean_n=30.0) == pytest.approx(threshold(0.1, phi=1.0), rel=0.25)


@pytest.mark.parametrize(
    ("seed", "before", "after"),
    [(11, 0.62, 0.45), (12, 0.65, 0.40), (13, 0.60, 0.46)],
)
def test_breach_cusum_flags_a_clear_drop(seed: int, before: float, after: float) -> None:
    rng = np.random.default_rng(seed)
    rates = np.r_[np.full(90, before), np.full(30, after)]
    n = np.full(len(rates), 100.0)
    trace = detect(n, rng.binomial(100, rates).astype(float), DetectionConfig(), SUNDAY)
    assert [d for d in trace.breach.fired_on if d < 90] == []
    fired_after = [d for d in trace.breach.fired_on if d >= 90]
    assert fired_after and fired_after[0] <= 90 + 7


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_breach_cusum_stays_quiet_on_a_healthy_stream(seed: int) -> None:
    # 66% is well above the floor: at the 60% design point the budget is 0.05/yr, here the
    # expected number of alarms in two years is orders of magnitude smaller.
    rng = np.random.default_rng(seed)
    n = np.full(730, 100.0)
    trace = detect(n, rng.binomial(100, 0.66, 730).astype(float), DetectionConfig(), SUNDAY)
    assert trace.breach.fired_on == ()
    assert trace.breach.statistic.max() < trace.breach.threshold[np.isfinite(trace.breach.threshold)].min()


def test_dispersion_is_measured_and_floored() -> None:
    rng = np.random.default_rng(5)
    days = 200
    n = np.full(days, 300.0)
    plain = detect(n, rng.binomial(300, 0.6, days).astype(float), DetectionConfig(), SUNDAY)
    varied_rates = np.clip(rng.normal(0.6, 0.05, days), 0, 1)
    varied = detect(n, rng.binomial(300, varied_rates).astype(float), DetectionConfig(), SUNDAY)
    judged = plain.reference.adequate
    assert (plain.reference.phi[judged] >= 1.0).all()
    # sd 0.05 at n=300: variance 0.0025 + 0.0008 over 0.0008 -> phi about 4
    assert 2.5 < float(np.median(varied.reference.phi[judged])) < 6.0
    assert float(np.median(plain.reference.phi[judged])) < 1.5


def test_days_without_games_neither_alarm_nor_hide_a_drop() -> None:
    # No games on two days a week: the budget is per calendar year, the thresholds adapt.
    rng = np.random.default_rng(31)
    days = 730
    n = np.where(np.arange(days) % 7 < 5, 140.0, 0.0)
    rates = np.r_[np.full(days - 60, 0.64), np.full(60, 0.47)]
    trace = detect(n, rng.binomial(n.astype(int), rates).astype(float), DetectionConfig(), SUNDAY)
    fired = list(trace.breach.fired_on)
    assert fired and fired[0] >= days - 60 and fired[0] <= days - 60 + 10
    judged = trace.reference.adequate
    assert np.allclose(trace.reference.game_day_fraction[judged][-1], 5 / 7, atol=0.03)
    assert np.allclose(trace.reference.mean_n[judged], 140.0)
