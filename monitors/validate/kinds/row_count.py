"""Rows of a table on the day (or in all, without a date column): did the load happen at all?"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate.dialect import SqlContext
from predguard.monitors.validate.kinds.base import CheckKind, ColumnRef, ParseContext, identifier, required_table
from predguard.monitors.validate.model import Bounds, Check, Mode


class RowCount(CheckKind):
    name = "row_count"
    summary = "rows on the day"
    keys = frozenset({"date_column"})
    default_bounds = Bounds(error_below=1)
    unit = "rows"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        required_table(check, table, ctx)
        return {"date_column": identifier(check, raw, "date_column", ctx)}

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        date_column = check.options["date_column"]
        return {check.table or "": (date_column,) if date_column else ()}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        return {"rows": f"SELECT COUNT(*) FROM {sql.rel(check.table or '')} WHERE {sql.on_day(check.options['date_column'])}"}

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        return {"any": col("rows")}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        scope = "on the day" if check.options["date_column"] else "in all"
        return f"{metrics['rows']} rows in {check.table} {scope}"


KIND = RowCount()
