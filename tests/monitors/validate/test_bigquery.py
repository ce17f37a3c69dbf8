"""The same checks through the real google-cloud-bigquery client against the local emulator:
the example's tables loaded into a dataset, the same configuration with `warehouse =
"bigquery:..."`, and the same statuses and values as on DuckDB — INFORMATION_SCHEMA schema
guard, DATE/TIMESTAMP parameters, one batched query."""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from predguard import run_markers
from tests.monitors.validate.helpers import GAME_DAY, POST_GAME_NOW, PRE_GAME_NOW, copy_example, run_json

pytestmark = pytest.mark.bigquery

SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "schedule": (("game_id", "STRING"), ("game_date", "DATE"), ("home_team", "STRING"), ("away_team", "STRING"), ("status", "STRING")),
    "predictions": (
        ("prediction_id", "STRING"), ("game_id", "STRING"), ("game_date", "DATE"), ("system_id", "STRING"),
        ("player", "STRING"), ("line", "FLOAT64"), ("pick", "STRING"), ("created_at", "TIMESTAMP"),
    ),
    "prediction_grades": (("prediction_id", "STRING"), ("game_date", "DATE"), ("is_correct", "BOOL"), ("graded_at", "TIMESTAMP")),
    "predictions_errors": (("error_id", "STRING"), ("game_date", "DATE"), ("error", "STRING"), ("received_at", "TIMESTAMP")),
    run_markers.TABLE: run_markers.COLUMNS,
}


def _value(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "BOOL":
        return text == "true"
    if kind == "INT64":
        return int(text)
    if kind == "FLOAT64":
        return float(text)
    return text


def load_tables(client: Any, dataset: str, data: Path, rename: dict[str, str] | None = None) -> None:
    from google.cloud import bigquery

    for table, schema in SCHEMAS.items():
        fields = [bigquery.SchemaField((rename or {}).get(f"{table}.{name}", name), "BOOLEAN" if kind == "BOOL" else kind) for name, kind in schema]
        with (data / f"{table}.csv").open(newline="") as handle:
            rows = [{f.name: _value(row[name], kind) for f, (name, kind) in zip(fields, schema)} for row in csv.DictReader(handle)]
        client.create_table(bigquery.Table(f"{dataset}.{table}", schema=fields))
        if rows:
            client.load_table_from_json(rows, f"{dataset}.{table}", job_config=bigquery.LoadJobConfig(schema=fields)).result(timeout=60)


def bigquery_config(tmp: Path, dataset: str) -> Path:
    config = copy_example(tmp)
    text = re.sub(r'"data/(\w+)\.csv"', r'"\1"', config.read_text())
    text = text.replace('[tool.predguard.validate]\n', f'[tool.predguard.validate]\nwarehouse = "bigquery:{dataset}"\n', 1)
    config.write_text(text)
    return config


def comparable(report: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {c["name"]: (c["status"], None if c["value"] is None else round(c["value"], 9)) for c in report["checks"]}


@pytest.mark.parametrize("now", [PRE_GAME_NOW, POST_GAME_NOW], ids=["pre_game", "post_game"])
def test_the_same_statuses_and_values_as_duckdb(tmp_path: Path, bq_client, bq_dataset: str, now: str) -> None:
    (tmp_path / "local").mkdir()
    (tmp_path / "remote").mkdir()
    local = copy_example(tmp_path / "local")
    load_tables(bq_client, bq_dataset, local.parent / "data")
    remote = bigquery_config(tmp_path / "remote", bq_dataset)
    duck_code, duck = run_json("--config", str(local), "--date", GAME_DAY, "--now", now, "--dry-run")
    bq_code, bq = run_json("--config", str(remote), "--date", GAME_DAY, "--now", now, "--dry-run", bigquery=bq_client)
    assert bq["warehouse"] == f"bigquery:{bq_dataset}"
    assert bq["mode"] == duck["mode"] and bq["mode_reason"] == duck["mode_reason"]
    assert comparable(bq) == comparable(duck)
    assert {c["name"]: c["evidence"] for c in bq["checks"]} == {c["name"]: c["evidence"] for c in duck["checks"]}
    assert bq_code == duck_code
    assert bq["queries"] == 2  # INFORMATION_SCHEMA.COLUMNS once, then one batch


def test_information_schema_guard_degrades_a_renamed_column_and_a_missing_table(tmp_path: Path, bq_client, bq_dataset: str) -> None:
    config = bigquery_config(tmp_path, bq_dataset)
    load_tables(bq_client, bq_dataset, tmp_path / "data", rename={"prediction_grades.graded_at": "grade_time"})
    bq_client.delete_table(f"{bq_dataset}.predictions_errors")
    _, report = run_json("--config", str(config), "--date", GAME_DAY, "--now", PRE_GAME_NOW, "--dry-run", bigquery=bq_client)
    degraded = {c["name"]: c["reason"] for c in report["checks"] if c["status"] == "degraded"}
    table = bq_dataset + ".predictions_errors"
    assert degraded == {
        "grading_coverage": "column graded_at not in prediction_grades (it has: prediction_id, game_date, is_correct, grade_time)",
        "grades_fresh": "column graded_at not in prediction_grades (it has: prediction_id, game_date, is_correct, grade_time)",
        "prediction_error_rate": f"table predictions_errors ({table}) not found",
    }
    assert {c["status"] for c in report["checks"] if c["name"] not in degraded} <= {"ok", "not_applicable"}


def test_the_dashboard_view_runs_on_bigquery_with_the_same_rows_as_on_duckdb(tmp_path: Path, bq_client, bq_dataset: str) -> None:
    import duckdb

    from tests.monitors.validate.helpers import run

    (tmp_path / "local").mkdir()
    (tmp_path / "remote").mkdir()
    local = copy_example(tmp_path / "local")
    load_tables(bq_client, bq_dataset, local.parent / "data")
    remote = bigquery_config(tmp_path / "remote", bq_dataset)
    code, bq_sql = run("--config", str(remote), "--emit-sql", bigquery=bq_client)
    assert code == 0 and f"CREATE OR REPLACE VIEW `{bq_dataset}.predguard_daily_validation` AS" in bq_sql
    bq_client.query(bq_sql).result(timeout=120)
    rows = [dict(r.items()) for r in bq_client.query(f"SELECT * FROM `{bq_dataset}.predguard_daily_validation` ORDER BY day").result(timeout=120)]

    _, duck_sql = run("--config", str(local), "--emit-sql")
    con = duckdb.connect()
    for name in SCHEMAS:
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_csv_auto('{local.parent / 'data' / name}.csv')")
    con.execute(duck_sql)
    cursor = con.execute('SELECT * FROM "predguard_daily_validation" ORDER BY day')
    expected = [dict(zip([d[0] for d in cursor.description], r)) for r in cursor.fetchall()]
    assert [r["day"] for r in rows] == [r["day"] for r in expected]
    value_columns = [c for c in expected[0] if "__" not in c and c != "day"] + ["phase3_complete__pre_game", "phase3_complete__post_game"]
    for got, want in zip(rows, expected):
        for column in value_columns:
            assert (got[column] is None) == (want[column] is None), (got["day"], column)
            if want[column] is not None:
                assert float(got[column]) == pytest.approx(float(want[column])), (got["day"], column)
