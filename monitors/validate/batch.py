"""All metrics of all checks in as few warehouse round trips as possible.

One query: an inner SELECT of scalar subqueries (each check's raw metrics, aliased
`<check>__<metric>`), wrapped by an outer SELECT computing each check's judged value from them
(`<check>`, or `<check>__<mode>` for a value that depends on the mode). If the warehouse rejects
the batch (a custom query's error, a type clash), each part is run on its own so only the
faulty one is lost: n + 1 round trips instead of 1, and every other check still has its numbers.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from predguard.monitors.validate.dialect import SqlContext
from predguard.monitors.validate.kinds import KINDS
from predguard.monitors.validate.model import Check
from predguard.monitors.validate.warehouse import QueryFailed, Warehouse


@dataclass(frozen=True)
class Part:
    """One check's (or the schedule's) columns: raw metrics, then values computed from them."""

    name: str
    metrics: tuple[tuple[str, str], ...]  # (alias, scalar subquery)
    values: tuple[tuple[str, str], ...]  # (alias, expression over metric aliases)


def value_alias(check: str, key: str) -> str:
    return check if key == "any" else f"{check}__{key}"


def metric_alias(part: str, metric: str) -> str:
    return f"{part}__{metric}"


def check_part(check: Check, sql: SqlContext, outer: str = "m") -> Part:
    kind = KINDS[check.kind]
    metrics = tuple((metric_alias(check.name, name), expr) for name, expr in kind.metrics(check, sql).items())
    values = kind.values(check, lambda name: f"{outer}.{metric_alias(check.name, name)}")
    return Part(check.name, metrics, tuple((value_alias(check.name, key), expr) for key, expr in values.items()))


def select_sql(parts: Sequence[Part], *, spine: tuple[str, str] | None = None, outer: str = "m") -> str:
    """`SELECT values, m.* FROM (SELECT (metric) AS alias, ...) AS m`. With a `spine` (a query
    and its alias, e.g. one row per day) the metrics are computed for each of its rows and its
    columns are passed through."""
    inner = ",\n    ".join(f"({expr}) AS {alias}" for part in parts for alias, expr in part.metrics)
    values = ",\n  ".join(f"{expr} AS {alias}" for part in parts for alias, expr in part.values)
    pick = f"{values},\n  {outer}.*" if values else f"{outer}.*"
    if spine is None:
        return f"SELECT\n  {pick}\nFROM (\n  SELECT\n    {inner}\n) AS {outer}"
    query, alias = spine
    return f"SELECT\n  {pick}\nFROM (\n  SELECT\n    {alias}.*,\n    {inner}\n  FROM ({query}) AS {alias}\n) AS {outer}"


@dataclass
class BatchResult:
    row: dict[str, Any]
    failed: dict[str, str]  # part name -> the warehouse's message


def run(warehouse: Warehouse, parts: Sequence[Part], day: dt.date, now: dt.datetime) -> BatchResult:
    if not parts:
        return BatchResult({}, {})
    try:
        return BatchResult(warehouse.query(select_sql(parts), day, now), {})
    except QueryFailed as exc:
        if len(parts) == 1:
            return BatchResult({}, {parts[0].name: str(exc)})
    row: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for part in parts:
        try:
            row.update(warehouse.query(select_sql([part]), day, now))
        except QueryFailed as exc:
            failed[part.name] = str(exc)
    return BatchResult(row, failed)


def metrics_of(check: Check, row: Mapping[str, Any]) -> dict[str, Any]:
    prefix = f"{check.name}__"
    return {alias[len(prefix):]: value for alias, value in row.items() if alias.startswith(prefix)}
