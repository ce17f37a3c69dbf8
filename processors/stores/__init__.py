"""Where run markers and dead letters live: one small interface, two backends.

- `SqliteStore` (the default): an embedded file, no server.
- `BigQueryStore`: tables in a BigQuery dataset, through google-cloud-bigquery.

Both dedup on write by the record's key (`RunMarker.run_id`, `DeadLetter.key`), which is what
makes outbox delivery exactly-once, and both hold the claims (leases) that keep two copies of
one message from running at the same time (predguard.processors.claims).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Protocol, runtime_checkable

from predguard.bigquery import client as bigquery_client
from predguard.bigquery import is_bigquery, parse_name
from predguard.errors import InputError
from predguard.processors.claims import DEFAULT_LEASE_SECONDS, ClaimKey
from predguard.processors.markers import DeadLetter, RunMarker

DEFAULT_STORE = "sqlite:///.predguard/runs.sqlite3"
STORE_ENV = "PREDGUARD_STORE"


@runtime_checkable
class Store(Protocol):
    def append_markers(self, markers: Sequence[RunMarker]) -> None:
        """Add markers; one whose run_id is already stored is ignored."""

    def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Add dead letters; one whose key is already stored is ignored."""

    def markers(self, target_date: date | None = None, processor: str | None = None) -> list[RunMarker]:
        """Markers, oldest first, optionally for one date and/or one processor."""

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead letter, oldest first."""

    def processors_in_phase(self, phase: int) -> list[str]:
        """Names of the processors that ever recorded a run in this phase."""

    def claim(self, key: ClaimKey, holder: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> bool:
        """Atomically take the claim on `key` for `holder`: False when another holder's lease is live."""

    def release(self, key: ClaimKey, holder: str) -> None:
        """Drop the claim when `holder` still holds it."""

    def claim_holder(self, key: ClaimKey) -> str | None:
        """Who holds a live claim on `key`, or None."""


def open_store(spec: str | None = None) -> Store:
    """A store from a spec: `sqlite:///relative/file`, `sqlite:////absolute/file`, a plain path,
    or `bigquery://project/dataset`.

    No spec: $PREDGUARD_STORE, else an SQLite file `.predguard/runs.sqlite3` under the cwd.
    """
    spec = (spec or os.environ.get(STORE_ENV) or DEFAULT_STORE).strip()
    if is_bigquery(spec):
        name = parse_name(spec, ("dataset",), what="store", where="--store")
        from predguard.processors.stores.bigquery import BigQueryStore

        return BigQueryStore(bigquery_client(name.project), name.dataset_id)
    if spec.startswith("sqlite://"):
        # SQLAlchemy's convention: sqlite:///relative/file, sqlite:////absolute/file
        path = spec[len("sqlite://"):]
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise InputError(f"SQLite store needs a file path: sqlite:///PATH, got {spec!r}", where="--store")
    elif "://" in spec:
        raise InputError(f"unknown store {spec!r}; use sqlite:///PATH or bigquery://PROJECT/DATASET", where="--store")
    else:
        path = spec
    from predguard.processors.stores.sqlite import SqliteStore

    return SqliteStore(Path(path))
