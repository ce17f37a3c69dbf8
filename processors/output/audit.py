"""Audits run on the staged batch before it is published. Each one names the rows it rejects;
those rows are quarantined by id and the rest publish.

- `NotNull`, `InRange`, `AcceptedValues` run as parameterised queries on the staging table
  (each backend renders them in its dialect), so they audit what the warehouse stored.
- `RowCheck` runs a Python function on each staged row, for rules SQL says badly.

NULLs pass `InRange` and `AcceptedValues` (as in dbt's tests); pair them with `NotNull`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from predguard.errors import InputError
from predguard.processors.output.conform import coerce
from predguard.processors.output.schema import OutputSchema


@dataclass(frozen=True)
class NotNull:
    column: str

    @property
    def name(self) -> str:
        return f"not_null({self.column})"


@dataclass(frozen=True)
class InRange:
    """Inclusive bounds; either may be None (unbounded)."""

    column: str
    min: Any = None
    max: Any = None

    @property
    def name(self) -> str:
        return f"in_range({self.column}, {self.min}, {self.max})"


@dataclass(frozen=True)
class AcceptedValues:
    column: str
    values: Sequence[Any] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))

    @property
    def name(self) -> str:
        return f"accepted_values({self.column})"


@dataclass(frozen=True)
class RowCheck:
    """`check(row)` returns a short reason to reject the row, or None to accept it."""

    name: str
    check: Callable[[Mapping[str, Any]], str | None]


SqlAudit = NotNull | InRange | AcceptedValues
Audit = SqlAudit | RowCheck


def check_audits(audits: Sequence[Audit], schema: OutputSchema) -> tuple[Audit, ...]:
    """The audits, checked against the schema (a column it names must be declared, its bounds or
    accepted values must have the column's type) and with those values coerced to that type.
    Bad ones are InputErrors, raised before anything is written."""
    checked: list[Audit] = []
    for audit in audits:
        if isinstance(audit, RowCheck):
            if not callable(audit.check):
                raise InputError(f"audit {audit.name!r} has no callable check", where=f"output {schema.table}")
        elif isinstance(audit, (NotNull, InRange, AcceptedValues)):
            column = schema.column(audit.column)
            try:
                if isinstance(audit, InRange):
                    audit = replace(audit, min=None if audit.min is None else coerce(audit.min, column.type),
                                    max=None if audit.max is None else coerce(audit.max, column.type))
                elif isinstance(audit, AcceptedValues):
                    if not audit.values:
                        raise InputError(f"audit {audit.name} accepts no values", where=f"output {schema.table}")
                    audit = replace(audit, values=tuple(coerce(v, column.type) for v in audit.values))
            except ValueError as exc:
                raise InputError(f"audit {audit.name}: {exc}", where=f"output {schema.table}") from None
        else:
            raise InputError(f"not an audit: {audit!r}", where=f"output {schema.table}")
        checked.append(audit)
    return tuple(checked)


def describe_violation(audit: Audit, row: Mapping[str, Any], reason: str | None = None) -> str:
    """The short reason a row is quarantined for, naming the audit and the offending value."""
    if isinstance(audit, RowCheck):
        return f"audit {audit.name}: {reason}"
    return f"audit {audit.name} failed: {audit.column}={_show(row.get(audit.column))}"


def _show(value: Any) -> str:
    """A value as SQL people read it: NULL, 'text', 2026-01-30, 1.5."""
    if value is None:
        return "NULL"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return repr(value)
