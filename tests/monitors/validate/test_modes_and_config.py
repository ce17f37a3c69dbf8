"""`--mode auto` from the clock and the schedule in the league's zone, and how expectations are
read: shared thresholds, per-mode overrides, `mostly` on failing and passing shares."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from predguard.monitors.validate.config import parse_validate_config
from predguard.monitors.validate.model import Bounds
from predguard.monitors.validate.modes import decide

UTC = dt.timezone.utc
NY = "America/New_York"
DAY = dt.date(2026, 1, 30)


@pytest.mark.parametrize(
    ("now", "games", "final", "mode", "why"),
    [
        (dt.datetime(2026, 1, 30, 17, tzinfo=UTC), 3, 0, "pre_game", "auto: 3 of 3 games on 2026-01-30 not final yet"),
        (dt.datetime(2026, 1, 31, 4, tzinfo=UTC), 3, 2, "pre_game", "auto: 1 of 3 games on 2026-01-30 not final yet"),  # 23:00 in New York
        (dt.datetime(2026, 1, 31, 4, tzinfo=UTC), 3, 3, "post_game", "auto: all 3 games on 2026-01-30 are final"),
        (dt.datetime(2026, 1, 31, 6, tzinfo=UTC), 3, 0, "post_game", "auto: 2026-01-30 is over"),  # 01:00 the next day
        (dt.datetime(2026, 1, 30, 17, tzinfo=UTC), 0, 0, "pre_game", "auto: no games scheduled on 2026-01-30"),
        (dt.datetime(2026, 1, 29, 17, tzinfo=UTC), 3, 0, "pre_game", "auto: 2026-01-30 has not started"),
        (dt.datetime(2026, 1, 30, 17, tzinfo=UTC), None, None, "pre_game", "auto: 2026-01-30 is today and the schedule is unknown"),
    ],
)
def test_auto_mode(now: dt.datetime, games: int | None, final: int | None, mode: str, why: str) -> None:
    decided, reason = decide(DAY, now, NY, games, final)
    assert decided == mode
    assert reason.startswith(why + ", at ")


def test_a_utc_midnight_is_still_the_game_day_in_new_york() -> None:
    decided, reason = decide(DAY, dt.datetime(2026, 1, 31, 0, 30, tzinfo=UTC), NY, 3, 1)
    assert decided == "pre_game" and reason.endswith("at 2026-01-30 19:30 America/New_York")


def parse(check: dict) -> dict:
    raw = {"tables": {"t": "t.csv", "u": "u.csv"}, "checks": [{"name": "c", "table": "t", **check}]}
    (parsed,) = parse_validate_config(raw, where="pyproject.toml", base_dir=Path(".")).checks
    return dict(parsed.expectations)


def test_mostly_reads_as_the_passing_share() -> None:
    null_rate = parse({"kind": "null_rate", "column": "x", "mostly": 0.99, "warn_mostly": 0.995})
    assert null_rate["pre_game"].bounds == Bounds(error_above=0.01, warn_above=0.005)
    coverage = parse({"kind": "coverage", "key": "id", "matched_in": "u", "mostly": 0.98})
    assert coverage["post_game"].bounds == Bounds(error_below=0.98)


def test_per_mode_tables_override_shared_thresholds_key_by_key() -> None:
    e = parse({"kind": "row_count", "error_below": 10, "warn_below": 20, "pre_game": {"error_below": 1}, "post_game": "not_applicable"})
    assert e["pre_game"].bounds == Bounds(error_below=1, warn_below=20)
    assert not e["post_game"].applies and e["post_game"].reason == "not expected in post_game"


def test_kind_defaults_apply_when_nothing_is_declared() -> None:
    assert parse({"kind": "duplicate_keys", "key": ["id"]})["pre_game"].bounds == Bounds(error_above=0)
    assert parse({"kind": "phase_completion", "table": "t", "processors": ["a", "b"]})["post_game"].bounds == Bounds(error_below=1.0)
