"""conform(): typed NULLs and degradation for missing optional inputs, rejection (never repair)
for missing required values and wrong types, provenance, and dedup by primary key."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from predguard.errors import InputError
from predguard.processors.output import conform
from tests.processors.output.conftest import GAME_DAY, PREDICTIONS, prediction


def test_complete_row_is_typed_and_not_degraded() -> None:
    batch = conform([{"game_date": "2026-01-30", "player_id": "p1", "predicted_points": 20, "odds_line": 18.5,
                      "minutes_projection": 34}], PREDICTIONS, provenance={"odds": "vendor_a"})
    assert batch.rejected == ()
    (row,) = batch.rows
    assert row == {"game_date": GAME_DAY, "player_id": "p1", "predicted_points": 20.0, "odds_line": 18.5,
                   "minutes_projection": 34, "source_used_odds": "vendor_a", "is_degraded": False,
                   "degraded_reason": None}
    assert isinstance(row["predicted_points"], float)
    assert batch.degraded == 0


def test_missing_optional_columns_become_typed_nulls_and_degrade_the_row() -> None:
    batch = conform([prediction("p1", 20.0)], PREDICTIONS, provenance={"odds": "unavailable"})
    (row,) = batch.rows
    assert row["odds_line"] is None and row["minutes_projection"] is None
    assert row["is_degraded"] is True
    assert row["degraded_reason"] == "missing optional: odds_line, minutes_projection"
    assert row["source_used_odds"] == "unavailable"
    assert batch.degraded == 1


def test_explicit_none_is_a_deliberate_null_not_a_degradation() -> None:
    (row,) = conform([prediction("p1", 20.0, odds_line=None, minutes_projection=None)], PREDICTIONS,
                     provenance={"odds": "vendor_a"}).rows
    assert row["odds_line"] is None and row["is_degraded"] is False


def test_a_producer_can_flag_its_own_degradation() -> None:
    (row,) = conform([prediction("p1", 20.0, odds_line=None, minutes_projection=30,
                                 degraded_reason="odds feed stale, used yesterday's line")],
                     PREDICTIONS, provenance={"odds": "vendor_a"}).rows
    assert row["is_degraded"] is True and row["degraded_reason"] == "odds feed stale, used yesterday's line"


def test_provenance_from_the_row_wins_and_unknown_provenance_degrades() -> None:
    rows = [prediction("p1", 1.0, odds_line=1.0, minutes_projection=1, source_used_odds="vendor_b"),
            prediction("p2", 1.0, odds_line=1.0, minutes_projection=1)]
    with_batch = conform(rows, PREDICTIONS, provenance={"odds": "vendor_a"}).rows
    assert [r["source_used_odds"] for r in with_batch] == ["vendor_b", "vendor_a"]
    without = conform(rows, PREDICTIONS).rows
    assert without[1]["source_used_odds"] is None
    assert without[1]["is_degraded"] and without[1]["degraded_reason"] == "no provenance for odds"
    assert not without[0]["is_degraded"]


def test_provenance_for_an_undeclared_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="undeclared input.*injuries"):
        conform([prediction("p1", 1.0)], PREDICTIONS, provenance={"injuries": "feed"})


@pytest.mark.parametrize(("row", "reason"), [
    ({"game_date": GAME_DAY, "player_id": "p1"}, "missing required column predicted_points"),
    (prediction("p1", None), "required column predicted_points is null"),  # type: ignore[arg-type]
    (prediction("p1", "20"), "predicted_points: expected FLOAT64, got str '20'"),  # type: ignore[arg-type]
    (prediction("p1", True), "predicted_points: expected FLOAT64, got bool True"),
    (prediction("p1", math.nan), "predicted_points: nan is not a finite number"),
    (prediction("p1", 1.0, minutes_projection=33.5), "minutes_projection: expected INT64, got float 33.5"),
    (prediction("p1", 1.0, minutes_projection=2**63), "outside the INT64 range"),
    ({"game_date": "30/01/2026", "player_id": "p1", "predicted_points": 1.0}, "game_date: expected DATE"),
    ({"game_date": dt.datetime(2026, 1, 30, 12), "player_id": "p1", "predicted_points": 1.0},
     "expected DATE, got a datetime"),
    (prediction("p1", 1.0, odds=1.5), "unknown column(s) odds"),
    (prediction("p1", 1.0, is_degraded=False), "unknown column(s) is_degraded"),
    (prediction("p1", 1.0, source_used_odds=3), "source_used_odds: expected STRING"),
    (prediction("p1", 1.0, degraded_reason=""), "degraded_reason must be a non-empty string"),
])
def test_bad_rows_are_rejected_with_a_reason_never_repaired(row: dict, reason: str) -> None:
    batch = conform([row, prediction("ok", 1.0)], PREDICTIONS, provenance={"odds": "a"})
    assert [r["player_id"] for r in batch.rows] == ["ok"]
    (rejected,) = batch.rejected
    assert reason in rejected.reason
    assert rejected.stage == "conform"
    assert rejected.payload == row
    assert rejected.record_id in ('["2026-01-30", "p1"]', "#0")


def test_every_problem_of_a_row_is_named() -> None:
    (rejected,) = conform([{"game_date": GAME_DAY, "player_id": "p1", "predicted_points": "x", "extra": 1}],
                          PREDICTIONS).rejected
    assert rejected.reason == "predicted_points: expected FLOAT64, got str 'x'; unknown column(s) extra"


def test_a_row_without_a_usable_key_is_identified_by_position() -> None:
    batch = conform([prediction("p1", 1.0), {"game_date": GAME_DAY, "predicted_points": 2.0}, "not a row"],
                    PREDICTIONS)
    assert [(r.record_id, r.reason) for r in batch.rejected] == [
        ("#1", "missing required column player_id"), ("#2", "row is a str, not a mapping")]


def test_timestamps_must_carry_a_time_zone() -> None:
    from predguard.processors.output import Column, OutputSchema

    schema = OutputSchema("t", [Column("id", "INT64", required=True), Column("at", "TIMESTAMP")], primary_key=("id",))
    eastern = dt.timezone(dt.timedelta(hours=-5))
    batch = conform([{"id": 1, "at": dt.datetime(2026, 1, 30, 19, 0, tzinfo=eastern)},
                     {"id": 2, "at": "2026-01-30T19:00:00-05:00"},
                     {"id": 3, "at": dt.datetime(2026, 1, 30, 19, 0)},
                     {"id": 4, "at": "yesterday"}], schema)
    assert [r["at"] for r in batch.rows] == [dt.datetime(2026, 1, 31, 0, 0, tzinfo=dt.timezone.utc)] * 2
    assert [r.record_id for r in batch.rejected] == ["3", "4"]
    assert batch.rejected[0].reason.endswith("has no time zone (refusing to guess one)")
    assert batch.rejected[1].reason == "at: expected an ISO 8601 TIMESTAMP, got 'yesterday'"


def test_duplicates_by_primary_key_keep_the_last_and_are_counted() -> None:
    batch = conform([prediction("p1", 1.0), prediction("p2", 2.0), prediction("p1", 3.0), prediction("p1", 4.0)],
                    PREDICTIONS, provenance={"odds": "a"})
    assert [(r["player_id"], r["predicted_points"]) for r in batch.rows] == [("p2", 2.0), ("p1", 4.0)]
    assert batch.deduplicated == 2
    assert batch.received == 4


def test_a_rejected_last_duplicate_wins_over_an_earlier_valid_one() -> None:
    # Last one wins means the latest truth: if it is bad, it is quarantined, not silently replaced by stale data.
    batch = conform([prediction("p1", 1.0), prediction("p1", "bad")], PREDICTIONS)  # type: ignore[arg-type]
    assert batch.rows == ()
    assert [r.record_id for r in batch.rejected] == ['["2026-01-30", "p1"]']
    assert batch.deduplicated == 1


def test_distinct_keys_are_not_deduplicated() -> None:
    batch = conform([prediction("p1", 1.0), {**prediction("p1", 1.0), "game_date": "2026-01-31"}], PREDICTIONS)
    assert len(batch.rows) == 2 and batch.deduplicated == 0
