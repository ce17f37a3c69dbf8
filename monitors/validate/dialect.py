"""The SQL that differs between DuckDB and BigQuery, and the context a check's SQL is built in.

Only validated identifiers (`IDENTIFIER`) and declared relations reach SQL text; the day and
the clock are query parameters in a run, and the view's day column in the dashboard query.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Engine = Literal["duckdb", "bigquery"]


@dataclass(frozen=True)
class Dialect:
    engine: Engine

    def ident(self, name: str) -> str:
        if not IDENTIFIER.match(name):  # config validation keeps anything else out; this is the last guard
            raise ValueError(f"not an identifier: {name!r}")
        return f"`{name}`" if self.engine == "bigquery" else f'"{name}"'

    def param(self, name: str) -> str:
        return f"@{name}" if self.engine == "bigquery" else f"${name}"

    def seconds_between(self, start: str, end: str) -> str:
        if self.engine == "bigquery":
            return f"TIMESTAMP_DIFF({end}, {start}, SECOND)"
        return f"date_diff('second', {start}, {end})"

    def as_date(self, expr: str) -> str:
        return f"CAST({expr} AS DATE)"

    def as_timestamp(self, expr: str) -> str:
        return f"CAST({expr} AS TIMESTAMP)"

    def as_bool(self, expr: str) -> str:
        return f"CAST({expr} AS BOOL)"

    def end_of_day(self, day: str) -> str:
        if self.engine == "bigquery":
            return f"TIMESTAMP_ADD(CAST({day} AS TIMESTAMP), INTERVAL 1 DAY)"
        return f"(CAST({day} AS TIMESTAMP) + INTERVAL 1 DAY)"

    def string_list(self, expr: str) -> str:
        return f"STRING_AGG({expr}, ',')"

    def literal(self, text: str) -> str:
        # Callers pass only validated names (processors, status values): no quote can occur.
        if "'" in text or "\\" in text:
            raise ValueError(f"not a plain string: {text!r}")
        return f"'{text}'"


@dataclass(frozen=True)
class SqlContext:
    """What a check's SQL is written against: the dialect, the declared tables' relations, and
    the expressions for the day being checked and the clock."""

    dialect: Dialect
    relations: Mapping[str, str]
    day: str
    now: str

    def rel(self, table: str) -> str:
        return self.relations[table]

    def col(self, name: str, alias: str | None = None) -> str:
        quoted = self.dialect.ident(name)
        return f"{alias}.{quoted}" if alias else quoted

    def on_day(self, column: str | None, alias: str | None = None) -> str:
        """The filter to the day being checked; no date column: every row."""
        if column is None:
            return "TRUE"
        return f"{self.dialect.as_date(self.col(column, alias))} = {self.day}"


def share(numerator: str, denominator: str) -> str:
    """A ratio that is NULL (no rows: nothing to judge), never a division by zero."""
    return f"({numerator}) * 1.0 / NULLIF({denominator}, 0)"


def count_if(condition: str) -> str:
    """Rows meeting `condition`: 0, not NULL, when there are none (a processor that never ran
    is 0 of 5 done, not "nothing to judge")."""
    return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"
