"""Output schema declarations: identifiers, types, keys and reserved names are checked up front."""
from __future__ import annotations

import pytest

from predguard.errors import InputError
from predguard.processors.output import Column, ColumnType, InRange, NotNull, AcceptedValues, OutputSchema
from predguard.processors.output.audit import check_audits
from tests.processors.output.conftest import PREDICTIONS


def test_a_valid_schema_adds_provenance_and_degradation_columns() -> None:
    names = [c.name for c in PREDICTIONS.all_columns]
    assert names == ["game_date", "player_id", "predicted_points", "odds_line", "minutes_projection",
                     "source_used_odds", "is_degraded", "degraded_reason"]
    assert PREDICTIONS.column("predicted_points").type is ColumnType.FLOAT64
    assert PREDICTIONS.quarantine_table == "player_predictions__quarantine"
    assert PREDICTIONS.required_in_target == {"game_date", "player_id", "predicted_points", "is_degraded",
                                              "degraded_reason"}


@pytest.mark.parametrize("table", ["preds; DROP TABLE x", "1preds", "pre-ds", "préds", "", "a" * 129, "t`x"])
def test_invalid_table_names_are_rejected(table: str) -> None:
    with pytest.raises(InputError, match="not a valid identifier"):
        OutputSchema(table, [Column("id", "STRING", required=True)], primary_key=("id",))


@pytest.mark.parametrize("column", ["id x", "9lives", 'x"y', "a.b"])
def test_invalid_column_names_are_rejected(column: str) -> None:
    with pytest.raises(InputError, match="not a valid identifier"):
        Column(column, "STRING")


def test_invalid_provenance_names_are_rejected() -> None:
    with pytest.raises(InputError, match="provenance input 'odds feed'"):
        OutputSchema("t", [Column("id", "STRING", required=True)], primary_key=("id",), provenance=("odds feed",))


def test_types_are_case_insensitive_and_unknown_types_rejected() -> None:
    assert Column("x", "float64").type is ColumnType.FLOAT64
    with pytest.raises(InputError, match="unknown type 'DECIMAL'"):
        Column("x", "DECIMAL")


@pytest.mark.parametrize(("columns", "key", "message"), [
    ([Column("id", "STRING", required=True)], (), "needs a primary key"),
    ([Column("id", "STRING", required=True)], ("other",), "'other' is not declared"),
    ([Column("id", "STRING")], ("id",), "must be required"),
    ([Column("id", "STRING", required=True), Column("id", "INT64")], ("id",), "declares id twice"),
    ([Column("id", "STRING", required=True), Column("is_degraded", "BOOL")], ("id",), "reserved name"),
    ([Column("id", "STRING", required=True), Column("source_used_x", "STRING")], ("id",), "reserved name"),
    ([], ("id",), "declares no columns"),
])
def test_bad_declarations_are_input_errors(columns: list[Column], key: tuple[str, ...], message: str) -> None:
    with pytest.raises(InputError, match=message):
        OutputSchema("t", columns, primary_key=key)


def test_audits_are_checked_and_their_bounds_coerced_to_the_column_type() -> None:
    checked = check_audits([InRange("predicted_points", 0, 60), AcceptedValues("player_id", ["p1"])], PREDICTIONS)
    assert checked[0] == InRange("predicted_points", 0.0, 60.0) and isinstance(checked[0].min, float)
    with pytest.raises(InputError, match="has no column 'points'"):
        check_audits([NotNull("points")], PREDICTIONS)
    with pytest.raises(InputError, match="expected FLOAT64"):
        check_audits([InRange("predicted_points", "0", None)], PREDICTIONS)
    with pytest.raises(InputError, match="accepts no values"):
        check_audits([AcceptedValues("player_id", [])], PREDICTIONS)
    with pytest.raises(InputError, match="not an audit"):
        check_audits(["predicted_points > 0"], PREDICTIONS)  # type: ignore[list-item]


def test_bigquery_backend_rejects_a_malformed_dataset_before_any_call() -> None:
    pytest.importorskip("google.cloud.bigquery")
    from predguard.processors.output.bigquery_backend import BigQueryBackend

    for bad in ["nodot", "proj.ds; DROP", "Proj!.ds", "proj.1ds"]:
        with pytest.raises(InputError):
            BigQueryBackend(None, bad)  # type: ignore[arg-type]
    assert BigQueryBackend(None, "test-proj.ds_1").dataset == "ds_1"  # type: ignore[arg-type]
