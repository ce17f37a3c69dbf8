"""Every column type survives the trip through staging, audits and MERGE in both backends, and
audits compare with typed parameters (dates with dates, instants with instants)."""
from __future__ import annotations

import datetime as dt

from predguard.processors.output import AcceptedValues, Column, InRange, OutputSchema, conform, publish
from tests.processors.output.conftest import Warehouse

UTC = dt.timezone.utc
SCHEMA = OutputSchema(
    "typed",
    columns=[
        Column("id", "INT64", required=True),
        Column("label", "STRING"),
        Column("score", "FLOAT64"),
        Column("final", "BOOL"),
        Column("day", "DATE"),
        Column("at", "TIMESTAMP"),
    ],
    primary_key=("id",),
)


def _read(warehouse: Warehouse) -> list[tuple]:
    """Rows with the timestamp as epoch microseconds (DuckDB needs pytz to fetch TIMESTAMPTZ)."""
    if warehouse.kind == "duckdb":
        return warehouse.client.execute(
            'SELECT id, label, score, final, day, epoch_us("at"), is_degraded FROM typed ORDER BY id').fetchall()
    result = warehouse.client.query(
        f"SELECT id, label, score, final, day, UNIX_MICROS(`at`) AS at_us, is_degraded FROM `{warehouse.dataset}.typed` "
        "ORDER BY id").result(timeout=30)
    return [tuple(row.values()) for row in result]


def test_all_types_round_trip_and_typed_audits_reject_by_value(warehouse: Warehouse) -> None:
    eastern = dt.timezone(dt.timedelta(hours=-5))
    rows = [
        {"id": 1, "label": "a", "score": 0.25, "final": True, "day": "2026-01-30",
         "at": dt.datetime(2026, 1, 30, 19, 30, tzinfo=eastern)},
        {"id": 2, "label": None, "score": None, "final": False, "day": dt.date(2026, 1, 31),
         "at": "2026-01-31T00:30:00+00:00"},
        {"id": 3, "label": "c", "score": 1, "final": None, "day": dt.date(2026, 2, 2), "at": None},
        {"id": 4, "label": "d", "score": 0.5, "final": True, "day": dt.date(2026, 1, 30),
         "at": dt.datetime(2026, 3, 1, tzinfo=UTC)},
        {"id": 5, "label": "zzz", "score": 0.5, "final": True, "day": dt.date(2026, 1, 30)},
    ]
    report = publish(conform(rows, SCHEMA), warehouse.backend, run_id="r", audits=[
        InRange("day", "2026-01-01", "2026-01-31"),
        InRange("at", None, dt.datetime(2026, 2, 1, tzinfo=UTC)),
        AcceptedValues("label", ["a", "c", "d"]),
    ])
    assert sorted(q.record_id for q in report.quarantined) == ["3", "4", "5"]
    assert {q.record_id: q.reason for q in report.quarantined}["3"] == (
        "audit in_range(day, 2026-01-01, 2026-01-31) failed: day=2026-02-02")
    epoch = dt.datetime(1970, 1, 1, tzinfo=UTC)
    micros = lambda stamp: (stamp - epoch) // dt.timedelta(microseconds=1)  # noqa: E731
    assert _read(warehouse) == [
        (1, "a", 0.25, True, dt.date(2026, 1, 30), micros(dt.datetime(2026, 1, 31, 0, 30, tzinfo=UTC)), False),
        (2, None, None, False, dt.date(2026, 1, 31), micros(dt.datetime(2026, 1, 31, 0, 30, tzinfo=UTC)), False),
    ]
    again = publish(conform(rows[:2], SCHEMA), warehouse.backend, run_id="r2")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)  # timestamps compare equal after the trip
