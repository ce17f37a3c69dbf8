"""Rows beyond the first for each primary key on the day (0: the key is unique)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate.dialect import SqlContext
from predguard.monitors.validate.kinds.base import CheckKind, ColumnRef, ParseContext, identifier, identifiers, required_table
from predguard.monitors.validate.model import Bounds, Check, Mode


class DuplicateKeys(CheckKind):
    name = "duplicate_keys"
    summary = "extra rows sharing a primary key"
    keys = frozenset({"key", "date_column"})
    default_bounds = Bounds(error_above=0)
    unit = "rows"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        required_table(check, table, ctx)
        return {"key": identifiers(check, raw, "key", ctx, required=True), "date_column": identifier(check, raw, "date_column", ctx)}

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        o = check.options
        return {check.table or "": (*o["key"], *([o["date_column"]] if o["date_column"] else []))}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        keys = ", ".join(sql.col(k) for k in check.options["key"])
        groups = (
            f"SELECT COUNT(*) AS _n FROM {sql.rel(check.table or '')} WHERE {sql.on_day(check.options['date_column'])} "
            f"GROUP BY {keys} HAVING COUNT(*) > 1"
        )
        return {
            "extra_rows": f"SELECT COALESCE(SUM(d._n - 1), 0) FROM ({groups}) AS d",
            "keys": f"SELECT COUNT(*) FROM ({groups}) AS d",
        }

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        return {"any": col("extra_rows")}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        key = ", ".join(check.options["key"])
        return f"{metrics['keys']} ({key}) values appear more than once ({metrics['extra_rows']} extra rows)"


KIND = DuplicateKeys()
