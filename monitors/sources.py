"""Where graded predictions come from, and their daily counts computed in the engine.

A source is `bigquery:PROJECT.DATASET.TABLE` (production), or a local `.csv`, `.parquet`
or DuckDB database file (`.duckdb` / `.db`, with a table name): the embedded default. Both
run the same query shape, so a million rows never travel to Python — only one row per
(system, day):

    SELECT system_id, game_date, COUNT(*), COUNT(is_correct), SUM(CASE WHEN is_correct ...)
    FROM <table> WHERE game_date BETWEEN @start AND @end GROUP BY ...

The window is a query parameter, and on BigQuery the filter is on the (partition) date
column, so only the window's partitions are read. Before querying, a schema guard checks
that each column exists with the right type (INFORMATION_SCHEMA.COLUMNS on BigQuery,
DESCRIBE on DuckDB): a wrong or missing column is one clear line, not a stack trace.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from predguard.monitors.config import ColumnMap
from predguard.monitors.model import DayCount
from predguard.bigquery import Level, is_bigquery, parse_name
from predguard.bigquery import client as bigquery_client
from predguard.errors import InputError

SourceKind = Literal["bigquery", "csv", "parquet", "duckdb"]

_LOCAL_KINDS: dict[str, SourceKind] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".duckdb": "duckdb", ".db": "duckdb"}
# project ids: 6-30 lowercase letters, digits, hyphens (optionally "domain.com:" scoped);
# dataset: letters, digits, underscores; table: also hyphens and spaces are not allowed here.
_DUCK_TABLE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)?$")

# CSV cells read as SQL NULL: empty, and the literal text NULL/null some exports write.
_CSV_NULLS = "['', 'NULL', 'null']"

# Accepted column types, by role (BigQuery spellings, DuckDB spellings).
_EXPECTED = {
    "game_date": ({"DATE"}, "DATE"),
    "system_id": ({"STRING", "VARCHAR"}, "STRING"),
    "is_correct": ({"BOOL", "BOOLEAN"}, "BOOL"),
    "graded_at": ({"DATE", "DATETIME", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}, "DATE or TIMESTAMP"),
}
_REQUIRED = ("game_date", "system_id", "is_correct")


@dataclass(frozen=True)
class SourceSpec:
    kind: SourceKind
    location: str  # PROJECT.DATASET.TABLE (or PROJECT with a custom SQL source), or a file path
    table: str | None = None  # the table inside a DuckDB file
    text: str = ""  # as the user wrote it, for messages
    project: str = ""  # BigQuery: the project the queries run in


@dataclass(frozen=True)
class DailyRow:
    """One system's graded predictions on one game date (and, for a backtest, grading date)."""

    system_id: str
    game_date: dt.date
    graded_on: dt.date | None  # None: the table has no graded_at, or not asked for
    rows: int  # all rows, graded or not
    n: int  # graded (is_correct not NULL)
    hits: int


@dataclass(frozen=True)
class Aggregate:
    rows: tuple[DailyRow, ...]
    bytes_processed: int | None  # BigQuery's dry-run estimate; None for local engines
    has_graded_at: bool
    rows_after_window: int  # rows dated after the window's end (future games), ignored
    rows_without_system: int = 0  # rows in the window with no system_id: cannot be attributed, ignored
    null_text_rows: int = 0  # CSV cells spelling NULL/null in is_correct: read as ungraded, like an empty cell


class Source(Protocol):
    spec: SourceSpec

    def aggregate(self, start: dt.date, end: dt.date, *, by_graded_day: bool = False) -> Aggregate: ...

    def close(self) -> None: ...


def parse_source(text: str, *, table: str | None = None, has_sql: bool = False) -> SourceSpec:
    """Parse a SOURCE string. Checks the form and that a local file exists; no I/O beyond that."""
    where = f"--source {text}"
    if not text.strip():
        raise InputError("empty source; give bigquery:PROJECT.DATASET.TABLE or a .csv, .parquet or .duckdb file", where="--source")
    if is_bigquery(text):
        levels: tuple[Level, ...] = ("project", "table") if has_sql else ("table",)  # a custom sql names its tables itself
        name = parse_name(text, levels, what="source", where=where)
        return SourceSpec("bigquery", name.table_id if name.table else name.project, None, text, project=name.project)
    if re.match(r"^[a-z][a-z0-9+.-]*://", text) or re.match(r"^[a-z]+:(?![\\/])", text):
        raise InputError("unknown source scheme; use bigquery:PROJECT.DATASET.TABLE or a local file path", where=where)
    path = Path(text)
    kind = _LOCAL_KINDS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"unknown source file type {path.suffix or '(no extension)'!r}; expected .csv, .parquet, .duckdb or .db", where=where
        )
    if not path.is_file():
        raise InputError("source file not found" if not path.exists() else "source is not a file", where=where)
    if kind == "duckdb":
        if table is None and not has_sql:
            raise InputError("a DuckDB database needs a table: --table NAME, or `table` in [tool.predguard.drift]", where=where)
        if table is not None and not _DUCK_TABLE.match(table):
            raise InputError(f"malformed table name {table!r}; expected NAME or SCHEMA.NAME", where="--table")
    return SourceSpec(kind, str(path), table, text)


def open_source(spec: SourceSpec, columns: ColumnMap = ColumnMap(), *, sql: str | None = None, bigquery_client: Any = None) -> Source:
    if spec.kind == "bigquery":
        return BigQuerySource(spec, columns, sql=sql, client=bigquery_client)
    return DuckDBSource(spec, columns, sql=sql)


# --- building per-system histories from the daily rows ------------------------------------


def graded_on(row: DailyRow) -> dt.date:
    """When a day's grades became known: the table's graded_at, else the next day."""
    return row.graded_on if row.graded_on is not None else row.game_date + dt.timedelta(days=1)


def histories(rows: Iterable[DailyRow], start: dt.date, as_of: dt.date, *, graded_by: dt.date | None = None) -> dict[str, list[DayCount]]:
    """DayCounts per system for game dates in [start, as_of], sorted by day.

    With `graded_by`, only grades known by that day count (a backtest sees no future grades).
    A system whose days are all ungraded keeps its days with n = 0: detection then says
    "insufficient data" instead of the system silently vanishing from the report.
    """
    counts: dict[str, dict[dt.date, list[int]]] = defaultdict(dict)
    for row in rows:
        if not start <= row.game_date <= as_of:
            continue
        if graded_by is not None and graded_on(row) > graded_by:
            continue
        cell = counts[row.system_id].setdefault(row.game_date, [0, 0])
        cell[0] += row.n
        cell[1] += row.hits
    return {system: [DayCount(day, n, hits) for day, (n, hits) in sorted(days.items())] for system, days in sorted(counts.items())}


# --- the query, shared by both engines ---------------------------------------------------


def aggregation_sql(relation: str, columns: ColumnMap, quote: str, *, with_graded_on: bool, param: str) -> str:
    def q(name: str) -> str:
        return f"{quote}{name}{quote}"

    graded = f", CAST({q(columns.graded_at)} AS DATE) AS graded_on" if with_graded_on else ""
    group = "1, 2, 3" if with_graded_on else "1, 2"
    correct = q(columns.is_correct)
    return (
        f"SELECT {q(columns.system_id)} AS system_id, {q(columns.game_date)} AS game_date{graded},\n"
        f"  COUNT(*) AS row_count, COUNT({correct}) AS graded,\n"
        f"  SUM(CASE WHEN {correct} THEN 1 ELSE 0 END) AS hits\n"
        f"FROM {relation}\n"
        f"WHERE {q(columns.game_date)} BETWEEN {param}start AND {param}end\n"
        f"GROUP BY {group}\nORDER BY {group}"
    )


def after_window_sql(relation: str, columns: ColumnMap, quote: str, *, param: str) -> str:
    return f"SELECT COUNT(*) FROM {relation} WHERE {quote}{columns.game_date}{quote} > {param}end"


def check_schema(types: dict[str, str], columns: ColumnMap, source: str) -> bool:
    """Raise InputError for a missing or mistyped column; return whether graded_at is usable."""
    for role in _REQUIRED:
        name = getattr(columns, role)
        if name not in types:
            mapped = "" if name == role else f" (mapped from {role})"
            available = ", ".join(sorted(types)) or "none"
            raise InputError(f"column {name!r}{mapped} not found; the source has: {available}", where=source)
        _check_type(role, name, types[name], source)
    name = columns.graded_at
    if name in types:
        _check_type("graded_at", name, types[name], source)
        return True
    return False


def _check_type(role: str, name: str, actual: str, source: str) -> None:
    accepted, expected = _EXPECTED[role]
    if actual.upper() not in accepted:
        raise InputError(f"column {name!r} has type {actual}, expected {expected}", where=source)


def _to_rows(records: Iterable[Sequence[Any]], with_graded_on: bool) -> tuple[tuple[DailyRow, ...], int]:
    """The daily rows, and how many source rows had no system_id (they cannot be attributed)."""
    out = []
    unattributed = 0
    for record in records:
        if with_graded_on:
            system, day, graded, total, n, hits = record
        else:
            (system, day, total, n, hits), graded = record, None
        if system is None or day is None:
            unattributed += int(total)
            continue
        out.append(DailyRow(str(system), _as_date(day), _as_date(graded) if graded is not None else None, int(total), int(n), int(hits or 0)))
    return tuple(out), unattributed


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# --- DuckDB: local CSV, Parquet and database files ---------------------------------------


class DuckDBSource:
    """The embedded engine: DuckDB scans the file and returns only the daily counts."""

    def __init__(self, spec: SourceSpec, columns: ColumnMap, *, sql: str | None = None) -> None:
        import duckdb

        self.spec = spec
        self.columns = columns
        self.sql = sql
        self._duckdb = duckdb
        read_only = spec.kind == "duckdb"
        try:
            self.con = duckdb.connect(spec.location if read_only else ":memory:", read_only=read_only)
        except duckdb.Error as exc:
            raise InputError(f"cannot open as a DuckDB database: {_first_line(exc)}", where=spec.location) from None
        self._where = spec.location + (f" (table {spec.table})" if spec.table else "")
        self.relation = self._define_source()

    def _define_source(self) -> str:
        """A view named `source` over the file, so a custom sql can say FROM source."""
        spec = self.spec
        literal = "'" + spec.location.replace("'", "''") + "'"
        base: str | None
        if spec.kind == "csv":
            base = f"read_csv({literal}, header = true, nullstr = {_CSV_NULLS})"
        elif spec.kind == "parquet":
            base = f"read_parquet({literal})"
        else:
            base = spec.table if spec.table else None
        try:
            if base is not None:
                self.con.execute(f"CREATE TEMP VIEW source AS SELECT * FROM {base}")
            return f"({self.sql}) AS custom" if self.sql else "source"
        except self._duckdb.Error as exc:
            raise InputError(f"cannot read: {_first_line(exc)}", where=self._where) from None

    def describe(self) -> dict[str, str]:
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {self.relation}").fetchall()
        except self._duckdb.Error as exc:
            where = "sql in [tool.predguard.drift]" if self.sql else self._where
            raise InputError(f"cannot read: {_first_line(exc)}", where=where) from None
        return {name: str(kind) for name, kind, *_ in described}

    def guard(self) -> bool:
        types = self.describe()
        if self.spec.kind == "csv" and not self.sql:
            types = self._csv_types(types)
        return check_schema(types, self.columns, self._where)

    def _csv_types(self, inferred: dict[str, str]) -> dict[str, str]:
        """A CSV has no types, only values: judge a column by whether its values cast.

        DuckDB infers VARCHAR for a column that is entirely empty (all grades NULL): that is
        "no data", not a wrong type. A column with a value that is not a boolean / a date
        keeps its inferred type and fails the check, naming a value.
        """
        fixed = dict(inferred)
        for role, target in (("is_correct", "BOOLEAN"), ("game_date", "DATE")):
            name = getattr(self.columns, role)
            if name not in inferred or inferred[name].upper() == target:
                continue
            bad = self.con.execute(
                f'SELECT CAST("{name}" AS VARCHAR) FROM source WHERE "{name}" IS NOT NULL '
                f'AND TRY_CAST(CAST("{name}" AS VARCHAR) AS {target}) IS NULL LIMIT 1'
            ).fetchone()
            if bad is None and (role == "game_date" or inferred[name].upper() in {"VARCHAR", "BIGINT", "INTEGER"}):
                fixed[name] = target
            elif bad is not None:
                raise InputError(f"column {name!r} has type {inferred[name]} (value {bad[0]!r}), expected {target}", where=self._where)
        return fixed

    def aggregate(self, start: dt.date, end: dt.date, *, by_graded_day: bool = False) -> Aggregate:
        has_graded_at = self.guard()
        relation = self.relation
        if self.spec.kind == "csv" and not self.sql:
            relation = self._typed_csv_relation()
        with_graded = by_graded_day and has_graded_at
        query = aggregation_sql(relation, self.columns, '"', with_graded_on=with_graded, param="$")
        params = {"start": start, "end": end}
        try:
            records = self.con.execute(query, params).fetchall()
            (after,) = self.con.execute(after_window_sql(relation, self.columns, '"', param="$"), {"end": end}).fetchone() or (0,)
        except self._duckdb.Error as exc:
            raise InputError(f"query failed: {_first_line(exc)}", where=self._where) from None
        rows, unattributed = _to_rows(records, with_graded)
        null_text = self._null_text_rows() if self.spec.kind == "csv" and not self.sql else 0
        return Aggregate(rows, None, has_graded_at, int(after), unattributed, null_text)

    def _typed_csv_relation(self) -> str:
        """read_csv with explicit types for the columns we use, so no sample guesses wrong."""
        literal = "'" + self.spec.location.replace("'", "''") + "'"
        c = self.columns
        types = {c.game_date: "DATE", c.system_id: "VARCHAR", c.is_correct: "BOOLEAN"}
        spelled = ", ".join(f"'{k}': '{v}'" for k, v in types.items())
        return f"read_csv({literal}, header = true, nullstr = {_CSV_NULLS}, types = {{{spelled}}})"

    def _null_text_rows(self) -> int:
        """How many is_correct cells spell NULL (the file read as text): they count as ungraded."""
        literal = "'" + self.spec.location.replace("'", "''") + "'"
        name = self.columns.is_correct.replace('"', '""')
        try:
            (count,) = self.con.execute(
                f"SELECT COUNT(*) FROM read_csv({literal}, header = true, all_varchar = true) "
                f"WHERE \"{name}\" IN ('NULL', 'null')"
            ).fetchone() or (0,)
        except self._duckdb.Error:
            return 0  # the typed read above already succeeded; the count is only a note
        return int(count)

    def close(self) -> None:
        self.con.close()


# --- BigQuery ---------------------------------------------------------------------------


class BigQuerySource:
    """Production: the same query as a parameterised BigQuery job; bytes from a dry run first."""

    def __init__(self, spec: SourceSpec, columns: ColumnMap, *, sql: str | None = None, client: Any = None) -> None:
        self.spec = spec
        self.columns = columns
        self.sql = sql
        self.client = client if client is not None else bigquery_client(spec.project)
        self.relation = f"({sql}) AS custom" if sql else f"`{spec.location}`"
        self._where = spec.text or f"bigquery:{spec.location}"

    def describe(self) -> dict[str, str]:
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        try:
            if self.sql:
                job = self.client.query(f"SELECT * FROM {self.relation}", job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False))
                return {f.name: f.field_type for f in job.schema or ()}
            project_dataset, table = self.spec.location.rsplit(".", 1)
            query = f"SELECT column_name, data_type FROM `{project_dataset}.INFORMATION_SCHEMA.COLUMNS` WHERE table_name = @table"
            config = bigquery.QueryJobConfig(query_parameters=[bigquery.ScalarQueryParameter("table", "STRING", table)])
            rows = list(self.client.query(query, job_config=config).result(timeout=60))
        except gexc.GoogleAPIError as exc:
            raise InputError(f"cannot read the schema: {_first_line(exc)}", where=self._where) from None
        if not rows:
            raise InputError("table not found (no columns in INFORMATION_SCHEMA.COLUMNS)", where=self._where)
        return {row[0]: str(row[1]) for row in rows}

    def aggregate(self, start: dt.date, end: dt.date, *, by_graded_day: bool = False) -> Aggregate:
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        has_graded_at = check_schema(self.describe(), self.columns, self._where)
        with_graded = by_graded_day and has_graded_at
        query = aggregation_sql(self.relation, self.columns, "`", with_graded_on=with_graded, param="@")
        params = [bigquery.ScalarQueryParameter("start", "DATE", start), bigquery.ScalarQueryParameter("end", "DATE", end)]
        try:
            dry = self.client.query(query, job_config=bigquery.QueryJobConfig(query_parameters=params, dry_run=True, use_query_cache=False))
            bytes_processed = int(dry.total_bytes_processed or 0)
            rows = self.client.query(query, job_config=bigquery.QueryJobConfig(query_parameters=params)).result(timeout=300)
            records = [tuple(row.values()) for row in rows]
            after_params = [bigquery.ScalarQueryParameter("end", "DATE", end)]
            after_query = after_window_sql(self.relation, self.columns, "`", param="@")
            (after,) = next(iter(self.client.query(after_query, job_config=bigquery.QueryJobConfig(query_parameters=after_params)).result(timeout=60)))
        except gexc.GoogleAPIError as exc:
            raise InputError(f"query failed: {_first_line(exc)}", where=self._where) from None
        rows, unattributed = _to_rows(records, with_graded)
        return Aggregate(rows, bytes_processed, has_graded_at, int(after or 0), unattributed)

    def close(self) -> None:
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
