"""Run markers and dead letters in BigQuery tables, through google-cloud-bigquery.

Writes are MERGE statements keyed by the record's key (never a blind insert), so a record
delivered twice from the outbox is stored once. Tables are created on first use.

Claims are one MERGE on the `claims` table: insert when no row has the key, take over when
the row's lease has expired, otherwise change nothing; then the row's holder says who won.
The MERGE has an UPDATE branch on purpose: BigQuery runs a MERGE with only INSERT branches
as an INSERT, which does not conflict with a concurrent one (two could both insert), while
a mutating MERGE conflicts with a concurrent mutation of the table and is retried or fails
with a serialization error ("Could not serialize access ... due to concurrent update").
Either way it never lets two holders in; a failure is answered like "held by someone else".
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from google.cloud import bigquery

from predguard import run_markers
from predguard.bigquery import merge_rows
from predguard.processors.claims import DEFAULT_LEASE_SECONDS, ClaimKey
from predguard.processors.markers import DeadLetter, RunMarker

MARKERS_TABLE = run_markers.TABLE
DEAD_LETTERS_TABLE = "dead_letters"
CLAIMS_TABLE = "claims"
# BigQuery's answer to a mutating DML that lost a race with another on the same table.
_CONCURRENT_UPDATE = re.compile(r"could not serialize access|concurrent update", re.I)

_MARKER_SCHEMA: list[tuple[str, str]] = list(run_markers.COLUMNS)  # the shared core owns the shape
_LETTER_SCHEMA: list[tuple[str, str]] = [
    ("key", "STRING"),
    ("reason", "STRING"),
    ("error", "STRING"),
    ("raw_payload", "STRING"),
    ("message_id", "STRING"),
    ("subscription", "STRING"),
    ("delivery_attempt", "INT64"),
    ("processor", "STRING"),
    ("target_date", "STRING"),
    ("received_at", "TIMESTAMP"),
]
_CLAIM_SCHEMA: list[tuple[str, str]] = [
    ("processor", "STRING"),
    ("target_date", "DATE"),
    ("message_id", "STRING"),
    ("holder", "STRING"),
    ("expires_at", "TIMESTAMP"),
]
_BQ_TO_FIELD = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN"}


class BigQueryStore:
    def __init__(self, client: bigquery.Client, dataset: str) -> None:
        """`dataset` is "project.dataset"; the dataset must exist."""
        self.client = client
        self.dataset = dataset
        self._ready = False

    def _table(self, name: str) -> str:
        return f"{self.dataset}.{name}"

    def _ensure_tables(self) -> None:
        if self._ready:
            return
        for name, schema in ((MARKERS_TABLE, _MARKER_SCHEMA), (DEAD_LETTERS_TABLE, _LETTER_SCHEMA), (CLAIMS_TABLE, _CLAIM_SCHEMA)):
            fields = [bigquery.SchemaField(col, _BQ_TO_FIELD.get(typ, typ)) for col, typ in schema]
            self.client.create_table(bigquery.Table(self._table(name), schema=fields), exists_ok=True)
        self._ready = True

    def append_markers(self, markers: Sequence[RunMarker]) -> None:
        self._merge(MARKERS_TABLE, _MARKER_SCHEMA, "run_id", [m.to_row() for m in markers])

    def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self._merge(DEAD_LETTERS_TABLE, _LETTER_SCHEMA, "key", [d.to_row() for d in letters])

    def _merge(self, table: str, schema: list[tuple[str, str]], key: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self._ensure_tables()
        # Insert-only: a record is written once and never changes, so a redelivery is a no-op.
        merge_rows(self.client, self._table(table), schema, (key,), rows, update=False)

    def markers(self, target_date: date | None = None, processor: str | None = None) -> list[RunMarker]:
        clauses, params = [], []
        if target_date is not None:
            clauses.append("target_date = @target_date")
            params.append(bigquery.ScalarQueryParameter("target_date", "DATE", target_date))
        if processor is not None:
            clauses.append("processor = @processor")
            params.append(bigquery.ScalarQueryParameter("processor", "STRING", processor))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._query(f"SELECT * FROM `{self._table(MARKERS_TABLE)}`{where} ORDER BY recorded_at, run_id", params)
        return [RunMarker.from_row(row) for row in rows]

    def dead_letters(self) -> list[DeadLetter]:
        rows = self._query(f"SELECT * FROM `{self._table(DEAD_LETTERS_TABLE)}` ORDER BY received_at, key", [])
        return [DeadLetter.from_row(row) for row in rows]

    def processors_in_phase(self, phase: int) -> list[str]:
        rows = self._query(
            f"SELECT DISTINCT processor FROM `{self._table(MARKERS_TABLE)}` WHERE phase = @phase ORDER BY processor",
            [bigquery.ScalarQueryParameter("phase", "INT64", phase)],
        )
        return [row["processor"] for row in rows]

    def claim(self, key: ClaimKey, holder: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> bool:
        self._ensure_tables()
        table = self._table(CLAIMS_TABLE)
        params = [*self._claim_params(key), bigquery.ScalarQueryParameter("holder", "STRING", holder),
                  bigquery.ScalarQueryParameter("lease_ms", "INT64", int(lease_seconds * 1000))]
        expires = "TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL @lease_ms MILLISECOND)"
        try:
            self._merge_claim(table, expires, params)
        except Exception as exc:
            # Another claim's MERGE won the race: the message is held, not the store down (which
            # would send the caller to its host-local fallback and let two instances run it).
            if _CONCURRENT_UPDATE.search(str(exc)):
                return False
            raise
        return self.claim_holder(key) == holder

    def _merge_claim(self, table: str, expires: str, params: list[bigquery.ScalarQueryParameter]) -> None:
        self._query(
            f"MERGE `{table}` AS target "
            "USING (SELECT @processor AS processor, @target_date AS target_date, @message_id AS message_id) AS source "
            "ON target.processor = source.processor AND target.target_date = source.target_date "
            "AND target.message_id = source.message_id "
            f"WHEN MATCHED AND target.expires_at <= CURRENT_TIMESTAMP() THEN UPDATE SET holder = @holder, expires_at = {expires} "
            "WHEN NOT MATCHED THEN INSERT (processor, target_date, message_id, holder, expires_at) "
            f"VALUES (source.processor, source.target_date, source.message_id, @holder, {expires})",
            params,
        )

    def release(self, key: ClaimKey, holder: str) -> None:
        self._query(
            f"DELETE FROM `{self._table(CLAIMS_TABLE)}` "
            "WHERE processor = @processor AND target_date = @target_date AND message_id = @message_id AND holder = @holder",
            [*self._claim_params(key), bigquery.ScalarQueryParameter("holder", "STRING", holder)],
        )

    def claim_holder(self, key: ClaimKey) -> str | None:
        rows = self._query(
            f"SELECT holder FROM `{self._table(CLAIMS_TABLE)}` WHERE processor = @processor AND target_date = @target_date "
            "AND message_id = @message_id AND expires_at > CURRENT_TIMESTAMP()",
            self._claim_params(key),
        )
        return str(rows[0]["holder"]) if rows else None

    @staticmethod
    def _claim_params(key: ClaimKey) -> list[bigquery.ScalarQueryParameter]:
        return [
            bigquery.ScalarQueryParameter("processor", "STRING", key.processor),
            bigquery.ScalarQueryParameter("target_date", "DATE", key.target_date),
            bigquery.ScalarQueryParameter("message_id", "STRING", key.message_id),
        ]

    def _query(self, sql: str, params: list[bigquery.ScalarQueryParameter]) -> list[dict[str, Any]]:
        self._ensure_tables()
        job = self.client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params))
        return [dict(row.items()) for row in job.result()]

    def close(self) -> None:
        self.client.close()
