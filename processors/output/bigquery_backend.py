"""An output backend on BigQuery, through the real google-cloud-bigquery client.

Staging is a real table beside the target (`<table>__staging_<random>`, loaded with a free load
job, set to expire after a day in case a crash leaves it behind, deleted on leaving). Audits
are parameterised queries on it. The publish is ONE `MERGE` statement from staging into the
target — BigQuery applies a DML statement entirely or not at all. The quarantine is written
just before it, with its own MERGE keyed by (run_id, record_id), so a retry never duplicates it.
Multi-statement transactions are deliberately not used: one statement is atomic already.

Counts come from the MERGE job's DML statistics.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from predguard.errors import InputError
from predguard.processors.output.audit import AcceptedValues, InRange, NotNull, SqlAudit
from predguard.processors.output.backend import (
    QUARANTINE_COLUMNS,
    ROW_ORDINAL,
    STAGING_EXPIRY_HOURS,
    MergeCounts,
    StagePlan,
    TargetColumn,
    merge_clauses,
)
from predguard.processors.output.conform import Rejection
from predguard.processors.output.schema import STAGING_INFIX, Column, ColumnType, OutputSchema, check_identifier

PROJECT_ID = re.compile(r"[a-z0-9][a-z0-9.:-]*[a-z0-9]")
DEFAULT_TIMEOUT_S = 120.0
# INFORMATION_SCHEMA.COLUMNS.data_type -> ours. STRING(10) and friends are parameterised forms.
CATALOG_TYPES = {
    "STRING": ColumnType.STRING,
    "INT64": ColumnType.INT64,
    "FLOAT64": ColumnType.FLOAT64,
    "BOOL": ColumnType.BOOL,
    "DATE": ColumnType.DATE,
    "TIMESTAMP": ColumnType.TIMESTAMP,
}


def _catalog_type(data_type: str) -> ColumnType | None:
    return CATALOG_TYPES.get(data_type.split("(", 1)[0].strip().upper())


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _field(column: Column) -> bigquery.SchemaField:
    return bigquery.SchemaField(column.name, column.type.value, mode="REQUIRED" if column.required else "NULLABLE")


class BigQueryBackend:
    """Output tables in one BigQuery dataset, given as "project.dataset"."""

    name = "bigquery"

    def __init__(self, client: bigquery.Client, dataset: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        project, sep, dataset_id = dataset.partition(".")
        if not sep or not PROJECT_ID.fullmatch(project):
            raise InputError(f"BigQuery dataset must be PROJECT.DATASET, got {dataset!r}", where="output dataset")
        check_identifier(dataset_id, "dataset")
        self.client = client
        self.project = project
        self.dataset = dataset_id
        self.timeout_s = timeout_s

    def _table_id(self, table: str) -> str:
        return f"{self.project}.{self.dataset}.{check_identifier(table, 'table')}"

    def _ref(self, table: str) -> str:
        return f"`{self._table_id(table)}`"

    def _query(self, sql: str, params: Sequence[Any] = ()) -> bigquery.QueryJob:
        job = self.client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=list(params)),
                                timeout=self.timeout_s)
        job.result(timeout=self.timeout_s)
        return job

    def create_tables(self, schema: OutputSchema, *, target: bool = True, quarantine: bool = True) -> None:
        wanted = ([(schema.table, schema.all_columns)] if target else []) + (
            [(schema.quarantine_table, QUARANTINE_COLUMNS)] if quarantine else [])
        try:
            for table, columns in wanted:
                self.client.create_table(bigquery.Table(self._table_id(table), schema=[_field(c) for c in columns]),
                                         exists_ok=True, timeout=self.timeout_s)
        except api_exceptions.NotFound as exc:
            raise InputError(f"dataset {self.project}.{self.dataset} not found ({exc.message})",
                             where="output dataset") from None

    def describe(self, tables: Sequence[str]) -> dict[str, dict[str, TargetColumn]]:
        try:
            job = self._query(
                "SELECT table_name, column_name, data_type, is_nullable "
                f"FROM `{self.project}.{self.dataset}.INFORMATION_SCHEMA.COLUMNS` "
                "WHERE table_name IN UNNEST(@tables) ORDER BY table_name, ordinal_position",
                [bigquery.ArrayQueryParameter("tables", "STRING", [check_identifier(t, "table") for t in tables])],
            )
        except api_exceptions.NotFound as exc:
            raise InputError(f"dataset {self.project}.{self.dataset} not found ({exc.message})",
                             where="output dataset") from None
        described: dict[str, dict[str, TargetColumn]] = {}
        for row in job.result(timeout=self.timeout_s):
            described.setdefault(row["table_name"], {})[row["column_name"]] = TargetColumn(
                row["column_name"], _catalog_type(row["data_type"]), row["data_type"], row["is_nullable"] == "YES")
        return described

    @contextmanager
    def stage(self, plan: StagePlan) -> Iterator[_BigQueryStaged]:
        staging = f"{plan.schema.table}{STAGING_INFIX}{uuid.uuid4().hex[:12]}"
        staged = _BigQueryStaged(self, plan, staging if plan.rows else None)
        if not plan.rows:  # nothing to stage: only the quarantine can be written
            yield staged
            return
        fields = [bigquery.SchemaField(c.name, c.type.value) for c in plan.columns]
        fields.append(bigquery.SchemaField(ROW_ORDINAL, "INT64", mode="REQUIRED"))
        table = bigquery.Table(self._table_id(staging), schema=fields)
        table.expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=STAGING_EXPIRY_HOURS)
        self.client.create_table(table, timeout=self.timeout_s)
        try:
            records = [{**{c.name: _json_value(row[c.name]) for c in plan.columns}, ROW_ORDINAL: ordinal}
                       for ordinal, row in enumerate(plan.rows)]
            load = self.client.load_table_from_json(
                records, self._table_id(staging),
                job_config=bigquery.LoadJobConfig(schema=fields, write_disposition="WRITE_APPEND"),
                timeout=self.timeout_s)
            load.result(timeout=self.timeout_s)
            yield staged
        finally:
            self.client.delete_table(self._table_id(staging), not_found_ok=True, timeout=self.timeout_s)


class _BigQueryStaged:
    def __init__(self, backend: BigQueryBackend, plan: StagePlan, staging: str | None) -> None:
        self.backend = backend
        self.plan = plan
        self.staging = staging

    def violations(self, audit: SqlAudit) -> list[int]:
        column = self.plan.schema.column(audit.column)
        if self.staging is None or column not in self.plan.columns:
            return []
        name = f"`{column.name}`"
        kind = column.type.value
        params: list[Any] = []
        if isinstance(audit, NotNull):
            condition = f"{name} IS NULL"
        elif isinstance(audit, InRange):
            bounds = []
            if audit.min is not None:
                params.append(bigquery.ScalarQueryParameter("min", kind, audit.min))
                bounds.append(f"{name} < @min")
            if audit.max is not None:
                params.append(bigquery.ScalarQueryParameter("max", kind, audit.max))
                bounds.append(f"{name} > @max")
            if not bounds:
                return []
            condition = " OR ".join(bounds)
        elif isinstance(audit, AcceptedValues):
            params.append(bigquery.ArrayQueryParameter("accepted", kind, list(audit.values)))
            condition = f"{name} IS NOT NULL AND {name} NOT IN UNNEST(@accepted)"
        else:  # pragma: no cover - check_audits admits nothing else
            raise TypeError(f"not an SQL audit: {audit!r}")
        job = self.backend._query(
            f"SELECT {ROW_ORDINAL} FROM {self.backend._ref(self.staging)} WHERE {condition} ORDER BY 1", params)
        return [row[ROW_ORDINAL] for row in job.result(timeout=self.backend.timeout_s)]

    def quarantine(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        records = [
            bigquery.StructQueryParameter(
                None,
                bigquery.ScalarQueryParameter("record_id", "STRING", r.record_id),
                bigquery.ScalarQueryParameter("run_id", "STRING", self.plan.run_id),
                bigquery.ScalarQueryParameter("stage", "STRING", r.stage),
                bigquery.ScalarQueryParameter("reason", "STRING", r.reason),
                bigquery.ScalarQueryParameter("payload", "STRING", r.payload_json()),
            )
            for r in rejections
        ]
        self.backend._query(
            f"MERGE {self.backend._ref(self.plan.schema.quarantine_table)} AS Q "
            "USING (SELECT r.record_id, r.run_id, r.stage, r.reason, r.payload FROM UNNEST(@records) AS r) AS S "
            "ON Q.run_id = S.run_id AND Q.record_id = S.record_id "
            "WHEN NOT MATCHED THEN INSERT (record_id, run_id, stage, reason, payload, quarantined_at) "
            "VALUES (S.record_id, S.run_id, S.stage, S.reason, S.payload, CURRENT_TIMESTAMP())",
            [bigquery.ArrayQueryParameter("records", "STRUCT", records)],
        )

    def merge(self, exclude: Collection[int]) -> MergeCounts:
        if self.staging is None:
            return MergeCounts(0, 0, 0)
        schema = self.plan.schema
        m = merge_clauses(self.plan, lambda name: f"`{name}`")
        job = self.backend._query(
            f"MERGE {self.backend._ref(schema.table)} AS T "
            f"USING (SELECT {m.columns} FROM {self.backend._ref(self.staging)} WHERE {ROW_ORDINAL} NOT IN UNNEST(@exclude)) AS S "
            f"ON {m.on} "
            f"WHEN MATCHED AND ({m.changed}) THEN UPDATE SET {m.sets} "
            f"WHEN NOT MATCHED THEN INSERT ({m.columns}) VALUES ({m.values})",
            [bigquery.ArrayQueryParameter("exclude", "INT64", sorted(exclude))],
        )
        stats = job.dml_stats
        if stats is None:
            raise RuntimeError(f"BigQuery returned no DML statistics for the MERGE into {schema.table} (job {job.job_id})")
        published = len(self.plan.rows) - len(exclude)
        return MergeCounts(stats.inserted_row_count, stats.updated_row_count,
                           published - stats.inserted_row_count - stats.updated_row_count)
