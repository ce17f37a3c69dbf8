"""One round trip for every check; a faulty query costs only its own check; the dashboard view
returns, for every day, the numbers a run for that day judges."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest

from predguard.monitors.validate.config import load_validate_config
from predguard.monitors.validate.runner import validate
from predguard.monitors.validate.warehouse import DuckDBWarehouse
from tests.monitors.validate.helpers import GAME_DAY, PRE_GAME_NOW, copy_example, run, run_json, statuses

BROKEN = '''
[[tool.predguard.validate.checks]]
name = "broken_query"
kind = "custom_sql"
sql = "SELECT MAX(no_such_column) FROM {predictions}"
error_above = 0
'''


def test_every_check_in_one_batch_after_one_schema_read(tmp_path: Path) -> None:
    config = load_validate_config(copy_example(tmp_path))
    warehouse = DuckDBWarehouse(config.tables, config.base_dir)
    report = validate(config, warehouse, dt.date(2026, 1, 30), dt.datetime(2026, 1, 30, 17, tzinfo=dt.timezone.utc), "auto")
    assert report.queries == 2 == warehouse.round_trips
    assert len(report.results) == 9


def test_a_failing_query_degrades_only_its_check(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    config.write_text(config.read_text() + BROKEN)
    code, report = run_json("--config", str(config), "--date", GAME_DAY, "--now", PRE_GAME_NOW)
    found = statuses(report)
    broken = next(c for c in report["checks"] if c["name"] == "broken_query")
    assert broken["status"] == "degraded"
    assert broken["reason"].startswith("query failed: Binder Error") and "no_such_column" in broken["reason"]
    assert {s for n, s in found.items() if n not in ("broken_query", "grading_coverage")} == {"ok"}
    # schema read + the failed batch + each of the 11 parts (10 checks and the schedule) on its own
    assert report["queries"] == 1 + 1 + 11
    assert code == 0


def test_the_dashboard_view_has_the_runs_numbers_for_every_day(tmp_path: Path) -> None:
    path = copy_example(tmp_path)
    code, sql = run("--config", str(path), "--emit-sql")
    assert code == 0 and sql.count("CREATE OR REPLACE VIEW") == 1
    config = load_validate_config(path)
    con = duckdb.connect()
    for name, location in config.tables.items():
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_csv_auto('{tmp_path / location}')")
    con.execute(sql)
    cursor = con.execute('SELECT * FROM "predguard_daily_validation"')
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    assert [r["day"] for r in rows] == [dt.date(2026, 1, d) for d in range(26, 32)]  # the schedule's days
    for row in rows:
        end_of_day = dt.datetime.combine(row["day"] + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
        for mode in ("pre_game", "post_game"):
            warehouse = DuckDBWarehouse(config.tables, config.base_dir)
            report = validate(config, warehouse, row["day"], end_of_day, mode)
            for result in report.results:
                shown = row.get(f"{result.name}__{mode}", row.get(result.name))
                if result.value is None:
                    assert shown is None or (isinstance(shown, float) and math.isnan(shown)), (row["day"], result.name)
                else:
                    assert float(shown) == pytest.approx(result.value), (row["day"], mode, result.name)


def test_emit_sql_to_a_file_leaves_out_unrunnable_checks_with_the_reason(tmp_path: Path) -> None:
    path = copy_example(tmp_path)
    (tmp_path / "data" / "run_markers.csv").unlink()
    code, out = run("--config", str(path), "--emit-sql", "--output", str(tmp_path / "view.sql"))
    assert code == 0 and out == f"wrote the dashboard view predguard_daily_validation to {tmp_path / 'view.sql'}\n"
    text = (tmp_path / "view.sql").read_text()
    assert "-- left out: phase3_complete (table run_markers: file data/run_markers.csv not found)" in text
    assert "phase3_complete__" not in text.split("CREATE OR REPLACE VIEW")[1]
