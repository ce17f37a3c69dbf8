"""The small interface every output backend implements (DuckDB, BigQuery), and the shapes it
exchanges with the writer. The writer owns the flow; a backend owns its dialect and its idea
of atomicity (a DuckDB transaction; a single BigQuery MERGE statement)."""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from predguard.processors.output.audit import SqlAudit
from predguard.processors.output.conform import Rejection
from predguard.processors.output.schema import Column, ColumnType, OutputSchema

ROW_ORDINAL = "_pg_row"  # staging only: the row's position in the batch, how audits name rows
STAGING_EXPIRY_HOURS = 24  # a staging table a crash left behind expires by itself (BigQuery)

# The quarantine table beside every output table: one row per rejected record and run.
QUARANTINE_COLUMNS: tuple[Column, ...] = (
    Column("record_id", ColumnType.STRING, required=True),
    Column("run_id", ColumnType.STRING, required=True),
    Column("stage", ColumnType.STRING, required=True),
    Column("reason", ColumnType.STRING, required=True),
    Column("payload", ColumnType.STRING, required=True),  # the record as JSON
    Column("quarantined_at", ColumnType.TIMESTAMP, required=True),
)
QUARANTINE_KEY = ("run_id", "record_id")


@dataclass(frozen=True)
class TargetColumn:
    """A column as the target table has it. `type` is None when the backend's type is none
    of ours (a guard then refuses to write into it)."""

    name: str
    type: ColumnType | None
    raw_type: str
    nullable: bool


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class StagePlan:
    """What to stage: `rows` (typed, every column of `columns`) for `schema.table`, written only
    into `columns` (those the target really has)."""

    schema: OutputSchema
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    run_id: str


@dataclass(frozen=True)
class MergeClauses:
    """The parts of `MERGE target T USING staging S` that both dialects share, quoted per dialect."""

    on: str  # T.k = S.k AND ... over the primary key
    changed: str  # T.v IS DISTINCT FROM S.v OR ...: update only rows that changed
    sets: str  # v = S.v, ...
    columns: str  # every column, for the SELECT and the INSERT list
    values: str  # S.c, ... for the INSERT


def merge_clauses(plan: StagePlan, quote: Callable[[str], str]) -> MergeClauses:
    keys = set(plan.schema.primary_key)
    names = [c.name for c in plan.columns]
    values = [n for n in names if n not in keys]
    return MergeClauses(
        on=" AND ".join(f"T.{quote(k)} = S.{quote(k)}" for k in plan.schema.primary_key),
        changed=" OR ".join(f"T.{quote(n)} IS DISTINCT FROM S.{quote(n)}" for n in values),
        sets=", ".join(f"{quote(n)} = S.{quote(n)}" for n in values),
        columns=", ".join(quote(n) for n in names),
        values=", ".join(f"S.{quote(n)}" for n in names),
    )


class Staged(Protocol):
    def violations(self, audit: SqlAudit) -> list[int]:
        """Ordinals (positions in `plan.rows`) of staged rows the audit rejects."""

    def quarantine(self, rejections: Sequence[Rejection]) -> None:
        """Record rejected rows in `<table>__quarantine`; one already there for this run is kept."""

    def merge(self, exclude: Collection[int]) -> MergeCounts:
        """Publish the staged rows except `exclude` into the target, atomically, keyed by the
        primary key: new keys inserted, changed rows updated, equal rows left alone."""


class OutputBackend(Protocol):
    name: str

    def describe(self, tables: Sequence[str]) -> dict[str, dict[str, TargetColumn]]:
        """Columns of those `tables` that exist, from the catalog (information schema), in one
        query; a table that does not exist is absent from the answer."""

    def create_tables(self, schema: OutputSchema, *, target: bool, quarantine: bool) -> None:
        """Create the target (from the schema) and/or its quarantine table, if absent."""

    def stage(self, plan: StagePlan) -> AbstractContextManager[Staged]:
        """Write the rows to a staging place; on leaving, drop it. Leaving with an exception
        publishes nothing (and, where the backend has transactions, rolls back)."""
