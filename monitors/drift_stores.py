"""Where the daily drift job keeps its alert state and its monitoring history.

BigQuery tables when configured (`state_table`, `history_table`), else the embedded SQLite
file next to the state path. A dry run reads the stored state and writes nothing.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from predguard.bigquery import client as bigquery_client
from predguard.bigquery import parse_name
from predguard.monitors.config import DriftConfig
from predguard.monitors.history import BigQueryHistoryStore, HistoryStore, SqliteHistoryStore
from predguard.monitors.state import AlertRecord, BigQueryStateStore, SqliteStateStore, StateStore, _from_row


def state_store(config: DriftConfig, path: Path, dry_run: bool, bigquery: Any) -> StateStore | None:
    if config.state_table:
        name = parse_name(config.state_table, ("table",), what="table", where="state_table")
        client = bigquery if bigquery is not None else bigquery_client(name.project)
        return BigQueryStateStore(client, name.table_id, create=not dry_run)
    if dry_run and not path.exists():
        return None  # nothing stored yet, and a dry run must not create the file
    if dry_run:
        return ReadOnlySqliteState(path)
    return SqliteStateStore(path)


class ReadOnlySqliteState:
    """A dry run reads the stored state (to show what would be sent) and writes nothing."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def load(self) -> dict[str, AlertRecord]:
        self.con.row_factory = sqlite3.Row
        try:
            return {r["fingerprint"]: _from_row(r) for r in self.con.execute("SELECT * FROM alert_state")}
        except sqlite3.OperationalError:
            return {}

    def save(self, records: Iterable[AlertRecord]) -> None:  # pragma: no cover - never called on a dry run
        raise AssertionError("a dry run persists nothing")

    def thread_ts(self, fp: str) -> str | None:  # pragma: no cover - a dry run delivers nothing
        raise AssertionError("a dry run delivers nothing")

    def set_thread_ts(self, fp: str, ts: str) -> None:  # pragma: no cover
        raise AssertionError("a dry run persists nothing")


def history_store(config: DriftConfig, state_file: Path, bigquery: Any) -> HistoryStore:
    if config.history_table:
        name = parse_name(config.history_table, ("table",), what="table", where="history_table")
        client = bigquery if bigquery is not None else bigquery_client(name.project)
        return BigQueryHistoryStore(client, name.table_id)
    return SqliteHistoryStore(state_file)
