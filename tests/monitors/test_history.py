"""The monitoring table in the embedded SQLite file: one row per (run date, system), upserted."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from predguard.monitors.history import SqliteHistoryStore, row_for
from tests.monitors.drift_helpers import verdict

D = dt.date(2026, 1, 5)


def test_rows_round_trip_and_a_rerun_replaces_its_row(tmp_path: Path) -> None:
    store = SqliteHistoryStore(tmp_path / "s.sqlite")
    first = row_for(verdict(D, "breach", "drift_warning"), window_start=D - dt.timedelta(days=139), source="x.csv")
    store.upsert([first, row_for(verdict(D, system="sys_b"), window_start=D, source="x.csv")])
    store.upsert([row_for(verdict(D + dt.timedelta(days=1)), window_start=D, source="x.csv")])
    assert [(r.run_date, r.system_id, r.status, r.firing) for r in store.rows()] == [
        (D, "sys_a", "breach", "breach,drift_warning"),
        (D, "sys_b", "ok", ""),
        (D + dt.timedelta(days=1), "sys_a", "ok", ""),
    ]
    store.upsert([dataclasses.replace(first, status="ok", n=7)])
    store.close()
    rows = SqliteHistoryStore(tmp_path / "s.sqlite").rows()
    assert len(rows) == 3
    assert rows[0] == dataclasses.replace(first, status="ok", n=7)  # every field survives the file
