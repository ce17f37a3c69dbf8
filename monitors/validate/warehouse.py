"""Where the checks run: DuckDB over local files (embedded default) or BigQuery.

Each backend does three things, and counts its round trips: name the declared tables as SQL
relations, read the catalogue of all of them at once (DuckDB's information_schema, BigQuery's
INFORMATION_SCHEMA.COLUMNS — one query per dataset), and run one query returning one row,
with the day and the clock as parameters.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from predguard.monitors.validate.dialect import Dialect


class QueryFailed(Exception):
    """The warehouse rejected a query; the message is its first line, for the report."""


@dataclass
class Catalog:
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> {column: type}
    missing: dict[str, str] = field(default_factory=dict)  # table -> why it cannot be read


class Warehouse(Protocol):
    dialect: Dialect
    label: str
    round_trips: int

    def relations(self) -> dict[str, str]: ...

    def catalog(self) -> Catalog: ...

    def query(self, sql: str, day: dt.date, now: dt.datetime) -> dict[str, Any]: ...

    def close(self) -> None: ...


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


SQLITE_PREFIX = "sqlite:"  # sqlite:PATH[#TABLE]: e.g. the processors' embedded run-marker store


def _sqlite_table(path: Path, table: str) -> Any:
    """A table of an SQLite file as an Arrow table, read-only (DuckDB reads it in place)."""
    import pyarrow as pa

    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        cursor = con.execute(f'SELECT * FROM "{table}"')  # a validated identifier
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.close()
    return pa.table({n: [row[i] for row in rows] for i, n in enumerate(names)})


class DuckDBWarehouse:
    """Each declared file is a view in an in-memory database: nothing is copied or loaded twice
    (an SQLite table, small by nature — run markers — is read into Arrow first)."""

    def __init__(self, tables: Mapping[str, str], base_dir: Path) -> None:
        import duckdb

        self.dialect = Dialect("duckdb")
        self.label = "duckdb (embedded)"
        self.round_trips = 0
        self._con = duckdb.connect(":memory:")
        self._names = list(tables)
        self._unreadable: dict[str, str] = {}
        for name, location in tables.items():
            is_sqlite = location.startswith(SQLITE_PREFIX)
            file, _, inner = location[len(SQLITE_PREFIX):].partition("#") if is_sqlite else (location, "", "")
            path = base_dir / file
            if not path.is_file():
                self._unreadable[name] = f"table {name}: file {file} not found"
                continue
            try:
                if is_sqlite:
                    self._con.register(f"_sqlite_{name}", _sqlite_table(path, inner or name))
                    source = self.dialect.ident(f"_sqlite_{name}")
                else:
                    reader = "read_csv_auto" if path.suffix.lower() == ".csv" else "read_parquet"
                    source = f"{reader}('" + str(path).replace("'", "''") + "')"
                self._con.execute(f"CREATE VIEW {self.dialect.ident(name)} AS SELECT * FROM {source}")
            except (duckdb.Error, sqlite3.Error) as exc:
                self._unreadable[name] = f"table {name}: cannot read {location}: {first_line(exc)}"

    def relations(self) -> dict[str, str]:
        return {name: self.dialect.ident(name) for name in self._names}

    def catalog(self) -> Catalog:
        self.round_trips += 1
        rows = self._con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' ORDER BY ordinal_position"
        ).fetchall()
        catalog = Catalog(missing=dict(self._unreadable))
        for table, column, kind in rows:
            catalog.columns.setdefault(table, {})[column] = kind
        for name in self._names:
            if name not in catalog.columns and name not in catalog.missing:
                catalog.missing[name] = f"table {name} not found"
        return catalog

    def query(self, sql: str, day: dt.date, now: dt.datetime) -> dict[str, Any]:
        import duckdb

        self.round_trips += 1
        # Timestamps in local files carry no zone: they are read as UTC, so the clock is UTC too.
        params = {"day": day, "now": now.astimezone(dt.timezone.utc).replace(tzinfo=None)}
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        try:
            cursor = self._con.execute(sql, used)
            row = cursor.fetchone()
        except duckdb.Error as exc:
            raise QueryFailed(first_line(exc)) from None
        names = [d[0] for d in cursor.description or ()]
        return dict(zip(names, row or (None,) * len(names), strict=True))

    def close(self) -> None:
        self._con.close()


class BigQueryWarehouse:
    """Production: the declared tables as `project.dataset.table`, queried with parameters."""

    def __init__(self, project: str, dataset: str, tables: Mapping[str, str], client: Any = None) -> None:
        self.dialect = Dialect("bigquery")
        self.label = f"bigquery:{project}.{dataset}"
        self.round_trips = 0
        if client is None:
            from predguard.bigquery import client as bigquery_client

            client = bigquery_client(project)
        self.client = client
        self._tables = {name: _qualify(location, project, dataset) for name, location in tables.items()}

    def relations(self) -> dict[str, str]:
        return {name: f"`{table}`" for name, table in self._tables.items()}

    def catalog(self) -> Catalog:
        from google.api_core import exceptions as gexc

        by_dataset: dict[str, dict[str, str]] = defaultdict(dict)  # "project.dataset" -> {table id: name}
        for name, table in self._tables.items():
            project_dataset, table_id = table.rsplit(".", 1)
            by_dataset[project_dataset][table_id] = name
        catalog = Catalog()
        for project_dataset, names in by_dataset.items():
            ids = ", ".join(f"'{t}'" for t in sorted(names))  # validated table ids: no quotes possible
            sql = (
                f"SELECT table_name, column_name, data_type FROM `{project_dataset}.INFORMATION_SCHEMA.COLUMNS` "
                f"WHERE table_name IN ({ids}) ORDER BY table_name, ordinal_position"
            )
            self.round_trips += 1
            try:
                rows = list(self.client.query(sql).result(timeout=60))
            except gexc.NotFound:
                for table_id, name in names.items():
                    catalog.missing[name] = f"table {name}: dataset {project_dataset} not found"
                continue
            except gexc.GoogleAPIError as exc:
                for table_id, name in names.items():
                    catalog.missing[name] = f"table {name}: cannot read the schema: {first_line(exc)}"
                continue
            for table_id, column, kind in (tuple(r.values()) for r in rows):
                catalog.columns.setdefault(names[table_id], {})[column] = str(kind)
            for table_id, name in names.items():
                if name not in catalog.columns:
                    catalog.missing[name] = f"table {name} ({project_dataset}.{table_id}) not found"
        return catalog

    def query(self, sql: str, day: dt.date, now: dt.datetime) -> dict[str, Any]:
        from google.api_core import exceptions as gexc
        from google.cloud import bigquery

        self.round_trips += 1
        params = [
            bigquery.ScalarQueryParameter(name, kind, value)
            for name, kind, value in (("day", "DATE", day), ("now", "TIMESTAMP", now.astimezone(dt.timezone.utc)))
            if f"@{name}" in sql
        ]
        try:
            rows = list(self.client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params)).result(timeout=300))
        except gexc.GoogleAPIError as exc:
            raise QueryFailed(first_line(exc)) from None
        return dict(rows[0].items()) if rows else {}

    def close(self) -> None:
        pass


def _qualify(location: str, project: str, dataset: str) -> str:
    parts = location.split(".")
    if len(parts) == 1:
        return f"{project}.{dataset}.{location}"
    if len(parts) == 2:
        return f"{project}.{location}"
    return location
