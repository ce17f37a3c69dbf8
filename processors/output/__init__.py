"""Safe output writes: a declared schema, graceful degradation, keyed idempotent writes, and
write–audit–publish with quarantine.

    from predguard.processors.output import (Column, OutputSchema, conform, publish,
                                   DuckDBBackend, InRange, NotNull)

    schema = OutputSchema(
        "player_predictions",
        columns=[
            Column("game_date", "DATE", required=True),
            Column("player_id", "STRING", required=True),
            Column("predicted_points", "FLOAT64", required=True),
            Column("odds_line", "FLOAT64"),                # optional input
        ],
        primary_key=("game_date", "player_id"),
        provenance=("odds",),                             # adds source_used_odds
    )
    batch = conform(rows, schema, provenance={"odds": "vendor_a"})
    report = publish(batch, DuckDBBackend.open("out.duckdb"), run_id=run_id,
                     audits=[InRange("predicted_points", 0, 100)])
    report.inserted, report.updated, report.unchanged, report.quarantined

The rules:

- `conform` never guesses a value. A declared optional column absent from a row is NULL and
  the row gets `is_degraded = TRUE` and `degraded_reason` ("missing optional: odds_line"); an
  explicit None is a deliberate NULL (pass `degraded_reason` in the row to flag it yourself).
  A missing/null required column, a wrong type, or an unknown column rejects the row with a
  reason. `source_used_<input>` comes from the row, else `provenance=`; unknown → NULL and
  degraded. Rows sharing a primary key: the last wins, counted in `deduplicated`.
- `publish` checks the target's catalog first: a required column it lacks is an InputError
  naming table and column; an optional one it lacks is written as NULL with every row degraded.
  Then it stages the rows, runs the audits on the staging table, records every rejected row
  (conform's and the audits') in `<table>__quarantine` keyed by (run_id, record_id), and
  MERGEs the rest into the target by primary key (never DELETE+INSERT; equal rows untouched,
  so a re-run reports `inserted=0, updated=0`). A failure leaves the target untouched: DuckDB
  does it all in one transaction; on BigQuery the publish is one MERGE statement, and the
  quarantine (idempotent per run) is written just before it. Database exceptions propagate
  unchanged so the caller can classify them as transient or permanent.
- `max_rejected_fraction=` turns a mostly-rejected batch into `AuditFailed` (nothing
  published, nothing quarantined). A batch with every row rejected otherwise publishes
  nothing, quarantines every row, and `report.summary()` says so.
- Only identifiers (validated against `[A-Za-z_][A-Za-z0-9_]*`) are spliced into SQL; every
  value is a query parameter.

Backends: `DuckDBBackend` (embedded default) and `BigQueryBackend(client, "project.dataset")`
(needs google-cloud-bigquery), both implementing `OutputBackend`; `open_backend(spec)` picks
one from `duckdb:///PATH` or `bigquery://PROJECT/DATASET` (default: $PREDGUARD_OUTPUT, else
`duckdb:///.predguard/output.duckdb`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from predguard.processors.output.audit import AcceptedValues, Audit, InRange, NotNull, RowCheck
from predguard.processors.output.backend import MergeCounts, OutputBackend, TargetColumn
from predguard.processors.output.backends import open_backend
from predguard.processors.output.conform import ConformedBatch, Rejection, conform, record_id
from predguard.processors.output.schema import Column, ColumnType, OutputSchema
from predguard.processors.output.writer import AuditFailed, PublishReport, publish

if TYPE_CHECKING:
    from predguard.processors.output.bigquery_backend import BigQueryBackend
    from predguard.processors.output.duckdb_backend import DuckDBBackend

__all__ = [
    "AcceptedValues", "Audit", "AuditFailed", "BigQueryBackend", "Column", "ColumnType", "ConformedBatch",
    "DuckDBBackend", "InRange", "MergeCounts", "NotNull", "OutputBackend", "OutputSchema", "PublishReport",
    "Rejection", "RowCheck", "TargetColumn", "conform", "open_backend", "publish", "record_id",
]


def __getattr__(name: str) -> Any:
    # Backends import their database client only when asked for: neither is needed to declare
    # a schema or conform rows.
    if name == "DuckDBBackend":
        from predguard.processors.output.duckdb_backend import DuckDBBackend

        return DuckDBBackend
    if name == "BigQueryBackend":
        from predguard.processors.output.bigquery_backend import BigQueryBackend

        return BigQueryBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
