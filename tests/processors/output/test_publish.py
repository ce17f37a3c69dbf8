"""Write–audit–publish against both backends: DuckDB (embedded) and BigQuery (real client,
local emulator). What landed is read back with each warehouse's own SQL."""
from __future__ import annotations

import json

import pytest

from predguard.errors import InputError
from predguard.processors.output import (
    AcceptedValues,
    AuditFailed,
    ColumnType,
    InRange,
    NotNull,
    RowCheck,
    DuckDBBackend,
    conform,
    publish,
)
from tests.processors.output.conftest import GAME_DAY, PREDICTIONS, Warehouse, prediction

TABLE = PREDICTIONS.table
QUARANTINE = PREDICTIONS.quarantine_table


def full(player: str, points: float, odds: float = 18.5, minutes: int = 30) -> dict:
    return prediction(player, points, odds_line=odds, minutes_projection=minutes)


def batch_of(*rows: dict, provenance: str | None = "vendor_a"):
    return conform(rows, PREDICTIONS, provenance={"odds": provenance} if provenance else None)


def test_first_publish_inserts_typed_nulls_degradation_and_provenance(warehouse: Warehouse) -> None:
    report = publish(batch_of(full("p1", 20.0), prediction("p2", 12.0)), warehouse.backend, run_id="run-1")
    assert (report.inserted, report.updated, report.unchanged, report.degraded) == (2, 0, 0, 1)
    assert report.quarantined == () and report.published == 2
    assert warehouse.rows(TABLE) == [
        {"game_date": GAME_DAY, "player_id": "p1", "predicted_points": 20.0, "odds_line": 18.5,
         "minutes_projection": 30, "source_used_odds": "vendor_a", "is_degraded": False, "degraded_reason": None},
        {"game_date": GAME_DAY, "player_id": "p2", "predicted_points": 12.0, "odds_line": None,
         "minutes_projection": None, "source_used_odds": "vendor_a", "is_degraded": True,
         "degraded_reason": "missing optional: odds_line, minutes_projection"},
    ]
    assert warehouse.rows(QUARANTINE, order_by="record_id") == []
    assert not [t for t in warehouse.tables() if "__staging_" in t]


def test_upsert_updates_by_key_instead_of_duplicating(warehouse: Warehouse) -> None:
    publish(batch_of(full("p1", 20.0), full("p2", 12.0)), warehouse.backend, run_id="run-1")
    report = publish(batch_of(full("p1", 25.0), full("p2", 12.0), full("p3", 8.0)), warehouse.backend, run_id="run-2")
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    assert report.written == 2
    assert [(r["player_id"], r["predicted_points"]) for r in warehouse.rows(TABLE)] == [
        ("p1", 25.0), ("p2", 12.0), ("p3", 8.0)]


def test_an_update_can_clear_a_value_and_flag_degradation(warehouse: Warehouse) -> None:
    publish(batch_of(full("p1", 20.0)), warehouse.backend, run_id="run-1")
    report = publish(batch_of(prediction("p1", 20.0)), warehouse.backend, run_id="run-2")
    assert (report.inserted, report.updated) == (0, 1)
    (row,) = warehouse.rows(TABLE)
    assert row["odds_line"] is None and row["is_degraded"] is True


def test_rerunning_the_same_batch_is_idempotent(warehouse: Warehouse) -> None:
    batch = batch_of(full("p1", 20.0), prediction("p2", 12.0), prediction("p3", "bad"))  # type: ignore[arg-type]
    first = publish(batch, warehouse.backend, run_id="run-1")
    before = (warehouse.rows(TABLE), warehouse.rows(QUARANTINE, order_by="record_id"))
    again = publish(batch, warehouse.backend, run_id="run-1")
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert (warehouse.rows(TABLE), warehouse.rows(QUARANTINE, order_by="record_id")) == before
    assert len(before[1]) == 1


def test_duplicates_in_a_batch_are_written_once_last_wins(embedded: Warehouse) -> None:
    report = publish(batch_of(full("p1", 1.0), full("p1", 2.0), full("p1", 3.0)), embedded.backend, run_id="r")
    assert (report.inserted, report.deduplicated) == (1, 2)
    assert [(r["player_id"], r["predicted_points"]) for r in embedded.rows(TABLE)] == [("p1", 3.0)]


def test_audit_quarantines_only_the_bad_ids_and_the_rest_publish(warehouse: Warehouse) -> None:
    batch = batch_of(full("p1", 20.0), full("p2", 150.0), full("p3", -1.0), full("p4", 30.0),
                     prediction("p5", "twelve"))  # type: ignore[arg-type]
    report = publish(batch, warehouse.backend, run_id="run-7", audits=[InRange("predicted_points", 0, 100)])
    assert (report.inserted, report.published) == (2, 2)
    assert [(q.record_id, q.stage) for q in report.quarantined] == [
        ('["2026-01-30", "p5"]', "conform"), ('["2026-01-30", "p2"]', "audit"), ('["2026-01-30", "p3"]', "audit")]
    assert [r["player_id"] for r in warehouse.rows(TABLE)] == ["p1", "p4"]
    quarantined = warehouse.rows(QUARANTINE, order_by="record_id")
    assert [(q["record_id"], q["run_id"], q["stage"]) for q in quarantined] == [
        ('["2026-01-30", "p2"]', "run-7", "audit"), ('["2026-01-30", "p3"]', "run-7", "audit"),
        ('["2026-01-30", "p5"]', "run-7", "conform")]
    assert quarantined[0]["reason"] == "audit in_range(predicted_points, 0.0, 100.0) failed: predicted_points=150.0"
    assert quarantined[2]["reason"] == "predicted_points: expected FLOAT64, got str 'twelve'"
    assert report.to_dict()["quarantined"][0] == {"record_id": '["2026-01-30", "p5"]', "stage": "conform",
                                                  "reason": "predicted_points: expected FLOAT64, got str 'twelve'"}
    assert json.loads(json.dumps(report.to_dict()))["published"] == 2
    assert json.loads(quarantined[0]["payload"])["predicted_points"] == 150.0
    assert json.loads(quarantined[2]["payload"]) == {"game_date": "2026-01-30", "player_id": "p5",
                                                     "predicted_points": "twelve"}


def test_not_null_accepted_values_and_row_checks(warehouse: Warehouse) -> None:
    def minutes_plausible(row: dict) -> str | None:
        minutes = row["minutes_projection"]
        return None if minutes is None or minutes <= 48 else f"{minutes} minutes in a 48-minute game"

    batch = batch_of(full("p1", 20.0), prediction("p2", 12.0), full("p3", 8.0, minutes=60), full("zz", 5.0))
    report = publish(batch, warehouse.backend, run_id="r", audits=[
        NotNull("odds_line"), AcceptedValues("player_id", ["p1", "p2", "p3"]),
        RowCheck("minutes_plausible", minutes_plausible)])
    assert [r["player_id"] for r in warehouse.rows(TABLE)] == ["p1"]
    assert {q.record_id: q.reason for q in report.quarantined} == {
        '["2026-01-30", "p2"]': "audit not_null(odds_line) failed: odds_line=NULL",
        '["2026-01-30", "p3"]': "audit minutes_plausible: 60 minutes in a 48-minute game",
        '["2026-01-30", "zz"]': "audit accepted_values(player_id) failed: player_id='zz'",
    }


def test_a_batch_with_every_row_rejected_publishes_nothing_and_says_so(warehouse: Warehouse) -> None:
    publish(batch_of(full("p0", 10.0)), warehouse.backend, run_id="run-0")
    batch = batch_of(full("p1", 500.0), prediction("p2", "x"))  # type: ignore[arg-type]
    report = publish(batch, warehouse.backend, run_id="run-1", audits=[InRange("predicted_points", 0, 100)])
    assert report.published == 0 and len(report.quarantined) == 2
    assert report.summary() == ("player_predictions: nothing published: all 2 record(s) rejected and quarantined "
                                "in player_predictions__quarantine")
    assert [r["player_id"] for r in warehouse.rows(TABLE)] == ["p0"]
    assert len(warehouse.rows(QUARANTINE, order_by="record_id")) == 2


def test_an_empty_batch_publishes_nothing(warehouse: Warehouse) -> None:
    report = publish(batch_of(), warehouse.backend, run_id="r")
    assert report.published == 0 and report.summary() == "player_predictions: nothing to publish (empty batch)"
    assert warehouse.rows(TABLE) == []


def test_too_many_rejections_fail_the_audit_and_publish_nothing(embedded: Warehouse) -> None:
    batch = batch_of(full("p1", 500.0), full("p2", 600.0), full("p3", 10.0))
    with pytest.raises(AuditFailed, match="2 of 3 rows rejected, more than the 50% allowed"):
        publish(batch, embedded.backend, run_id="r", audits=[InRange("predicted_points", 0, 100)],
                max_rejected_fraction=0.5)
    assert embedded.rows(TABLE) == []
    assert embedded.rows(QUARANTINE, order_by="record_id") == []
    report = publish(batch, embedded.backend, run_id="r", audits=[InRange("predicted_points", 0, 100)],
                     max_rejected_fraction=0.7)
    assert report.published == 1


def test_target_missing_an_optional_column_writes_null_and_degrades(warehouse: Warehouse) -> None:
    warehouse.create(TABLE, [("game_date", ColumnType.DATE, True), ("player_id", ColumnType.STRING, True),
                             ("predicted_points", ColumnType.FLOAT64, True), ("odds_line", ColumnType.FLOAT64, False),
                             ("is_degraded", ColumnType.BOOL, True), ("degraded_reason", ColumnType.STRING, False)])
    report = publish(batch_of(full("p1", 20.0)), warehouse.backend, run_id="r")
    assert (report.inserted, report.degraded) == (1, 1)
    assert warehouse.rows(TABLE) == [{
        "game_date": GAME_DAY, "player_id": "p1", "predicted_points": 20.0, "odds_line": 18.5, "is_degraded": True,
        "degraded_reason": "target lacks column(s) minutes_projection, source_used_odds"}]


def test_target_missing_a_required_column_is_an_input_error_naming_it(warehouse: Warehouse) -> None:
    warehouse.create(TABLE, [("game_date", ColumnType.DATE, True), ("player_id", ColumnType.STRING, True),
                             ("is_degraded", ColumnType.BOOL, True), ("degraded_reason", ColumnType.STRING, False)])
    with pytest.raises(InputError) as caught:
        publish(batch_of(full("p1", 20.0)), warehouse.backend, run_id="r")
    assert str(caught.value) == (f"{warehouse.kind}:player_predictions: table player_predictions has no column "
                                 "predicted_points, which the output schema requires")
    assert warehouse.rows(TABLE) == []


def test_target_without_the_degradation_columns_is_refused(embedded: Warehouse) -> None:
    embedded.create(TABLE, [("game_date", ColumnType.DATE, True), ("player_id", ColumnType.STRING, True),
                             ("predicted_points", ColumnType.FLOAT64, True)])
    with pytest.raises(InputError, match="has no column is_degraded"):
        publish(batch_of(full("p1", 20.0)), embedded.backend, run_id="r")


def test_target_column_of_another_type_is_an_input_error(warehouse: Warehouse) -> None:
    warehouse.create(TABLE, [("game_date", ColumnType.DATE, True), ("player_id", ColumnType.STRING, True),
                             ("predicted_points", ColumnType.STRING, True), ("is_degraded", ColumnType.BOOL, True),
                             ("degraded_reason", ColumnType.STRING, False)])
    with pytest.raises(InputError, match="column predicted_points is .*, the output schema declares FLOAT64"):
        publish(batch_of(full("p1", 20.0)), warehouse.backend, run_id="r")


def test_target_not_null_where_the_schema_allows_null_is_refused(warehouse: Warehouse) -> None:
    warehouse.create(TABLE, [("game_date", ColumnType.DATE, True), ("player_id", ColumnType.STRING, True),
                             ("predicted_points", ColumnType.FLOAT64, True), ("odds_line", ColumnType.FLOAT64, True),
                             ("is_degraded", ColumnType.BOOL, True), ("degraded_reason", ColumnType.STRING, False)])
    with pytest.raises(InputError, match="column odds_line is NOT NULL"):
        publish(batch_of(full("p1", 20.0)), warehouse.backend, run_id="r")


def test_a_failing_merge_leaves_the_target_untouched(warehouse: Warehouse) -> None:
    """A real constraint failure mid-publish: the target has a NOT NULL column our schema does not
    know, so inserting the new key fails inside the MERGE. The update of the existing key in the
    same statement must not land either."""
    warehouse.create(TABLE, [("game_date", ColumnType.DATE, True), ("player_id", ColumnType.STRING, True),
                             ("predicted_points", ColumnType.FLOAT64, True), ("odds_line", ColumnType.FLOAT64, False),
                             ("minutes_projection", ColumnType.INT64, False),
                             ("source_used_odds", ColumnType.STRING, False), ("is_degraded", ColumnType.BOOL, True),
                             ("degraded_reason", ColumnType.STRING, False), ("model_version", ColumnType.STRING, True)])
    warehouse.insert(TABLE, {"game_date": GAME_DAY, "player_id": "p1", "predicted_points": 20.0,
                             "is_degraded": False, "model_version": "v1"})
    before = warehouse.rows(TABLE)
    with pytest.raises(Exception, match="(?i)not null|null"):
        publish(batch_of(full("p1", 99.0), full("p2", 12.0), prediction("p3", "bad")),  # type: ignore[arg-type]
                warehouse.backend, run_id="r")
    assert warehouse.rows(TABLE) == before
    quarantined = [q["record_id"] for q in warehouse.rows(QUARANTINE, order_by="record_id")]
    if warehouse.kind == "duckdb":  # one transaction: the quarantine rolled back with it
        assert quarantined == []
    else:  # BigQuery: the quarantine is written (idempotently, per run) just before the MERGE
        assert quarantined == ['["2026-01-30", "p3"]']
    assert not [t for t in warehouse.tables() if "__staging_" in t]


def test_an_exception_in_an_audit_publishes_nothing(warehouse: Warehouse) -> None:
    def broken(row: dict) -> str | None:
        raise ZeroDivisionError("audit bug")

    publish(batch_of(full("p0", 1.0)), warehouse.backend, run_id="r0")
    before = warehouse.rows(TABLE)
    with pytest.raises(ZeroDivisionError):
        publish(batch_of(full("p0", 2.0), full("p1", 3.0), prediction("p2", "x")),  # type: ignore[arg-type]
                warehouse.backend, run_id="r1", audits=[RowCheck("broken", broken)])
    assert warehouse.rows(TABLE) == before
    assert warehouse.rows(QUARANTINE, order_by="record_id") == []
    assert not [t for t in warehouse.tables() if "__staging_" in t]


@pytest.mark.parametrize("run_id", ["", "   ", None])
def test_a_run_id_is_required(run_id) -> None:
    backend = DuckDBBackend.open()
    with pytest.raises(InputError, match="run_id"):
        publish(batch_of(full("p1", 1.0)), backend, run_id=run_id)
    assert backend.describe([TABLE]) == {}  # refused before anything was created


def test_backends_refuse_unsafe_table_names(warehouse: Warehouse) -> None:
    with pytest.raises(InputError, match="not a valid identifier"):
        warehouse.backend.describe(["player_predictions; DROP TABLE x"])


@pytest.mark.bigquery
def test_a_missing_bigquery_dataset_is_an_input_error(bq_client) -> None:
    from predguard.processors.output.bigquery_backend import BigQueryBackend

    backend = BigQueryBackend(bq_client, f"{bq_client.project}.no_such_dataset", timeout_s=30)
    with pytest.raises(InputError, match="dataset test-proj.no_such_dataset not found") as caught:
        publish(batch_of(full("p1", 1.0)), backend, run_id="r")
    assert caught.value.where == "output dataset"
