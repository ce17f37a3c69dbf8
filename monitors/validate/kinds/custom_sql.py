"""Any number a query can compute: `sql` is a scalar query, with `{day}` and `{now}` for the day
checked and the clock, and `{table}` for each declared table it reads (so the same text runs on
DuckDB and BigQuery, and the schema guard knows which tables to look for). Thresholds required."""
from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate.dialect import SqlContext
from predguard.monitors.validate.kinds.base import CheckKind, ColumnRef, ParseContext, declared_table, fail
from predguard.monitors.validate.model import Check, Mode

_RESERVED = frozenset({"day", "now"})


class CustomSql(CheckKind):
    name = "custom_sql"
    summary = "a number from your own query"
    keys = frozenset({"sql", "columns"})
    empty_status = "degraded"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        sql = raw.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise fail(check, "`sql` is required (a query returning one number)", ctx)
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(sql) if name is not None}
        except ValueError as exc:
            raise fail(check, f"`sql` has a malformed placeholder: {exc}", ctx) from None
        tables = tuple(sorted(fields - _RESERVED))
        for name in tables:
            declared_table(check, name, "sql", ctx)
        columns = raw.get("columns", {})
        if not isinstance(columns, dict) or not all(isinstance(v, list) and all(isinstance(c, str) for c in v) for v in columns.values()):
            raise fail(check, "`columns` must map table names to lists of column names it needs", ctx)
        for name in columns:
            declared_table(check, name, "columns", ctx)
        return {"sql": sql.strip().rstrip(";"), "tables": tables, "columns": {k: tuple(v) for k, v in columns.items()}}

    def tables(self, check: Check) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*([check.table] if check.table else []), *check.options["tables"], *check.options["columns"]]))

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        return {table: tuple(check.options["columns"].get(table, ())) for table in self.tables(check)}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        names = {name: sql.rel(name) for name in check.options["tables"]}
        return {"result": check.options["sql"].format(day=sql.day, now=sql.now, **names)}

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        return {"any": col("result")}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        return f"query returned {metrics['result']}"

    def empty_reason(self, check: Check, metrics: Mapping[str, Any]) -> str:
        return "the query returned NULL: no number to judge"


KIND = CustomSql()
