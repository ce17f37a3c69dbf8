"""The share of a table's rows on the day matched in another table (e.g. predictions graded),
optionally within a time limit (an SLA): matched only if the first match is stamped at most
`within_hours` after the row itself."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate.dialect import SqlContext, count_if, share
from predguard.monitors.validate.kinds.base import (
    CheckKind,
    ColumnRef,
    KeyJoin,
    ParseContext,
    declared_table,
    fail,
    identifier,
    identifiers,
    number,
    required_table,
)
from predguard.monitors.validate.model import Bounds, Check, Mode


class Coverage(CheckKind):
    name = "coverage"
    summary = "share of rows matched in another table"
    keys = frozenset({"date_column", "key", "matched_in", "matched_key", "timestamp_column", "matched_timestamp_column", "within_hours"})
    ratio = True
    default_bounds = Bounds(error_below=1.0)
    unit = "share"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        required_table(check, table, ctx)
        if "matched_in" not in raw:
            raise fail(check, "`matched_in` is required (the table where each row should have a match)", ctx)
        key = identifiers(check, raw, "key", ctx, required=True)
        matched_key = identifiers(check, raw, "matched_key", ctx) or key
        assert key is not None and matched_key is not None
        if len(matched_key) != len(key):
            raise fail(check, f"`matched_key` has {len(matched_key)} columns but `key` has {len(key)}", ctx)
        options = {
            "date_column": identifier(check, raw, "date_column", ctx),
            "matched_in": declared_table(check, raw["matched_in"], "matched_in", ctx),
            "join": KeyJoin(key, matched_key),
            "within_hours": number(check, raw, "within_hours", ctx, minimum=0),
            "timestamp_column": identifier(check, raw, "timestamp_column", ctx),
            "matched_timestamp_column": identifier(check, raw, "matched_timestamp_column", ctx),
        }
        if options["within_hours"] is not None and not (options["timestamp_column"] and options["matched_timestamp_column"]):
            raise fail(check, "`within_hours` needs `timestamp_column` and `matched_timestamp_column`", ctx)
        return options

    def tables(self, check: Check) -> tuple[str, ...]:
        return (check.table or "", check.options["matched_in"])

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        o = check.options
        timed = o["within_hours"] is not None
        left = [*o["join"].left, *([o["date_column"]] if o["date_column"] else []), *([o["timestamp_column"]] if timed else [])]
        right = [*o["join"].right, *([o["matched_timestamp_column"]] if timed else [])]
        if o["matched_in"] == check.table:
            return {check.table or "": tuple(dict.fromkeys(left + right))}
        return {check.table or "": tuple(left), o["matched_in"]: tuple(right)}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        o = check.options
        join: KeyJoin = o["join"]
        matched = f"m._k0 IS NOT NULL"
        if o["within_hours"] is None:
            inner = f"SELECT {join.select(sql)} FROM {sql.rel(o['matched_in'])} GROUP BY {join.group_by(sql)}"
        else:
            first = f"MIN({sql.dialect.as_timestamp(sql.col(o['matched_timestamp_column']))})"
            inner = f"SELECT {join.select(sql)}, {first} AS _first FROM {sql.rel(o['matched_in'])} GROUP BY {join.group_by(sql)}"
            made = sql.dialect.as_timestamp(sql.col(o["timestamp_column"], "t"))
            matched += f" AND {sql.dialect.seconds_between(made, 'm._first')} <= {o['within_hours'] * 3600:g}"
        source = (
            f"FROM {sql.rel(check.table or '')} AS t LEFT JOIN ({inner}) AS m ON {join.on(sql, 't', 'm')} "
            f"WHERE {sql.on_day(o['date_column'], 't')}"
        )
        return {"rows": f"SELECT COUNT(*) {source}", "matched": f"SELECT {count_if(matched)} {source}"}

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        return {"any": share(col("matched"), col("rows"))}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        within = check.options["within_hours"]
        limit = f" within {within:g} h" if within is not None else ""
        return f"{metrics['matched'] or 0} of {metrics['rows']} {check.table} rows matched in {check.options['matched_in']}{limit}"


KIND = Coverage()
