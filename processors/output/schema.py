"""The declared shape of an output table: typed columns, which are required, the primary key,
and which inputs record their provenance.

Every output table also carries the degradation columns (`is_degraded`, `degraded_reason`)
and one `source_used_<input>` column per declared provenance input, so a reader can always
tell a complete row from a degraded one and where each part came from.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from enum import StrEnum

from predguard.errors import InputError

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_IDENTIFIER_LENGTH = 128  # BigQuery's limit for table names is 1024, for columns 300; stay well inside

IS_DEGRADED = "is_degraded"
DEGRADED_REASON = "degraded_reason"
SOURCE_PREFIX = "source_used_"
RESERVED_PREFIX = "_pg_"  # our staging bookkeeping columns (row ordinal)
QUARANTINE_SUFFIX = "__quarantine"
STAGING_INFIX = "__staging_"


class ColumnType(StrEnum):
    """The logical types an output column may have; each backend maps them to its own."""

    STRING = "STRING"
    INT64 = "INT64"
    FLOAT64 = "FLOAT64"
    BOOL = "BOOL"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"  # always time-zone aware (UTC in storage)


def check_identifier(name: str, what: str) -> str:
    """`name` itself if it is a safe SQL identifier, else InputError. Identifiers are the only
    thing ever spliced into SQL text; values always travel as query parameters."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name) or len(name) > MAX_IDENTIFIER_LENGTH:
        raise InputError(
            f"{what} {name!r} is not a valid identifier (letters, digits, underscores; not starting with a digit)",
            where="output schema",
        )
    return name


@dataclass(frozen=True, init=False)
class Column:
    """A declared column; `type` may be given as a ColumnType or its name in any case ("date")."""

    name: str
    type: ColumnType
    required: bool = False

    def __init__(self, name: str, type: ColumnType | str, required: bool = False) -> None:  # noqa: A002 - the field's name
        check_identifier(name, "column")
        try:
            column_type = ColumnType(str(type).upper())
        except ValueError:
            allowed = ", ".join(t.value for t in ColumnType)
            raise InputError(f"column {name!r} has unknown type {type!r} (expected one of {allowed})",
                             where="output schema") from None
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "type", column_type)
        object.__setattr__(self, "required", required)


@dataclass(frozen=True)
class OutputSchema:
    """`table` (a bare name; the backend knows the dataset), its declared `columns`, the
    `primary_key` writes are keyed by, and the inputs whose source is recorded (`provenance`,
    each adding a nullable `source_used_<input>` STRING column)."""

    table: str
    columns: Sequence[Column]
    primary_key: Sequence[str]
    provenance: Sequence[str] = field(default=())

    def __post_init__(self) -> None:
        check_identifier(self.table, "table")
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "primary_key", tuple(self.primary_key))
        object.__setattr__(self, "provenance", tuple(self.provenance))
        if not self.columns:
            raise InputError(f"output schema for {self.table!r} declares no columns", where="output schema")
        names = [c.name for c in self.columns]
        for name in names:
            lowered = name.lower()
            if lowered in (IS_DEGRADED, DEGRADED_REASON) or lowered.startswith((SOURCE_PREFIX, RESERVED_PREFIX)):
                raise InputError(f"column {name!r} in {self.table!r} uses a reserved name (added automatically)",
                                 where="output schema")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InputError(f"output schema for {self.table!r} declares {', '.join(duplicates)} twice",
                             where="output schema")
        if not self.primary_key:
            raise InputError(f"output schema for {self.table!r} needs a primary key", where="output schema")
        by_name = {c.name: c for c in self.columns}
        for key in self.primary_key:
            if key not in by_name:
                raise InputError(f"primary key column {key!r} is not declared in {self.table!r}", where="output schema")
            if not by_name[key].required:
                raise InputError(f"primary key column {key!r} in {self.table!r} must be required", where="output schema")
        for source in self.provenance:
            check_identifier(source, "provenance input")

    @property
    def quarantine_table(self) -> str:
        return self.table + QUARANTINE_SUFFIX

    def column(self, name: str) -> Column:
        for column in self.all_columns:
            if column.name == name:
                return column
        raise InputError(f"{self.table!r} has no column {name!r}", where="output schema")

    @cached_property
    def provenance_columns(self) -> tuple[Column, ...]:
        return tuple(Column(SOURCE_PREFIX + source, ColumnType.STRING) for source in self.provenance)

    @cached_property  # derived once: conform asks for it on every row
    def all_columns(self) -> tuple[Column, ...]:
        """Declared columns, then provenance, then the degradation flag and its reason."""
        return (*self.columns, *self.provenance_columns,
                Column(IS_DEGRADED, ColumnType.BOOL, required=True), Column(DEGRADED_REASON, ColumnType.STRING))

    @cached_property
    def writable_names(self) -> frozenset[str]:
        """Keys a producer may put in a row: every column but `is_degraded`, which is derived."""
        return frozenset(c.name for c in self.all_columns) - {IS_DEGRADED}

    @cached_property
    def required_in_target(self) -> frozenset[str]:
        """Columns a target table must have: required ones, and the degradation pair (without
        them a degraded row could not say so)."""
        return frozenset([c.name for c in self.columns if c.required] + [IS_DEGRADED, DEGRADED_REASON])
