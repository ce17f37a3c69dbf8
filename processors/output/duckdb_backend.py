"""The embedded default: an output backend on DuckDB (a file, or memory), no server.

Staging is a TEMP table inside one transaction; quarantine and the keyed MERGE run in the same
transaction, so a publish is all or nothing — a failing audit, constraint or exception rolls
everything back. Rows go in with one parameterised statement (a list parameter per column,
unnested side by side), ~100x faster than executemany.

TIMESTAMP columns are TIMESTAMPTZ; values travel as ISO 8601 strings and are cast in SQL (the
duckdb package needs pytz to bind or fetch aware datetimes, which we do not require).
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from predguard.processors.output.audit import AcceptedValues, InRange, NotNull, SqlAudit
from predguard.processors.output.backend import (
    QUARANTINE_COLUMNS,
    QUARANTINE_KEY,
    ROW_ORDINAL,
    MergeCounts,
    StagePlan,
    TargetColumn,
    merge_clauses,
)
from predguard.processors.output.conform import Rejection
from predguard.processors.output.schema import STAGING_INFIX, Column, ColumnType, OutputSchema, check_identifier

DDL_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INT64: "BIGINT",
    ColumnType.FLOAT64: "DOUBLE",
    ColumnType.BOOL: "BOOLEAN",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",
}
# information_schema.columns.data_type -> ours (only exact equivalents: a narrower type could overflow)
CATALOG_TYPES = {
    "VARCHAR": ColumnType.STRING,
    "BIGINT": ColumnType.INT64,
    "DOUBLE": ColumnType.FLOAT64,
    "BOOLEAN": ColumnType.BOOL,
    "DATE": ColumnType.DATE,
    "TIMESTAMP WITH TIME ZONE": ColumnType.TIMESTAMP,
}


def _q(name: str) -> str:
    return '"' + check_identifier(name, "identifier") + '"'


def _param_value(value: Any, column_type: ColumnType) -> Any:
    if value is not None and column_type is ColumnType.TIMESTAMP:
        return value.astimezone(dt.timezone.utc).isoformat()
    return value


def _typed_param(name: str, column_type: ColumnType) -> str:
    return f"CAST(${name} AS {DDL_TYPES[column_type]})"


def _create_sql(table: str, columns: Sequence[Column], key: Sequence[str]) -> str:
    defs = [f"{_q(c.name)} {DDL_TYPES[c.type]}{' NOT NULL' if c.required else ''}" for c in columns]
    defs.append(f"PRIMARY KEY ({', '.join(_q(k) for k in key)})")
    return f"CREATE TABLE IF NOT EXISTS {_q(table)} ({', '.join(defs)})"


class DuckDBBackend:
    """Output tables in a DuckDB database. Each publish uses its own cursor (its own
    transaction), so threads may share one backend."""

    name = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    @classmethod
    def open(cls, path: str | Path = ":memory:") -> DuckDBBackend:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(duckdb.connect(str(path)))

    def close(self) -> None:
        self.connection.close()

    def create_tables(self, schema: OutputSchema, *, target: bool = True, quarantine: bool = True) -> None:
        with self.connection.cursor() as cursor:
            if target:
                cursor.execute(_create_sql(schema.table, schema.all_columns, schema.primary_key))
            if quarantine:
                cursor.execute(_create_sql(schema.quarantine_table, QUARANTINE_COLUMNS, QUARANTINE_KEY))

    def describe(self, tables: Sequence[str]) -> dict[str, dict[str, TargetColumn]]:
        with self.connection.cursor() as cursor:
            found = cursor.execute(
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_schema = current_schema() "
                "AND list_contains($tables, table_name) ORDER BY table_name, ordinal_position",
                {"tables": [check_identifier(t, "table") for t in tables]},
            ).fetchall()
        described: dict[str, dict[str, TargetColumn]] = {}
        for table, name, data_type, nullable in found:
            described.setdefault(table, {})[name] = TargetColumn(name, CATALOG_TYPES.get(data_type), data_type,
                                                                 nullable == "YES")
        return described

    @contextmanager
    def stage(self, plan: StagePlan) -> Iterator[_DuckDBStaged]:
        staging = f"{plan.schema.table}{STAGING_INFIX}{uuid.uuid4().hex[:12]}"
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION")
            try:
                defs = [f"{_q(c.name)} {DDL_TYPES[c.type]}" for c in plan.columns]
                cursor.execute(f"CREATE TEMP TABLE {_q(staging)} ({', '.join(defs)}, {_q(ROW_ORDINAL)} BIGINT)")
                if plan.rows:
                    params = {f"c{i}": [_param_value(row[c.name], c.type) for row in plan.rows]
                              for i, c in enumerate(plan.columns)}
                    params["ordinal"] = list(range(len(plan.rows)))
                    selects = [f"CAST(UNNEST($c{i}) AS {DDL_TYPES[c.type]})" for i, c in enumerate(plan.columns)]
                    cursor.execute(f"INSERT INTO {_q(staging)} SELECT {', '.join(selects)}, UNNEST($ordinal)", params)
                yield _DuckDBStaged(cursor, plan, staging)
                cursor.execute(f"DROP TABLE {_q(staging)}")
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        finally:
            cursor.close()


class _DuckDBStaged:
    def __init__(self, cursor: duckdb.DuckDBPyConnection, plan: StagePlan, staging: str) -> None:
        self.cursor = cursor
        self.plan = plan
        self.staging = staging

    def violations(self, audit: SqlAudit) -> list[int]:
        column = self.plan.schema.column(audit.column)
        if column not in self.plan.columns:
            return []  # the target lacks it: every value is NULL and the row already says so
        name = _q(column.name)
        params: dict[str, Any] = {}
        if isinstance(audit, NotNull):
            condition = f"{name} IS NULL"
        elif isinstance(audit, InRange):
            bounds = []
            if audit.min is not None:
                params["min"] = _param_value(audit.min, column.type)
                bounds.append(f"{name} < {_typed_param('min', column.type)}")
            if audit.max is not None:
                params["max"] = _param_value(audit.max, column.type)
                bounds.append(f"{name} > {_typed_param('max', column.type)}")
            if not bounds:
                return []
            condition = " OR ".join(bounds)
        elif isinstance(audit, AcceptedValues):
            params["accepted"] = [_param_value(v, column.type) for v in audit.values]
            condition = (f"{name} IS NOT NULL AND NOT list_contains("
                         f"CAST($accepted AS {DDL_TYPES[column.type]}[]), {name})")
        else:  # pragma: no cover - check_audits admits nothing else
            raise TypeError(f"not an SQL audit: {audit!r}")
        found = self.cursor.execute(
            f"SELECT {_q(ROW_ORDINAL)} FROM {_q(self.staging)} WHERE {condition} ORDER BY 1", params).fetchall()
        return [ordinal for (ordinal,) in found]

    def quarantine(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        table = _q(self.plan.schema.quarantine_table)
        params = {
            "record_id": [r.record_id for r in rejections],
            "run_id": [self.plan.run_id] * len(rejections),
            "stage": [r.stage for r in rejections],
            "reason": [r.reason for r in rejections],
            "payload": [r.payload_json() for r in rejections],
        }
        source = ", ".join(f"CAST(UNNEST(${name}) AS VARCHAR) AS {_q(name)}" for name in params)
        self.cursor.execute(
            f"MERGE INTO {table} AS Q USING (SELECT {source}) AS S "
            f"ON Q.run_id = S.run_id AND Q.record_id = S.record_id "
            f"WHEN NOT MATCHED THEN INSERT (record_id, run_id, stage, reason, payload, quarantined_at) "
            f"VALUES (S.record_id, S.run_id, S.stage, S.reason, S.payload, current_timestamp)",
            params,
        )

    def merge(self, exclude: Collection[int]) -> MergeCounts:
        schema = self.plan.schema
        m = merge_clauses(self.plan, _q)
        actions = self.cursor.execute(
            f"MERGE INTO {_q(schema.table)} AS T "
            f"USING (SELECT {m.columns} FROM {_q(self.staging)} "
            f"WHERE NOT list_contains(CAST($exclude AS BIGINT[]), {_q(ROW_ORDINAL)})) AS S ON {m.on} "
            f"WHEN MATCHED AND ({m.changed}) THEN UPDATE SET {m.sets} "
            f"WHEN NOT MATCHED THEN INSERT ({m.columns}) VALUES ({m.values}) "
            f"RETURNING merge_action",
            {"exclude": sorted(exclude)},
        ).fetchall()
        inserted = sum(1 for (action,) in actions if action == "INSERT")
        updated = sum(1 for (action,) in actions if action == "UPDATE")
        return MergeCounts(inserted, updated, len(self.plan.rows) - len(exclude) - inserted - updated)
