"""The share of a day's rows routed to the dead-letter table (`<table>_errors` unless named):
errors / (loaded + errors)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate.dialect import SqlContext, share
from predguard.monitors.validate.kinds.base import CheckKind, ColumnRef, ParseContext, declared_table, identifier, required_table
from predguard.monitors.validate.model import Check, Mode


class ErrorRate(CheckKind):
    name = "error_rate"
    summary = "share of rows routed to the _errors table"
    keys = frozenset({"date_column", "errors_table", "errors_date_column"})
    ratio = True
    failing_share = True
    unit = "share"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        table = required_table(check, table, ctx)
        date_column = identifier(check, raw, "date_column", ctx)
        return {
            "date_column": date_column,
            "errors_table": declared_table(check, raw.get("errors_table", f"{table}_errors"), "errors_table", ctx),
            "errors_date_column": identifier(check, raw, "errors_date_column", ctx, default=date_column),
        }

    def tables(self, check: Check) -> tuple[str, ...]:
        return (check.table or "", check.options["errors_table"])

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        o = check.options
        return {check.table or "": tuple(c for c in [o["date_column"]] if c), o["errors_table"]: tuple(c for c in [o["errors_date_column"]] if c)}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        o = check.options
        return {
            "rows": f"SELECT COUNT(*) FROM {sql.rel(check.table or '')} WHERE {sql.on_day(o['date_column'])}",
            "errors": f"SELECT COUNT(*) FROM {sql.rel(o['errors_table'])} WHERE {sql.on_day(o['errors_date_column'])}",
        }

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        return {"any": share(col("errors"), f"{col('rows')} + {col('errors')}")}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        return f"{metrics['errors']} rows in {check.options['errors_table']} vs {metrics['rows']} loaded into {check.table}"

    def empty_reason(self, check: Check, metrics: Mapping[str, Any]) -> str:
        return f"no rows in {check.table} nor {check.options['errors_table']} on the day"


KIND = ErrorRate()
