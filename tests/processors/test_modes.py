from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from predguard.errors import InputError
from predguard.processors.modes import ModePolicy, ProcessingMode, parse_mode


def test_values_are_exactly_the_documented_strings() -> None:
    assert [m.value for m in ProcessingMode] == ["same_day", "post_game", "backfill"]


def test_a_game_day_belongs_to_the_league_zone_not_utc() -> None:
    # 03:00 UTC on 31 January is 22:00 on 30 January in New York: still the game day.
    late_evening = datetime(2026, 1, 31, 3, 0, tzinfo=timezone.utc)
    assert ModePolicy().infer(date(2026, 1, 30), late_evening) is ProcessingMode.SAME_DAY
    # In UTC it would already be the next day, so the same date is a past date there.
    assert ModePolicy(timezone="UTC").infer(date(2026, 1, 30), late_evening) is ProcessingMode.POST_GAME


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (date(2026, 2, 2), ProcessingMode.SAME_DAY),  # a future date: nothing can have happened yet
        (date(2026, 1, 30), ProcessingMode.SAME_DAY),
        (date(2026, 1, 29), ProcessingMode.POST_GAME),
        (date(2026, 1, 23), ProcessingMode.POST_GAME),  # 7 days old: still post-game
        (date(2026, 1, 22), ProcessingMode.BACKFILL),  # 8 days old
    ],
)
def test_inferred_mode_by_age(target: date, expected: ProcessingMode) -> None:
    now = datetime(2026, 1, 30, 18, 0, tzinfo=timezone.utc)
    assert ModePolicy(backfill_after_days=7).infer(target, now) is expected


def test_a_naive_now_is_utc() -> None:
    assert ModePolicy().league_today(datetime(2026, 1, 31, 2, 0)) == date(2026, 1, 30)


def test_bad_policy_and_mode_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        ModePolicy(timezone="Mars/Olympus")
    with pytest.raises(InputError, match="at least 1"):
        ModePolicy(backfill_after_days=0)
    with pytest.raises(InputError, match="unknown mode 'tomorrow'; one of: same_day, post_game, backfill"):
        parse_mode("tomorrow")
