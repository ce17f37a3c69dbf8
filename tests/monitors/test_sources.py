"""Sources: parsing SOURCE strings, the schema guard, and the daily counts DuckDB computes."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from predguard.monitors.config import ColumnMap
from predguard.monitors.sources import DailyRow, histories, open_source, parse_source
from predguard.errors import InputError
from tests.monitors.drift_helpers import python_counts, random_rows, write_rows

START = dt.date(2026, 1, 1)


@pytest.fixture
def rows() -> list[tuple[dt.date, str, bool | None]]:
    return random_rows(START, 20, {"sys_a": 0.6, "sys_b": 0.45})


def to_parquet(csv_path: Path, out: Path, select: str = "*") -> Path:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}', types = {{'is_correct': 'BOOLEAN', 'game_date': 'DATE'}})")
    con.execute(f"COPY (SELECT {select} FROM t) TO '{out}' (FORMAT parquet)")
    return out


def engine_counts(path: Path, start: dt.date, end: dt.date, **kwargs) -> dict[tuple[str, dt.date], tuple[int, int]]:
    source = open_source(parse_source(str(path), table=kwargs.pop("table", None), has_sql="sql" in kwargs), kwargs.pop("columns", ColumnMap()), **kwargs)
    try:
        aggregate = source.aggregate(start, end)
    finally:
        source.close()
    assert aggregate.bytes_processed is None  # only BigQuery reports bytes
    return {(r.system_id, r.game_date): (r.n, r.hits) for r in aggregate.rows}


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bigquery:proj", "malformed BigQuery source 'proj'"),
        ("bigquery:my-project.dataset", "expected bigquery:PROJECT.DATASET.TABLE"),
        ("bigquery:My_Project.ds.t", "malformed BigQuery source"),
        ("bigquery:my-project.ds.t.extra", "malformed BigQuery source"),
        ("s3://bucket/file.parquet", "unknown source scheme"),
        ("", "empty source"),
        ("predictions.xlsx", "unknown source file type '.xlsx'"),
        ("predictions", "unknown source file type '(no extension)'"),
        ("does-not-exist.csv", "source file not found"),
    ],
)
def test_malformed_sources_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_source(text)
    assert message in str(info.value)


def test_bigquery_sources_parse() -> None:
    spec = parse_source("bigquery:my-project.predictions.graded")
    assert (spec.kind, spec.location, spec.project) == ("bigquery", "my-project.predictions.graded", "my-project")
    assert parse_source("bigquery:my-project", has_sql=True).location == "my-project"


def test_a_duckdb_file_needs_a_table(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(InputError, match="needs a table: --table NAME"):
        parse_source(str(db))
    with pytest.raises(InputError, match="malformed table name"):
        parse_source(str(db), table="x; DROP TABLE y")


# --- aggregation in the engine -------------------------------------------------------------


def test_csv_counts_match_python(tmp_path: Path, rows) -> None:
    path = write_rows(tmp_path / "g.csv", rows)
    start, end = START + dt.timedelta(days=3), START + dt.timedelta(days=12)
    assert engine_counts(path, start, end) == python_counts(rows, start, end)


def test_parquet_and_duckdb_counts_match_python(tmp_path: Path, rows) -> None:
    csv_path = write_rows(tmp_path / "g.csv", rows)
    parquet = to_parquet(csv_path, tmp_path / "g.parquet")
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE graded AS SELECT * FROM read_parquet('{parquet}')")
    con.close()
    start, end = START, START + dt.timedelta(days=19)
    expected = python_counts(rows, start, end)
    assert engine_counts(parquet, start, end) == expected
    assert engine_counts(db, start, end, table="graded") == expected


def test_column_mapping_and_custom_sql(tmp_path: Path, rows) -> None:
    path = write_rows(tmp_path / "g.csv", rows, header=("day", "model", "hit"))
    columns = ColumnMap(game_date="day", system_id="model", is_correct="hit")
    start, end = START, START + dt.timedelta(days=5)
    assert engine_counts(path, start, end, columns=columns) == python_counts(rows, start, end)
    # a custom source: only one model, selected and renamed in SQL over the file (`source`)
    sql = "SELECT day AS game_date, model AS system_id, hit AS is_correct FROM source WHERE model = 'sys_b'"
    only_b = {k: v for k, v in python_counts(rows, start, end).items() if k[0] == "sys_b"}
    assert engine_counts(path, start, end, sql=sql) == only_b


def test_rows_after_the_window_are_counted_and_ignored(tmp_path: Path, rows) -> None:
    path = write_rows(tmp_path / "g.csv", rows)
    end = START + dt.timedelta(days=9)
    source = open_source(parse_source(str(path)))
    aggregate = source.aggregate(START, end)
    assert max(r.game_date for r in aggregate.rows) == end
    assert aggregate.rows_after_window == sum(1 for d, _, _ in rows if d > end)


def test_all_null_grades_are_days_with_no_graded_predictions(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "g.csv", [(START, "sys_a", None), (START, "sys_a", None), (START + dt.timedelta(days=1), "sys_a", None)])
    source = open_source(parse_source(str(path)))
    aggregate = source.aggregate(START, START + dt.timedelta(days=3))
    assert [(r.rows, r.n, r.hits) for r in aggregate.rows] == [(2, 0, 0), (1, 0, 0)]
    assert histories(aggregate.rows, START, START + dt.timedelta(days=3))["sys_a"][0].n == 0


# --- the schema guard ------------------------------------------------------------------------


def test_a_missing_column_names_the_column_and_the_source(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "g.csv", [(START, "a", True)], header=("game_date", "model", "is_correct"))
    with pytest.raises(InputError) as info:
        open_source(parse_source(str(path))).aggregate(START, START)
    assert str(info.value) == f"{path}: column 'system_id' not found; the source has: game_date, is_correct, model"


def test_a_mapped_column_that_is_missing_says_it_was_mapped(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "g.csv", [(START, "a", True)])
    with pytest.raises(InputError, match=r"column 'hit' \(mapped from is_correct\) not found"):
        open_source(parse_source(str(path)), ColumnMap(is_correct="hit")).aggregate(START, START)


def test_wrong_types_in_parquet(tmp_path: Path) -> None:
    csv_path = write_rows(tmp_path / "g.csv", [(START, "a", True)])
    as_int = to_parquet(csv_path, tmp_path / "int.parquet", "game_date, system_id, CAST(is_correct AS INTEGER) AS is_correct")
    as_text = to_parquet(csv_path, tmp_path / "text.parquet", "CAST(game_date AS VARCHAR) AS game_date, system_id, is_correct")
    with pytest.raises(InputError) as info:
        open_source(parse_source(str(as_int))).aggregate(START, START)
    assert str(info.value) == f"{as_int}: column 'is_correct' has type INTEGER, expected BOOL"
    with pytest.raises(InputError, match="column 'game_date' has type VARCHAR, expected DATE"):
        open_source(parse_source(str(as_text))).aggregate(START, START)


def test_wrong_values_in_a_csv_name_a_value(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "g.csv", [(START, "a", "0.7"), (START, "a", "0.2")])
    with pytest.raises(InputError, match=r"column 'is_correct' has type DOUBLE \(value '0.7'\), expected BOOLEAN"):
        open_source(parse_source(str(path))).aggregate(START, START)
    dates = write_rows(tmp_path / "d.csv", [("yesterday", "a", True)])
    with pytest.raises(InputError, match=r"column 'game_date' has type VARCHAR \(value 'yesterday'\), expected DATE"):
        open_source(parse_source(str(dates))).aggregate(START, START)


def test_a_file_that_is_not_what_its_extension_says(tmp_path: Path) -> None:
    fake = tmp_path / "g.parquet"
    fake.write_text("game_date,system_id,is_correct\n")
    with pytest.raises(InputError, match="cannot read"):
        open_source(parse_source(str(fake))).aggregate(START, START)
    db = tmp_path / "w.duckdb"
    db.write_text("not a database")
    with pytest.raises(InputError, match="cannot open as a DuckDB database"):
        open_source(parse_source(str(db), table="t"))


def test_a_broken_custom_sql_is_an_input_error(tmp_path: Path, rows) -> None:
    path = write_rows(tmp_path / "g.csv", rows)
    with pytest.raises(InputError, match=r"sql in \[tool.predguard.drift\]: cannot read"):
        open_source(parse_source(str(path), has_sql=True), sql="SELEC nothing").aggregate(START, START)


# --- what a backtest may see ---------------------------------------------------------------------


def test_graded_at_decides_when_grades_are_known(tmp_path: Path) -> None:
    d1, d2, d3 = START, START + dt.timedelta(days=1), START + dt.timedelta(days=2)
    rows = [(d1, "a", True, d1), (d1, "a", False, d3), (d2, "a", True, d2)]
    path = write_rows(tmp_path / "g.csv", rows, header=("game_date", "system_id", "is_correct", "graded_at"))
    aggregate = open_source(parse_source(str(path))).aggregate(d1, d3, by_graded_day=True)
    assert aggregate.has_graded_at
    assert histories(aggregate.rows, d1, d3, graded_by=d1)["a"] == [type(histories(aggregate.rows, d1, d3)["a"][0])(d1, 1, 1)]
    by_d2 = histories(aggregate.rows, d1, d3, graded_by=d2)["a"]
    assert [(c.day, c.n, c.hits) for c in by_d2] == [(d1, 1, 1), (d2, 1, 1)]
    by_d3 = histories(aggregate.rows, d1, d3, graded_by=d3)["a"]
    assert [(c.day, c.n, c.hits) for c in by_d3] == [(d1, 2, 1), (d2, 1, 1)]


def test_without_graded_at_a_day_is_graded_the_next_day() -> None:
    rows = [DailyRow("a", START, None, 10, 10, 6)]
    assert histories(rows, START, START, graded_by=START) == {}
    assert histories(rows, START, START, graded_by=START + dt.timedelta(days=1))["a"][0].n == 10
