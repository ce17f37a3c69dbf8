"""What every check kind provides, and the option readers they share.

A kind turns a check into SQL in two layers: `metrics` are raw numbers (one scalar subquery
each: rows, matched, nulls, ...), `values` combine them into the judged value (and, for a kind
whose value depends on the mode, one value per mode). The run and the dashboard view use the
same two layers, so the number on the dashboard is the number the report judged.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from predguard.errors import InputError
from predguard.monitors.validate.dialect import IDENTIFIER, SqlContext
from predguard.monitors.validate.model import Bounds, Check, Mode

ColumnRef = Callable[[str], str]  # metric name -> SQL referring to that metric's column
EmptyStatus = Literal["not_applicable", "error", "degraded"]


@dataclass(frozen=True)
class ParseContext:
    tables: frozenset[str]  # declared in [tool.predguard.validate.tables]
    phases: Mapping[str, Sequence[str]]  # [tool.predguard.phases]
    where: str  # the configuration file, for messages


class CheckKind:
    name: str = ""
    summary: str = ""
    keys: frozenset[str] = frozenset()  # the kind's own option keys
    ratio: bool = False  # the value is a share of rows: `mostly` / `warn_mostly` apply
    failing_share: bool = False  # the share counts bad rows (null rate): mostly 0.99 -> error above 0.01
    default_bounds: Bounds | None = None  # None: the check must declare its thresholds
    empty_status: EmptyStatus = "not_applicable"  # when the value is NULL (nothing to judge)
    unit: str = ""

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        raise NotImplementedError

    def tables(self, check: Check) -> tuple[str, ...]:
        return (check.table,) if check.table else ()

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        """The columns each table must have (the schema guard checks them before any query)."""
        raise NotImplementedError

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        raise NotImplementedError

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        """The judged value from the metric columns, per mode ("any": the same in every mode)."""
        raise NotImplementedError

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        raise NotImplementedError

    def empty_reason(self, check: Check, metrics: Mapping[str, Any]) -> str:
        return f"no rows in {check.table} on the day"


# --- option readers: each raises one InputError naming the check and the key ---------------


def fail(check: str, message: str, ctx: ParseContext) -> InputError:
    return InputError(f"check '{check}': {message}", where=ctx.where)


def identifier(check: str, raw: Mapping[str, Any], key: str, ctx: ParseContext, *, required: bool = False, default: str | None = None) -> str | None:
    value = raw.get(key, default)
    if value is None:
        if required:
            raise fail(check, f"`{key}` is required (a column name)", ctx)
        return None
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise fail(check, f"`{key}` must be a column name (letters, digits, _), got {value!r}", ctx)
    return value


def identifiers(check: str, raw: Mapping[str, Any], key: str, ctx: ParseContext, *, required: bool = False) -> tuple[str, ...] | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise fail(check, f"`{key}` is required (a list of column names)", ctx)
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and IDENTIFIER.match(v) for v in value):
        raise fail(check, f"`{key}` must be a non-empty list of column names, got {value!r}", ctx)
    return tuple(value)


def declared_table(check: str, value: Any, key: str, ctx: ParseContext) -> str:
    if not isinstance(value, str) or not value:
        raise fail(check, f"`{key}` must name a table, got {value!r}", ctx)
    if value not in ctx.tables:
        declared = ", ".join(sorted(ctx.tables)) or "none"
        raise fail(check, f"table '{value}' is not declared in [tool.predguard.validate.tables] (declared: {declared})", ctx)
    return value


def number(check: str, raw: Mapping[str, Any], key: str, ctx: ParseContext, *, minimum: float | None = None) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(check, f"`{key}` must be a number, got {type(value).__name__} {value!r}", ctx)
    if minimum is not None and value < minimum:
        raise fail(check, f"`{key}` must be at least {minimum:g}, got {value!r}", ctx)
    return float(value)


def required_table(check: str, table: str | None, ctx: ParseContext) -> str:
    if table is None:
        raise fail(check, "`table` is required", ctx)
    return table


@dataclass(frozen=True)
class KeyJoin:
    """Key columns on both sides of a match, aliased `_k0`, `_k1`, ... in the matched subquery."""

    left: tuple[str, ...]
    right: tuple[str, ...] = field(default=())

    def on(self, sql: SqlContext, left_alias: str, right_alias: str) -> str:
        return " AND ".join(f"{sql.col(name, left_alias)} = {right_alias}._k{i}" for i, name in enumerate(self.left))

    def select(self, sql: SqlContext) -> str:
        return ", ".join(f"{sql.col(name)} AS _k{i}" for i, name in enumerate(self.right or self.left))

    def group_by(self, sql: SqlContext) -> str:
        return ", ".join(sql.col(name) for name in self.right or self.left)
