from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from predguard.monitors.detection import DetectionConfig, evaluate
from predguard.monitors.detection.rules import week_start, weeks_rule_path
from predguard.monitors.model import DayCount
from tests.monitors.detection.helpers import SUNDAY, constant_history, day


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2025, 1, 5), dt.date(2025, 1, 5)),  # Sunday: its own week
        (dt.date(2025, 1, 6), dt.date(2025, 1, 5)),  # Monday
        (dt.date(2025, 1, 11), dt.date(2025, 1, 5)),  # Saturday: last day of the week
        (dt.date(2025, 1, 12), dt.date(2025, 1, 12)),
        (dt.date(2024, 3, 1), dt.date(2024, 2, 25)),  # across a leap-year month end
    ],
)
def test_weeks_start_on_sunday_like_bigquery_date_trunc_week(value: dt.date, expected: dt.date) -> None:
    assert week_start(value) == expected


HEALTHY_WEEKS = [65] * 84  # 12 complete Sunday weeks


@pytest.mark.parametrize(
    ("weeks", "as_of", "below", "firing"),
    [
        ([50], 90, 1, False),  # one complete week below: not yet
        ([50, 50], 96, 1, False),  # second week not complete on Friday
        ([50, 50], 97, 2, True),  # complete on Saturday: fires
        ([50, 50, 50], 104, 3, True),
        ([50, 60], 97, 0, False),  # a good week breaks the run
        ([60, 50], 97, 1, False),
        ([54, 54], 97, 2, True),  # just below the floor counts
        ([55, 55], 97, 0, False),  # at the floor is not below it
    ],
)
def test_consecutive_weeks_rule(weeks: list[int], as_of: int, below: int, firing: bool) -> None:
    hits = HEALTHY_WEEKS + [h for rate in weeks for h in [rate] * 7]
    verdict = evaluate("m", constant_history(hits), day(as_of))
    assert verdict.below_floor_weeks == below
    assert verdict.weeks_rule_firing is firing


def thin_week_history() -> list[DayCount]:
    history = constant_history(HEALTHY_WEEKS + [50] * 7)
    thin_week = [DayCount(day(91 + k), 10, 2) for k in range(7)]  # 70 predictions at 20%: < 100
    return history + thin_week + [DayCount(day(98 + k), 100, 50) for k in range(7)]


def test_weeks_below_the_rules_minimum_break_the_run() -> None:
    verdict = evaluate("m", thin_week_history(), day(104), DetectionConfig(weeks_rule_min_n=100))
    # The thin week breaks the run: only the last week counts.
    assert verdict.below_floor_weeks == 1
    assert not verdict.weeks_rule_firing


def test_thin_weeks_count_as_the_team_counts_them_and_are_noted_as_uncertain() -> None:
    verdict = evaluate("m", thin_week_history(), day(104))
    assert verdict.below_floor_weeks == 3 and verdict.weeks_rule_firing
    assert any(f"week of {day(91).isoformat()}: only 70 graded predictions" in note for note in verdict.notes), verdict.notes


def test_weeks_rule_uses_the_configured_number_of_weeks() -> None:
    history = constant_history(HEALTHY_WEEKS + [50] * 7)
    assert evaluate("m", history, day(90), DetectionConfig(weeks_rule_weeks=1)).weeks_rule_firing
    assert not evaluate("m", history, day(90)).weeks_rule_firing


def test_history_starting_midweek_keeps_sunday_weeks() -> None:
    wednesday = SUNDAY + dt.timedelta(days=3)
    n = np.full(21, 100.0)
    hits = np.full(21, 50.0)
    path = weeks_rule_path(wednesday, n, hits, DetectionConfig(min_week_n=100))
    # Week 1 (Sun 5 - Sat 11) holds 4 days from Wednesday: 400 predictions, below the floor.
    saturday = (dt.date(2025, 1, 11) - wednesday).days
    assert path.below_floor_weeks[saturday - 1] == 0
    assert path.below_floor_weeks[saturday] == 1
    assert path.below_floor_weeks[saturday + 7] == 2 and bool(path.firing[saturday + 7])
