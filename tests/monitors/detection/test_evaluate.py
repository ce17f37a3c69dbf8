from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from predguard.monitors.detection import DetectionConfig, evaluate
from predguard.monitors.detection.rules import week_start
from predguard.monitors.detection.wilson import wilson_interval
from predguard.monitors.model import DayCount
from predguard.errors import InputError
from tests.monitors.detection.helpers import constant_history, day, random_history

# 12 weeks at exactly 65%, then a collapse to 40%: deterministic, so every day's verdict is known.
HEALTHY = [65] * 84
COLLAPSE = [40] * 10


def states(history: list[DayCount], days: range) -> dict[int, tuple[str, tuple[str, ...]]]:
    return {i: (v.status, tuple(sorted(v.firing))) for i in days for v in [evaluate("m", history, day(i))]}


def test_breach_fires_on_a_collapse_and_carries_its_evidence() -> None:
    history = constant_history(HEALTHY + COLLAPSE)
    before = evaluate("m", history, day(83))
    assert before.status == "ok" and before.firing == frozenset()
    assert before.baseline_rate == pytest.approx(0.65)
    after = evaluate("m", history, day(93))
    assert after.status == "breach"
    assert "breach" in after.firing
    assert after.statistic >= after.threshold > 0
    assert after.breach_since is not None and day(84) <= after.breach_since <= day(87)
    assert after.current.n == 700 and after.current.rate == pytest.approx(0.40)
    assert (after.current.low, after.current.high) == pytest.approx(wilson_interval(280, 700))


@pytest.mark.parametrize(
    ("good_days", "good_hits", "resolved"),
    [
        ([], 100, False),  # no recovery data at all
        ([0], 100, False),  # one perfect day never resolves
        ([0, 1], 100, False),  # nor two (min_recovery_days = 3)
        ([0], 68, False),  # one ordinary good day
        (list(range(30)), 68, True),  # a sustained recovery does
    ],
)
def test_hysteresis_needs_a_sequential_recovery(good_days: list[int], good_hits: int, resolved: bool) -> None:
    tail = [good_hits if k in good_days else 40 for k in range(max(good_days, default=0) + 1)] if good_days else []
    history = constant_history(HEALTHY + COLLAPSE + tail)
    last = 84 + len(COLLAPSE) + len(tail) - 1
    verdict = evaluate("m", history, day(last))
    assert ("breach" not in verdict.firing) is resolved
    assert (verdict.status != "breach") is resolved


def test_a_resolved_breach_does_not_flap_back() -> None:
    history = constant_history(HEALTHY + COLLAPSE + [68] * 40)
    seen = states(history, range(84, 84 + 10 + 40))
    firing_days = [i for i, (_, firing) in seen.items() if "breach" in firing]
    # One contiguous firing stretch: fired once, resolved once, never again.
    assert firing_days == list(range(firing_days[0], firing_days[-1] + 1))
    assert firing_days[-1] < 84 + 10 + 10
    assert evaluate("m", history, day(84 + 10 + 39)).status == "ok"


def test_drift_warning_fires_before_the_floor_is_crossed() -> None:
    # 70% for 12 weeks, then 58%: 12 points below the baseline, still above the 55% floor.
    history = constant_history([70] * 84 + [58] * 21)
    verdict = evaluate("m", history, day(104))
    assert verdict.status == "drift_warning"
    assert verdict.firing == frozenset({"drift_warning"})
    assert verdict.warning_statistic >= verdict.warning_threshold
    assert verdict.baseline_rate == pytest.approx(0.70)


@pytest.mark.parametrize(
    ("history", "expected_note"),
    [
        ([], "no graded predictions for this system"),
        (constant_history([0] * 120, n=0), "no graded predictions for this system"),
    ],
    ids=["empty", "all-ungraded"],
)
def test_insufficient_data_is_only_for_no_data(history: list[DayCount], expected_note: str) -> None:
    as_of = day(len(history) - 1) if history else day(0)
    verdict = evaluate("m", history, as_of)
    assert verdict.status == "insufficient_data"
    assert verdict.firing == frozenset()
    assert verdict.baseline_rate is None
    assert verdict.threshold is None and verdict.warning_threshold is None
    assert any(expected_note in note for note in verdict.notes), verdict.notes


def test_a_new_system_far_below_the_floor_is_breached_without_a_reference_period() -> None:
    # 40 days at 30%: no reference period (it needs 28 game days ending 28 days back), still a breach.
    verdict = evaluate("m", constant_history([30] * 40), day(39))
    assert verdict.status == "breach" and verdict.breach_reason == "cusum"
    assert verdict.breach_since is not None and verdict.breach_since <= day(3)
    assert verdict.baseline_rate is None and verdict.warning_threshold is None
    assert any("no reference period yet" in note for note in verdict.notes), verdict.notes


def test_tiny_volume_is_judged_and_says_how_uncertain_it_is() -> None:
    # 2 graded predictions a day at 50%: 240 in 120 days never fills a reference period.
    verdict = evaluate("m", constant_history([1] * 120, n=2), day(119))
    assert verdict.status == "breach"
    assert any("only 14 graded predictions, so the rate 50.0% is uncertain" in note for note in verdict.notes), verdict.notes


def test_a_quiet_week_is_insufficient_but_holds_a_firing_alert() -> None:
    history = constant_history(HEALTHY + COLLAPSE)
    # 8 days later, nothing graded: no new evidence, the breach is held, not resolved.
    verdict = evaluate("m", history, day(84 + 10 + 8))
    assert verdict.current.n == 0
    assert verdict.firing == frozenset({"breach", "drift_warning"})
    assert any("held, not resolved" in note for note in verdict.notes)
    # A healthy model with a quiet week: insufficient_data, nothing firing.
    quiet = evaluate("m", constant_history(HEALTHY), day(84 + 8))
    assert (quiet.status, quiet.firing) == ("insufficient_data", frozenset())


def test_days_after_as_of_are_ignored() -> None:
    past = random_history([0.62] * 100, n=100, seed=3)
    future = [DayCount(day(100 + k), 100, 0) for k in range(30)]  # a disaster, but in the future
    assert evaluate("m", past + future, day(99)) == evaluate("m", past, day(99))


def test_missing_days_are_days_without_games() -> None:
    full = constant_history(HEALTHY)
    with_zero_rows = full + [DayCount(day(84 + k), 0, 0) for k in range(5)]
    assert evaluate("m", full, day(88)) == evaluate("m", with_zero_rows, day(88))


def test_history_order_does_not_matter() -> None:
    history = random_history([0.6] * 90, n=50, seed=4)
    assert evaluate("m", history[::-1], day(89)) == evaluate("m", history, day(89))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (DayCount(day(5), 10, 11), "11 hits out of 10"),
        (DayCount(day(5), -1, 0), "0 hits out of -1"),
        (DayCount(day(5), 10, -2), "-2 hits out of 10"),
        (DayCount(day(3), 10, 5), "appears twice"),
    ],
)
def test_impossible_history_is_an_input_error(row: DayCount, message: str) -> None:
    history = constant_history([60] * 10) + [row]
    with pytest.raises(InputError, match=message) as caught:
        evaluate("model-a", history, day(9))
    assert caught.value.where == "history of model-a"


def test_evidence_windows() -> None:
    config = DetectionConfig()
    as_of = day(100)  # a Tuesday
    verdict = evaluate("m", random_history([0.6] * 101, n=30, seed=6), as_of, config)
    assert len(verdict.daily) == 7 * config.evaluation_weeks
    assert verdict.daily[-1].start == as_of
    assert [p.start for p in verdict.daily] == [as_of - dt.timedelta(days=k) for k in range(55, -1, -1)]
    assert all(p.start.weekday() == 6 for p in verdict.weekly)  # Sunday weeks
    assert verdict.weekly[0].start == week_start(verdict.daily[0].start)
    assert verdict.weekly[-1].start == week_start(as_of)
    assert sum(p.interval.n for p in verdict.daily) == 56 * 30
    for period in verdict.daily + verdict.weekly:
        bounds = wilson_interval(period.interval.hits, period.interval.n)
        assert (period.interval.low, period.interval.high) == pytest.approx(bounds)
    assert all(p.interval.sufficient for p in verdict.daily)  # 30 >= min_day_n 20
    assert any("(week in progress)" in note for note in verdict.notes)  # the last week: 3 days, 90 < 100


def test_days_and_weeks_with_too_few_predictions_are_flagged() -> None:
    config = replace(DetectionConfig(), min_day_n=50, min_week_n=400)
    verdict = evaluate("m", random_history([0.6] * 120, n=40, seed=7), day(118), config)  # a Saturday
    assert not any(p.interval.sufficient for p in verdict.daily)
    complete = [p for p in verdict.weekly if p.start + dt.timedelta(days=6) <= day(118)]
    assert all(not p.interval.sufficient and p.interval.n == 280 for p in complete)
    assert any("only 280 graded predictions, so its rate" in note and "400 would narrow it" in note for note in verdict.notes)
    assert any("fewer than 50 graded predictions" in note for note in verdict.notes)


@pytest.mark.parametrize(
    ("tail", "still_warning"),
    [
        ([58] * 21 + [80], True),  # one great day does not end a warning
        ([58] * 21 + [70] * 30, False),  # a sustained return to the baseline does
    ],
)
def test_drift_warning_hysteresis(tail: list[int], still_warning: bool) -> None:
    history = constant_history([70] * 84 + tail)
    verdict = evaluate("m", history, day(84 + len(tail) - 1))
    assert ("drift_warning" in verdict.firing) is still_warning


def test_verdicts_serialise_to_strict_json() -> None:
    import json

    from predguard.monitors.serialize import verdict_from_json, verdict_to_json

    cases = [
        evaluate("m", [], day(0)),
        evaluate("m", constant_history([30] * 40), day(39)),
        evaluate("m", constant_history(HEALTHY + COLLAPSE), day(93)),
    ]
    for verdict in cases:
        text = verdict_to_json(verdict)
        json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in {text[:80]}"))
        assert verdict_from_json(text) == verdict
