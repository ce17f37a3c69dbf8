from __future__ import annotations

import numpy as np
import pytest

from predguard.monitors.detection.wilson import wilson_bounds, wilson_interval, z_for


@pytest.mark.parametrize(
    ("hits", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_wilson_interval_matches_published_values(hits: int, n: int, low: float, high: float) -> None:
    interval = wilson_interval(hits, n)
    assert interval is not None
    assert interval[0] == pytest.approx(low, abs=5e-5)
    assert interval[1] == pytest.approx(high, abs=5e-5)


def test_no_data_has_no_interval() -> None:
    assert wilson_interval(0, 0) is None
    low, high = wilson_bounds(np.array([0.0, 3.0]), np.array([0.0, 10.0]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 0.0 < low[1] < 0.3 < high[1] < 1.0


@pytest.mark.parametrize(("confidence", "z"), [(0.95, 1.959964), (0.90, 1.644854), (0.99, 2.575829)])
def test_normal_quantile(confidence: float, z: float) -> None:
    assert z_for(confidence) == pytest.approx(z, abs=1e-6)


def test_wider_confidence_gives_a_wider_interval() -> None:
    narrow = wilson_interval(55, 100, confidence=0.90)
    wide = wilson_interval(55, 100, confidence=0.99)
    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] < 0.55 < narrow[1] < wide[1]
