"""The benchmark measures `detect` and `weeks_rule_path` on arrays; the product calls
`evaluate` day by day. These tests prove they are the same thing: for seeded streams,
every day's verdict equals the array core read at that day."""
from __future__ import annotations

import numpy as np
import pytest

from predguard.monitors.detection import DetectionConfig, evaluate
from predguard.monitors.detection.core import detect
from predguard.monitors.detection.rules import weeks_rule_path
from predguard.monitors.model import DayCount
from tests.monitors.detection.helpers import SUNDAY, day

INCIDENT = np.r_[np.full(56, 0.692), 0.692 + (0.483 - 0.692) * np.arange(1, 29) / 28, np.full(60, 0.483), np.full(60, 0.66)]


@pytest.mark.parametrize(
    ("seed", "volume", "sd", "gaps"),
    [(1, 100, 0.0, False), (2, 30, 0.03, False), (3, 300, 0.03, True), (4, 50, 0.0, True)],
)
def test_evaluate_equals_the_array_core_every_day(seed: int, volume: int, sd: float, gaps: bool) -> None:
    rng = np.random.default_rng(seed)
    rates = np.clip(INCIDENT + rng.normal(0, sd, len(INCIDENT)), 0, 1)
    n = np.full(len(rates), float(volume))
    if gaps:  # off days and low-volume days
        n[rng.random(len(n)) < 0.2] = 0
        n[rng.random(len(n)) < 0.1] = 5
    hits = rng.binomial(n.astype(int), rates).astype(float)
    history = [DayCount(day(i), int(n[i]), int(hits[i])) for i in range(len(n)) if n[i] > 0 or i % 3 == 0]
    first_played = int(np.flatnonzero(n > 0)[0])
    config = DetectionConfig()
    trace = detect(n[first_played:], hits[first_played:], config, day(first_played))
    weeks = weeks_rule_path(day(first_played), n[first_played:], hits[first_played:], config)
    fired = set(trace.breach.fired_on)
    assert fired, "the incident must fire in every seeded stream, or this test proves little"
    for i in range(first_played, len(n)):
        t = i - first_played
        verdict = evaluate("m", history, day(i), config)
        assert ("breach" in verdict.firing) is bool(trace.breach.firing[t]), i
        assert ("drift_warning" in verdict.firing) is bool(trace.warning.firing[t]), i
        assert verdict.statistic == pytest.approx(trace.breach.statistic[t], abs=1e-9)
        assert verdict.warning_statistic == pytest.approx(trace.warning.statistic[t], abs=1e-9)
        if np.isfinite(trace.breach.threshold[t]):
            assert verdict.threshold == pytest.approx(trace.breach.threshold[t])
        assert verdict.below_floor_weeks == weeks.below_floor_weeks[t]
        assert verdict.weeks_rule_firing is bool(weeks.firing[t])
        if verdict.breach_since is not None:
            assert (verdict.breach_since - SUNDAY).days - first_played in trace.breach.fired_on


@pytest.mark.parametrize("seed", [7, 8])
def test_the_daily_jobs_window_reaches_the_same_decisions_as_the_full_history(seed: int) -> None:
    # The job passes the last `history_days` days; over a year of healthy history followed by
    # the incident, it must decide exactly as evaluate over the whole history does.
    config = DetectionConfig()
    rates = np.r_[np.full(365, 0.66), INCIDENT]
    history = [DayCount(day(i), 100, int(h)) for i, h in enumerate(np.random.default_rng(seed).binomial(100, rates))]
    decisions = []
    for i in range(365, len(rates), 3):
        window = [row for row in history if (day(i) - row.day).days < config.history_days]
        full, windowed = evaluate("m", history, day(i), config), evaluate("m", window, day(i), config)
        assert (windowed.status, windowed.firing, windowed.breach_since) == (full.status, full.firing, full.breach_since), i
        assert windowed.baseline_rate == full.baseline_rate
        decisions.append(full.status)
    assert {"ok", "breach"} <= set(decisions)
