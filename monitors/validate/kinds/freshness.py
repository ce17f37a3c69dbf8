"""Hours since the newest row of a table (dbt's source freshness: `max(now − max(ts))`).

Rows stamped after the clock are left out: a clock-skewed writer must not make a stale
table look fresh. Thresholds: `warn_after_hours` / `error_after_hours` (or warn_above /
error_above), required — how fresh is fresh enough depends on the table.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate.dialect import SqlContext
from predguard.monitors.validate.kinds.base import CheckKind, ColumnRef, ParseContext, identifier, required_table
from predguard.monitors.validate.model import Check, Mode


class Freshness(CheckKind):
    name = "freshness"
    summary = "hours since the newest row"
    keys = frozenset({"timestamp_column"})
    empty_status = "error"
    unit = "hours"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        required_table(check, table, ctx)
        return {"timestamp_column": identifier(check, raw, "timestamp_column", ctx, required=True)}

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        return {check.table or "": (check.options["timestamp_column"],)}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        ts = sql.dialect.as_timestamp(sql.col(check.options["timestamp_column"]))
        source = f"FROM {sql.rel(check.table or '')} WHERE {ts} <= {sql.now}"
        return {
            "latest": f"SELECT MAX({ts}) {source}",
            "age_seconds": f"SELECT {sql.dialect.seconds_between(f'MAX({ts})', sql.now)} {source}",
        }

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        return {"any": f"{col('age_seconds')} / 3600.0"}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        latest = metrics["latest"]
        if isinstance(latest, dt.datetime):  # BigQuery answers in UTC with a zone, DuckDB's local files without
            latest = (latest.astimezone(dt.timezone.utc) if latest.tzinfo else latest).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"newest {check.table}.{check.options['timestamp_column']} = {latest}"

    def empty_reason(self, check: Check, metrics: Mapping[str, Any]) -> str:
        return f"no row of {check.table} has a {check.options['timestamp_column']} up to now"


KIND = Freshness()
