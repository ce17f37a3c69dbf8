"""The monitoring table: one row per (run date, system) for dashboards.

Upserted on (run_date, system_id), so re-running a day replaces its row instead of adding
one. Embedded default: a table in the local SQLite state file; production: a BigQuery table
written with a parameterised MERGE.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Protocol

from predguard.bigquery import merge_rows
from predguard.monitors.model import Verdict


@dataclass(frozen=True)
class MonitoringRow:
    run_date: dt.date
    system_id: str
    status: str
    firing: str  # comma-separated alert kinds firing, "" when none
    window_start: dt.date
    window_end: dt.date
    n: int  # graded predictions in the recent window
    hits: int
    hit_rate: float | None
    hit_rate_low: float | None
    hit_rate_high: float | None
    statistic: float
    threshold: float | None
    warning_statistic: float
    warning_threshold: float | None
    baseline_rate: float | None
    floor: float
    below_floor_weeks: int
    weeks_rule_firing: bool
    breach_since: dt.date | None
    source: str


def row_for(verdict: Verdict, *, window_start: dt.date, source: str) -> MonitoringRow:
    current = verdict.current
    return MonitoringRow(
        run_date=verdict.as_of,
        system_id=verdict.system_id,
        status=verdict.status,
        firing=",".join(sorted(verdict.firing)),
        window_start=window_start,
        window_end=verdict.as_of,
        n=current.n,
        hits=current.hits,
        hit_rate=current.rate,
        hit_rate_low=current.low,
        hit_rate_high=current.high,
        statistic=float(verdict.statistic),
        threshold=verdict.threshold,
        warning_statistic=float(verdict.warning_statistic),
        warning_threshold=verdict.warning_threshold,
        baseline_rate=verdict.baseline_rate,
        floor=verdict.floor,
        below_floor_weeks=verdict.below_floor_weeks,
        weeks_rule_firing=verdict.weeks_rule_firing,
        breach_since=verdict.breach_since,
        source=source,
    )


class HistoryStore(Protocol):
    def upsert(self, rows: Iterable[MonitoringRow]) -> None: ...

    def rows(self) -> list[MonitoringRow]: ...


_TYPES: dict[str, tuple[str, str]] = {  # field -> (SQLite type, BigQuery type)
    "run_date": ("TEXT", "DATE"), "system_id": ("TEXT", "STRING"), "status": ("TEXT", "STRING"),
    "firing": ("TEXT", "STRING"), "window_start": ("TEXT", "DATE"), "window_end": ("TEXT", "DATE"),
    "n": ("INTEGER", "INT64"), "hits": ("INTEGER", "INT64"), "hit_rate": ("REAL", "FLOAT64"),
    "hit_rate_low": ("REAL", "FLOAT64"), "hit_rate_high": ("REAL", "FLOAT64"), "statistic": ("REAL", "FLOAT64"),
    "threshold": ("REAL", "FLOAT64"), "warning_statistic": ("REAL", "FLOAT64"), "warning_threshold": ("REAL", "FLOAT64"),
    "baseline_rate": ("REAL", "FLOAT64"), "floor": ("REAL", "FLOAT64"), "below_floor_weeks": ("INTEGER", "INT64"),
    "weeks_rule_firing": ("INTEGER", "BOOL"), "breach_since": ("TEXT", "DATE"), "source": ("TEXT", "STRING"),
}
_NAMES = tuple(f.name for f in fields(MonitoringRow))
assert set(_NAMES) == set(_TYPES), "every MonitoringRow field needs a column type"


def _decode(values: dict[str, Any]) -> MonitoringRow:
    decoded = dict(values)
    for name, (_, bq_type) in _TYPES.items():
        value = decoded[name]
        if value is None:
            continue
        if bq_type == "DATE" and not isinstance(value, dt.date):
            decoded[name] = dt.date.fromisoformat(str(value))
        elif bq_type == "BOOL":
            decoded[name] = bool(value)
    return MonitoringRow(**decoded)


class SqliteHistoryStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(path, timeout=10)
        self.con.row_factory = sqlite3.Row
        columns = ", ".join(f"{name} {_TYPES[name][0]}" for name in _NAMES)
        with self.con:
            self.con.execute(f"CREATE TABLE IF NOT EXISTS drift_runs ({columns}, PRIMARY KEY (run_date, system_id))")

    def upsert(self, rows: Iterable[MonitoringRow]) -> None:
        placeholders = ", ".join("?" for _ in _NAMES)
        updates = ", ".join(f"{n} = excluded.{n}" for n in _NAMES[2:])
        values = [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in asdict(r).values()) for r in rows]
        with self.con:
            self.con.executemany(
                f"INSERT INTO drift_runs ({', '.join(_NAMES)}) VALUES ({placeholders}) "
                f"ON CONFLICT (run_date, system_id) DO UPDATE SET {updates}",
                values,
            )

    def rows(self) -> list[MonitoringRow]:
        return [_decode(dict(r)) for r in self.con.execute("SELECT * FROM drift_runs ORDER BY run_date, system_id")]

    def close(self) -> None:
        self.con.close()


class BigQueryHistoryStore:
    def __init__(self, client: Any, table: str) -> None:
        from google.cloud import bigquery

        self.client = client
        self.table = table
        schema = [bigquery.SchemaField(name, _TYPES[name][1]) for name in _NAMES]
        client.create_table(bigquery.Table(table, schema=schema), exists_ok=True)

    def upsert(self, rows: Iterable[MonitoringRow]) -> None:
        columns = [(n, _TYPES[n][1]) for n in _NAMES]
        merge_rows(self.client, self.table, columns, ("run_date", "system_id"), [asdict(r) for r in rows], update=True, timeout=60)

    def rows(self) -> list[MonitoringRow]:
        result = self.client.query(f"SELECT * FROM `{self.table}` ORDER BY run_date, system_id").result(timeout=60)
        return [_decode(dict(r.items())) for r in result]

    def close(self) -> None:
        pass
