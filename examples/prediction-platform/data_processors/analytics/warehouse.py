"""The example's local warehouse: a DuckDB file written through predguard's safe output writes
(predguard.processors.output): a declared schema, typed NULLs flagged degraded, provenance, keyed MERGE,
and write–audit–publish with quarantine. On the real platform the same call takes a
`BigQueryBackend` instead.

DuckDB lets one process at a time open a file for writing (a second gets an IOException on
the lock), so with several gunicorn workers every open of the warehouse is serialised by an
exclusive `flock` on a file next to it: workers take turns instead of failing, and the
breaker never sees a lock conflict. That serialises the writes of one host, which is what
one DuckDB file allows; to scale out, write to BigQuery (concurrent MERGEs into one table).
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from predguard.processors.output import Audit, DuckDBBackend, OutputSchema, conform, publish

WAREHOUSE_ENV = "ANALYTICS_WAREHOUSE"


def path() -> str:
    return os.environ.get(WAREHOUSE_ENV) or os.path.join(tempfile.gettempdir(), "prediction-platform-analytics.duckdb")


@contextmanager
def _exclusive() -> Iterator[None]:
    """Hold the warehouse's lock file for as long as this process has the DuckDB file open."""
    with open(path() + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released on close, and by the kernel if the worker dies
        yield


def write(
    schema: OutputSchema,
    rows: Sequence[Mapping[str, Any]],
    *,
    run_id: str,
    audits: Sequence[Audit] = (),
    provenance: Mapping[str, str | None] | None = None,
) -> int:
    """Publish `rows` into `schema.table`, keyed by its primary key; the number of rows published."""
    with _exclusive():
        backend = DuckDBBackend.open(path())
        try:
            report = publish(conform(rows, schema, provenance=provenance), backend, run_id=run_id, audits=audits)
        finally:
            backend.close()
    return report.published


def read(table: str) -> list[dict[str, Any]]:
    """Every row of an output table (for the demo and the tests)."""
    with _exclusive():
        backend = DuckDBBackend.open(path())
        try:
            cursor = backend.connection.execute(f'SELECT * FROM "{table}" ORDER BY ALL')
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        finally:
            backend.close()
