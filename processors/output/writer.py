"""Write–audit–publish: stage the conformed batch, audit the staged rows, quarantine the rejected
ones by id, and publish the rest into the target with one atomic keyed merge.

Schema guards run first, against the target's catalog: a declared required column (or the
degradation pair) the target lacks is an InputError naming table and column; a declared
optional column it lacks is written as NULL and every row says so in `degraded_reason`; a
column whose type differs is an InputError.

Exceptions from the database propagate unchanged (so a caller can tell a transient fault
from a permanent one) after the target was left untouched.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from predguard.errors import InputError
from predguard.processors.output.audit import Audit, RowCheck, check_audits, describe_violation
from predguard.processors.output.backend import MergeCounts, OutputBackend, StagePlan, TargetColumn
from predguard.processors.output.conform import ConformedBatch, Rejection, record_id
from predguard.processors.output.schema import DEGRADED_REASON, IS_DEGRADED, Column, OutputSchema

log = logging.getLogger(__name__)


class AuditFailed(Exception):
    """The audits rejected more of the batch than `max_rejected_fraction` allows: the batch
    looks wrong as a whole, so nothing was published or quarantined."""

    def __init__(self, message: str, rejections: Sequence[Rejection]) -> None:
        super().__init__(message)
        self.rejections = tuple(rejections)


@dataclass(frozen=True)
class PublishReport:
    table: str
    run_id: str
    received: int  # rows given to conform()
    inserted: int  # new primary keys in the target
    updated: int  # existing keys whose values changed
    unchanged: int  # existing keys written with equal values (an idempotent re-run)
    deduplicated: int  # rows dropped because a later row had the same key
    degraded: int  # published rows flagged is_degraded
    quarantined: tuple[Rejection, ...]

    @property
    def published(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def written(self) -> int:
        """Rows that changed the target."""
        return self.inserted + self.updated

    def summary(self) -> str:
        if not self.published:
            if not self.received:
                return f"{self.table}: nothing to publish (empty batch)"
            return (f"{self.table}: nothing published: all {len(self.quarantined)} record(s) rejected and "
                    f"quarantined in {self.table}__quarantine")
        return (f"{self.table}: published {self.published} ({self.inserted} inserted, {self.updated} updated, "
                f"{self.unchanged} unchanged), {self.degraded} degraded, {len(self.quarantined)} quarantined, "
                f"{self.deduplicated} deduplicated")

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table, "run_id": self.run_id, "received": self.received,
            "published": self.published, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged, "deduplicated": self.deduplicated, "degraded": self.degraded,
            "quarantined": [{"record_id": r.record_id, "stage": r.stage, "reason": r.reason} for r in self.quarantined],
        }


def publish(
    batch: ConformedBatch,
    backend: OutputBackend,
    *,
    run_id: str,
    audits: Sequence[Audit] = (),
    max_rejected_fraction: float | None = None,
) -> PublishReport:
    """Stage, audit, quarantine and publish `batch` (see the module docstring).

    `run_id` keys the quarantine (re-running a run never duplicates its quarantine rows).
    `max_rejected_fraction` (0..1): when more of the batch than that is rejected, raise
    AuditFailed and publish nothing — a mostly-bad batch is a broken input, not bad records.
    """
    schema = batch.schema
    where = f"{backend.name}:{schema.table}"
    if not isinstance(run_id, str) or not run_id.strip():
        raise InputError("run_id must be a non-empty string", where=where)
    if max_rejected_fraction is not None and not 0 <= max_rejected_fraction <= 1:
        raise InputError(f"max_rejected_fraction must be between 0 and 1, got {max_rejected_fraction}", where=where)
    checked_audits = check_audits(audits, schema)

    # One catalog query in the steady state; tables are created only when absent.
    found = backend.describe([schema.table, schema.quarantine_table])
    if schema.table not in found or schema.quarantine_table not in found:
        backend.create_tables(schema, target=schema.table not in found, quarantine=schema.quarantine_table not in found)
        if schema.table not in found:
            found = backend.describe([schema.table])
    target = found.get(schema.table)
    if target is None:
        raise InputError(f"table {schema.table} is missing after creating it", where=where)
    columns, missing_optional = guard_target(schema, target, where)
    rows = tuple(_without_columns(row, missing_optional) for row in batch.rows) if missing_optional else batch.rows

    with backend.stage(StagePlan(schema, columns, rows, run_id)) as staged:
        reasons: dict[int, list[str]] = {}
        for audit in checked_audits:
            if isinstance(audit, RowCheck):
                for ordinal, row in enumerate(rows):
                    reason = audit.check(row)
                    if reason is not None:
                        reasons.setdefault(ordinal, []).append(describe_violation(audit, row, reason))
            else:
                for ordinal in staged.violations(audit):
                    reasons.setdefault(ordinal, []).append(describe_violation(audit, rows[ordinal]))
        audit_rejections = [
            Rejection(record_id(tuple(rows[i][k] for k in schema.primary_key)), "; ".join(reasons[i]), "audit", rows[i])
            for i in sorted(reasons)
        ]
        rejections = (*batch.rejected, *audit_rejections)
        if (max_rejected_fraction is not None and batch.received
                and len(rejections) / batch.received > max_rejected_fraction):
            raise AuditFailed(
                f"{schema.table}: {len(rejections)} of {batch.received} rows rejected, more than the "
                f"{max_rejected_fraction:.0%} allowed; nothing published", rejections)
        staged.quarantine(rejections)
        publishable = len(rows) - len(reasons)
        counts = staged.merge(exclude=set(reasons)) if publishable else MergeCounts(0, 0, 0)

    report = PublishReport(
        table=schema.table, run_id=run_id, received=batch.received,
        inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
        deduplicated=batch.deduplicated,
        degraded=sum(1 for i, row in enumerate(rows) if row[IS_DEGRADED] and i not in reasons),
        quarantined=rejections,
    )
    log.info(report.summary(), extra={"output": report.to_dict()})
    return report


def guard_target(
    schema: OutputSchema, target: dict[str, TargetColumn], where: str
) -> tuple[tuple[Column, ...], tuple[str, ...]]:
    """The columns to write (those the target has) and the declared optional ones it lacks.
    Raises InputError for a missing required column or a type that differs."""
    required = schema.required_in_target
    present: list[Column] = []
    missing: list[str] = []
    for column in schema.all_columns:
        found = target.get(column.name)
        if found is None:
            if column.name in required:
                raise InputError(f"table {schema.table} has no column {column.name}, which the output schema "
                                 f"requires", where=where)
            missing.append(column.name)
            continue
        if found.type is not column.type:
            raise InputError(f"table {schema.table} column {column.name} is {found.raw_type}, the output schema "
                             f"declares {column.type.value}", where=where)
        if not found.nullable and not column.required:
            raise InputError(f"table {schema.table} column {column.name} is NOT NULL, the output schema declares "
                             f"it optional (it may be written as NULL)", where=where)
        present.append(column)
    return tuple(present), tuple(missing)


def _without_columns(row: dict[str, Any], missing: tuple[str, ...]) -> dict[str, Any]:
    """The row with the columns the target lacks set to NULL and the row marked degraded."""
    reason = f"target lacks column(s) {', '.join(missing)}"
    copy = dict(row)
    for name in missing:
        copy[name] = None
    copy[IS_DEGRADED] = True
    copy[DEGRADED_REASON] = f"{row[DEGRADED_REASON]}; {reason}" if row[DEGRADED_REASON] else reason
    return copy
