"""Alert state, the Alertmanager way: one alert per (rule, system), notify on change only.

`step` is a pure function: stored records + today's verdict -> new records + notifications.

- an alert that starts firing is announced once (kind = its rule);
- while it keeps firing, a reminder at most every `repeat_days` days, in the alert's thread;
- when it stops firing, one "resolved", in the alert's thread (detection's hysteresis decides
  when: a confirmed recovery, never one good day);
- a breach inhibits the drift warning of the same system (the breach says more): the
  warning is tracked but neither announced, reminded nor resolved while the breach fires,
  and announced later only if it outlives the breach;
- no data is not a recovery: an "insufficient data" verdict leaves a firing alert as it is, and
  while the current window holds no graded predictions (an off-season) no reminders are sent;
- re-running a day already evaluated changes nothing, and an earlier day never rewinds the
  state, so a job run twice (or a retried cron) sends nothing new.

Stores: SQLite (embedded default, one local file) and a BigQuery table (production).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from predguard.bigquery import merge_rows
from predguard.monitors.model import AlertKind, Notification, NotificationKind, Verdict

RULES: tuple[AlertKind, ...] = ("breach", "drift_warning")


@dataclass(frozen=True)
class AlertRecord:
    fingerprint: str  # f"{rule}:{system_id}"
    rule: AlertKind
    system_id: str
    firing: bool
    since: dt.date | None  # first day of the current (or last) firing
    notified: bool  # whether this firing was announced (an inhibited warning is not)
    last_notified: dt.date | None  # last announcement or reminder
    thread_ts: str | None  # Slack ts of the announcement: reminders and resolved reply in its thread
    last_as_of: dt.date  # the latest day evaluated


def fingerprint(rule: str, system_id: str) -> str:
    return f"{rule}:{system_id}"


def notification_key(fp: str, kind: NotificationKind, as_of: dt.date) -> str:
    return f"{fp}:{kind}:{as_of.isoformat()}"


def step(
    records: Mapping[str, AlertRecord], verdict: Verdict, *, repeat_days: int = 7
) -> tuple[dict[str, AlertRecord], list[Notification]]:
    """Advance one system's alerts to `verdict.as_of`. Returns the changed records and what to send."""
    as_of = verdict.as_of
    changed: dict[str, AlertRecord] = {}
    notifications: list[Notification] = []
    no_data = verdict.status == "insufficient_data"
    quiet = no_data or verdict.current.n == 0  # a break (off-season): no reminders about no news
    for rule in RULES:
        fp = fingerprint(rule, verdict.system_id)
        previous = records.get(fp)
        if previous is not None and as_of < previous.last_as_of:
            continue  # an earlier day never rewinds the state
        was_firing = previous is not None and previous.firing
        firing = was_firing if no_data else rule in verdict.firing
        inhibited = rule == "drift_warning" and "breach" in verdict.firing
        kind: NotificationKind | None = None
        if not was_firing and firing:
            record = AlertRecord(fp, rule, verdict.system_id, True, as_of, False, None, None, as_of)
            if not inhibited:
                kind = rule
        elif was_firing and firing:
            assert previous is not None
            record = replace(previous, last_as_of=as_of)
            if not previous.notified and not inhibited:
                kind = rule  # a warning that outlived the breach that inhibited it
            elif previous.notified and not inhibited and not quiet and previous.last_notified is not None:
                if (as_of - previous.last_notified).days >= repeat_days:
                    kind = "reminder"
        elif was_firing and not firing:
            assert previous is not None
            record = replace(previous, firing=False, last_as_of=as_of)
            if previous.notified and not inhibited:
                kind = "resolved"  # (a warning that ends under a breach ends quietly: the breach's resolved says it)
        else:
            if previous is None:
                continue  # nothing has ever fired: no record needed
            record = replace(previous, last_as_of=as_of)
        if kind is not None:
            thread = None if kind == rule else record.thread_ts
            notifications.append(Notification(notification_key(fp, kind, as_of), fp, kind, verdict, thread_ts=thread))
            if kind != "resolved":
                record = replace(record, notified=True, last_notified=as_of)
        if record != previous:
            changed[fp] = record
    return changed, notifications


# --- stores ------------------------------------------------------------------------------


class StateStore(Protocol):
    def load(self) -> dict[str, AlertRecord]: ...

    def save(self, records: Iterable[AlertRecord]) -> None: ...

    def thread_ts(self, fp: str) -> str | None: ...

    def set_thread_ts(self, fp: str, ts: str) -> None: ...


_COLUMNS = ("fingerprint", "rule", "system_id", "firing", "since", "notified", "last_notified", "thread_ts", "last_as_of")


def _to_row(record: AlertRecord) -> tuple[Any, ...]:
    return (
        record.fingerprint,
        record.rule,
        record.system_id,
        record.firing,
        record.since.isoformat() if record.since else None,
        record.notified,
        record.last_notified.isoformat() if record.last_notified else None,
        record.thread_ts,
        record.last_as_of.isoformat(),
    )


def _from_row(row: Mapping[str, Any]) -> AlertRecord:
    def day(value: Any) -> dt.date | None:
        if value is None:
            return None
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))

    last_as_of = day(row["last_as_of"])
    assert last_as_of is not None
    return AlertRecord(
        row["fingerprint"], row["rule"], row["system_id"], bool(row["firing"]), day(row["since"]),
        bool(row["notified"]), day(row["last_notified"]), row["thread_ts"], last_as_of,
    )


class SqliteStateStore:
    """The embedded default: one table in a local SQLite file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(path, timeout=10)
        self.con.row_factory = sqlite3.Row
        with self.con:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS alert_state (fingerprint TEXT PRIMARY KEY, rule TEXT NOT NULL, "
                "system_id TEXT NOT NULL, firing INTEGER NOT NULL, since TEXT, notified INTEGER NOT NULL, "
                "last_notified TEXT, thread_ts TEXT, last_as_of TEXT NOT NULL)"
            )

    def load(self) -> dict[str, AlertRecord]:
        return {row["fingerprint"]: _from_row(row) for row in self.con.execute("SELECT * FROM alert_state")}

    def save(self, records: Iterable[AlertRecord]) -> None:
        placeholders = ", ".join("?" for _ in _COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
        with self.con:  # one transaction: all of a run's changes, or none
            self.con.executemany(
                f"INSERT INTO alert_state ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
                f"ON CONFLICT (fingerprint) DO UPDATE SET {updates}",
                [_to_row(r) for r in records],
            )

    def thread_ts(self, fp: str) -> str | None:
        row = self.con.execute("SELECT thread_ts FROM alert_state WHERE fingerprint = ?", (fp,)).fetchone()
        return None if row is None else row["thread_ts"]

    def set_thread_ts(self, fp: str, ts: str) -> None:
        with self.con:
            self.con.execute("UPDATE alert_state SET thread_ts = ? WHERE fingerprint = ? AND thread_ts IS NULL", (ts, fp))

    def close(self) -> None:
        self.con.close()


_BQ_SCHEMA = (
    ("fingerprint", "STRING"), ("rule", "STRING"), ("system_id", "STRING"), ("firing", "BOOL"), ("since", "DATE"),
    ("notified", "BOOL"), ("last_notified", "DATE"), ("thread_ts", "STRING"), ("last_as_of", "DATE"),
)


class BigQueryStateStore:
    """Production: the same records in a BigQuery table, written with parameterised MERGEs."""

    def __init__(self, client: Any, table: str, *, create: bool = True) -> None:
        from google.cloud import bigquery

        self.client = client
        self.table = table
        if create:
            schema = [bigquery.SchemaField(name, kind) for name, kind in _BQ_SCHEMA]
            client.create_table(bigquery.Table(table, schema=schema), exists_ok=True)

    def load(self) -> dict[str, AlertRecord]:
        from google.api_core.exceptions import NotFound

        try:
            rows = self.client.query(f"SELECT * FROM `{self.table}`").result(timeout=60)
        except NotFound:
            return {}  # a dry run before the first real run: no state yet
        return {row["fingerprint"]: _from_row(dict(row.items())) for row in rows}

    def save(self, records: Iterable[AlertRecord]) -> None:
        rows = []
        for record in records:  # a handful per run (two rules per system)
            values = dict(zip(_COLUMNS, _to_row(record), strict=True))
            rows.append({name: _bq_value(values[name], kind) for name, kind in _BQ_SCHEMA})
        if rows:
            merge_rows(self.client, self.table, _BQ_SCHEMA, ("fingerprint",), rows, update=True, timeout=60)

    def thread_ts(self, fp: str) -> str | None:
        from google.cloud import bigquery

        params = [bigquery.ScalarQueryParameter("fp", "STRING", fp)]
        query = f"SELECT thread_ts FROM `{self.table}` WHERE fingerprint = @fp"
        rows = list(self.client.query(query, job_config=bigquery.QueryJobConfig(query_parameters=params)).result(timeout=60))
        return rows[0]["thread_ts"] if rows else None

    def set_thread_ts(self, fp: str, ts: str) -> None:
        from google.cloud import bigquery

        params = [bigquery.ScalarQueryParameter("ts", "STRING", ts), bigquery.ScalarQueryParameter("fp", "STRING", fp)]
        query = f"UPDATE `{self.table}` SET thread_ts = @ts WHERE fingerprint = @fp AND thread_ts IS NULL"
        self.client.query(query, job_config=bigquery.QueryJobConfig(query_parameters=params)).result(timeout=60)

    def close(self) -> None:
        pass


def _bq_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "DATE":
        return dt.date.fromisoformat(value)
    if kind == "BOOL":
        return bool(value)
    return value
