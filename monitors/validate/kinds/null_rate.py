"""The share of a column's values that are NULL on the day. `mostly = 0.99` (Great
Expectations' tolerance) reads: at least 99% must be present."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate.dialect import SqlContext, count_if, share
from predguard.monitors.validate.kinds.base import CheckKind, ColumnRef, ParseContext, identifier, required_table
from predguard.monitors.validate.model import Bounds, Check, Mode


class NullRate(CheckKind):
    name = "null_rate"
    summary = "share of NULLs in a column"
    keys = frozenset({"column", "date_column"})
    ratio = True
    failing_share = True
    default_bounds = Bounds(error_above=0.0)
    unit = "share"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        required_table(check, table, ctx)
        return {
            "column": identifier(check, raw, "column", ctx, required=True),
            "date_column": identifier(check, raw, "date_column", ctx),
        }

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        o = check.options
        return {check.table or "": tuple(c for c in (o["column"], o["date_column"]) if c)}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        source = f"FROM {sql.rel(check.table or '')} WHERE {sql.on_day(check.options['date_column'])}"
        return {
            "rows": f"SELECT COUNT(*) {source}",
            "nulls": f"SELECT {count_if(sql.col(check.options['column']) + ' IS NULL')} {source}",
        }

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        return {"any": share(col("nulls"), col("rows"))}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        return f"{metrics['nulls'] or 0} of {metrics['rows']} {check.table}.{check.options['column']} values are NULL"


KIND = NullRate()
