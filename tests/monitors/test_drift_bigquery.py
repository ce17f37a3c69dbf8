"""The production path against a local BigQuery emulator, with the real google-cloud-bigquery
client: the same SQL, INFORMATION_SCHEMA schema guard, DATE parameters, a partition filter
that the emulator enforces, dry-run bytes, and the BigQuery state and monitoring tables.

(The emulator always reports 0 bytes for a dry run: the test checks the number is taken
from the dry run — an int, not None — not its size.)"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest

from predguard.monitors.config import ColumnMap, DriftConfig
from predguard.monitors.drift_job import run_daily
from predguard.monitors.history import BigQueryHistoryStore, row_for
from predguard.monitors.sources import open_source, parse_source
from predguard.monitors.state import AlertRecord, BigQueryStateStore, step
from predguard.errors import InputError
from tests.monitors.drift_helpers import python_counts, random_rows, verdict

pytestmark = pytest.mark.bigquery
START = dt.date(2026, 1, 1)


def make_table(client, table_id: str, rows, schema=(("game_date", "DATE"), ("system_id", "STRING"), ("is_correct", "BOOL"))) -> str:
    from google.cloud import bigquery

    table = bigquery.Table(table_id, schema=[bigquery.SchemaField(n, t) for n, t in schema])
    if schema[0] == ("game_date", "DATE"):
        table.time_partitioning = bigquery.TimePartitioning(field="game_date")
        table.require_partition_filter = True
    client.create_table(table)
    if rows:
        names = [n for n, _ in schema]
        payload = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in zip(names, row)} for row in rows]
        client.load_table_from_json(payload, table_id, job_config=bigquery.LoadJobConfig(schema=table.schema)).result(timeout=60)
    return table_id


def test_daily_counts_match_python_and_bytes_come_from_the_dry_run(bq_client, bq_dataset) -> None:
    rows = random_rows(START, 12, {"sys_a": 0.6, "sys_b": 0.45}, per_day=15)
    table = make_table(bq_client, f"{bq_dataset}.graded", rows)
    spec = parse_source(f"bigquery:{table}")
    start, end = START + dt.timedelta(days=2), START + dt.timedelta(days=8)
    aggregate = open_source(spec, bigquery_client=bq_client).aggregate(start, end)
    assert {(r.system_id, r.game_date): (r.n, r.hits) for r in aggregate.rows} == python_counts(rows, start, end)
    assert aggregate.bytes_processed == 0  # the emulator's dry run always says 0 (real BigQuery: the estimate)
    assert aggregate.rows_after_window == sum(1 for d, _, _ in rows if d > end)
    assert not aggregate.has_graded_at


def test_custom_sql_and_column_mapping(bq_client, bq_dataset) -> None:
    rows = random_rows(START, 5, {"m1": 0.7, "m2": 0.4}, per_day=10)
    schema = (("day", "DATE"), ("model", "STRING"), ("hit", "BOOL"))
    table = make_table(bq_client, f"{bq_dataset}.renamed", rows, schema=schema)
    end = START + dt.timedelta(days=4)
    mapped = open_source(parse_source(f"bigquery:{table}"), ColumnMap("day", "model", "hit"), bigquery_client=bq_client)
    assert {(r.system_id, r.game_date): (r.n, r.hits) for r in mapped.aggregate(START, end).rows} == python_counts(rows, START, end)
    sql = f"SELECT day AS game_date, model AS system_id, hit AS is_correct FROM `{table}` WHERE model = 'm2'"
    custom = open_source(parse_source("bigquery:test-proj", has_sql=True), sql=sql, bigquery_client=bq_client)
    counts = {(r.system_id, r.game_date): (r.n, r.hits) for r in custom.aggregate(START, end).rows}
    assert counts == {k: v for k, v in python_counts(rows, START, end).items() if k[0] == "m2"}


def test_schema_guard_reads_information_schema(bq_client, bq_dataset) -> None:
    wrong = make_table(bq_client, f"{bq_dataset}.wrong", [], schema=(("game_date", "DATE"), ("system_id", "STRING"), ("is_correct", "INT64")))
    missing = make_table(bq_client, f"{bq_dataset}.missing", [], schema=(("game_date", "DATE"), ("model", "STRING"), ("is_correct", "BOOL")))
    with pytest.raises(InputError) as info:
        open_source(parse_source(f"bigquery:{wrong}"), bigquery_client=bq_client).aggregate(START, START)
    assert str(info.value) == f"bigquery:{wrong}: column 'is_correct' has type INT64, expected BOOL"
    with pytest.raises(InputError, match="column 'system_id' not found; the source has: game_date, is_correct, model"):
        open_source(parse_source(f"bigquery:{missing}"), bigquery_client=bq_client).aggregate(START, START)
    with pytest.raises(InputError, match="table not found"):
        open_source(parse_source(f"bigquery:{bq_dataset}.nope"), bigquery_client=bq_client).aggregate(START, START)


def test_graded_at_on_bigquery(bq_client, bq_dataset) -> None:
    d1, d2 = START, START + dt.timedelta(days=1)
    schema = (("game_date", "DATE"), ("system_id", "STRING"), ("is_correct", "BOOL"), ("graded_at", "TIMESTAMP"))
    rows = [(d1, "a", True, "2026-01-01T23:00:00"), (d1, "a", False, "2026-01-03T09:00:00"), (d2, "a", True, None)]
    table = make_table(bq_client, f"{bq_dataset}.graded_at", rows, schema=schema)
    aggregate = open_source(parse_source(f"bigquery:{table}"), bigquery_client=bq_client).aggregate(d1, d2, by_graded_day=True)
    assert aggregate.has_graded_at
    assert sorted((r.game_date, r.graded_on, r.n) for r in aggregate.rows) == [
        (d1, d1, 1), (d1, dt.date(2026, 1, 3), 1), (d2, None, 1),
    ]


def test_state_store_merges_and_keeps_thread_ts(bq_client, bq_dataset) -> None:
    store = BigQueryStateStore(bq_client, f"{bq_dataset}.drift_alert_state")
    changed, _ = step({}, verdict(START, "breach"))
    store.save(changed.values())
    store.set_thread_ts("breach:sys_a", "123.4")
    loaded = store.load()
    assert loaded["breach:sys_a"] == AlertRecord("breach:sys_a", "breach", "sys_a", True, START, True, START, "123.4", START)
    changed, sent = step(loaded, verdict(START + dt.timedelta(days=1)))
    assert sent[0].kind == "resolved" and sent[0].thread_ts == "123.4"
    store.save(changed.values())
    again = BigQueryStateStore(bq_client, f"{bq_dataset}.drift_alert_state").load()  # exists_ok: no new table
    assert list(again) == ["breach:sys_a"] and again["breach:sys_a"].firing is False


def test_monitoring_table_upserts_per_run_date_and_system(bq_client, bq_dataset) -> None:
    store = BigQueryHistoryStore(bq_client, f"{bq_dataset}.drift_runs")
    first = row_for(verdict(START, "breach"), window_start=START - dt.timedelta(days=30), source="bigquery:x")
    store.upsert([first, row_for(verdict(START, system="sys_b"), window_start=START, source="bigquery:x")])
    store.upsert([dataclasses.replace(first, status="ok", firing="")])
    rows = store.rows()
    assert [(r.run_date, r.system_id, r.status) for r in rows] == [(START, "sys_a", "ok"), (START, "sys_b", "ok")]
    assert rows[0].window_start == START - dt.timedelta(days=30) and rows[0].hit_rate == pytest.approx(0.5)


def test_the_daily_job_end_to_end_on_bigquery(bq_client, bq_dataset, tmp_path) -> None:
    """80 days at 70% then 20 days at 35%: the job on BigQuery breaches, records, and is idempotent."""
    drop = START + dt.timedelta(days=80)
    rows = (
        random_rows(START, 100, {"healthy": 0.65}, per_day=40)
        + random_rows(START, 80, {"sinking": 0.7}, per_day=40, seed=11)
        + random_rows(drop, 20, {"sinking": 0.35}, per_day=40, seed=12)
    )
    table = make_table(bq_client, f"{bq_dataset}.graded", rows)
    config = DriftConfig(
        source=f"bigquery:{table}",
        state_table=f"{bq_dataset}.drift_alert_state",
        history_table=f"{bq_dataset}.drift_runs",
    )
    as_of = START + dt.timedelta(days=99)
    kwargs = dict(source_text=None, table=None, as_of=as_of, dry_run=False, state_path=tmp_path / "state.sqlite", bigquery=bq_client, environ={})
    first = run_daily(config, out=io.StringIO(), **kwargs)
    assert {v.system_id: v.status for v in first.verdicts} == {"healthy": "ok", "sinking": "breach"}
    assert first.aggregate.bytes_processed == 0
    assert [s.kind for s in first.sent] == ["breach"] and first.sent[0].sent is True
    second = run_daily(config, out=io.StringIO(), **kwargs)
    assert second.notifications == [] and second.sent == []
    assert len(BigQueryHistoryStore(bq_client, f"{bq_dataset}.drift_runs").rows()) == 2
    assert BigQueryStateStore(bq_client, f"{bq_dataset}.drift_alert_state").load()["breach:sinking"].firing
    assert not (tmp_path / "state.sqlite").exists()  # state and history went to BigQuery


def test_a_dry_run_on_bigquery_creates_no_table(bq_client, bq_dataset, tmp_path) -> None:
    table = make_table(bq_client, f"{bq_dataset}.graded", random_rows(START, 40, {"a": 0.6}, per_day=30))
    config = DriftConfig(source=f"bigquery:{table}", state_table=f"{bq_dataset}.state", history_table=f"{bq_dataset}.runs")
    run = run_daily(
        config, source_text=None, table=None, as_of=START + dt.timedelta(days=39), dry_run=True,
        state_path=tmp_path / "s.sqlite", out=io.StringIO(), bigquery=bq_client, environ={},
    )
    assert [v.system_id for v in run.verdicts] == ["a"]
    assert sorted(t.table_id for t in bq_client.list_tables(bq_dataset)) == ["graded"]
    assert not tmp_path.joinpath("s.sqlite").exists()


def test_the_command_line_on_bigquery_through_the_emulator_host_variable(bq_client, bq_dataset, bigquery_emulator_server, tmp_path) -> None:
    """`predguard drift --source bigquery:...` as a scheduler runs it, the client made by the command."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    rows = random_rows(START, 30, {"a": 0.62}, per_day=30)
    table = make_table(bq_client, f"{bq_dataset}.graded", rows)
    env = {**os.environ, "BIGQUERY_EMULATOR_HOST": bigquery_emulator_server.url}
    env.pop("SLACK_BOT_TOKEN", None)
    env.pop("SLACK_WEBHOOK_URL", None)
    repo = Path(__file__).resolve().parents[2]
    argv = [sys.executable, "-m", "predguard.monitors.drift", "--source", f"bigquery:{table}", "--as-of", str(START + dt.timedelta(days=29)), "--format", "json"]
    done = subprocess.run([*argv, "--state", str(tmp_path / "s.sqlite")], cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["bytes_processed"] == 0 and result["source"] == f"bigquery:{table}"
    assert [s["system_id"] for s in result["systems"]] == ["a"]
    wrong = subprocess.run([*argv[:4], f"bigquery:{bq_dataset}.absent", *argv[5:]], cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == f"predguard drift: error: bigquery:{bq_dataset}.absent: table not found (no columns in INFORMATION_SCHEMA.COLUMNS)"
