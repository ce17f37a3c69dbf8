"""The emulator fixture itself: the real client creates, loads and queries with parameters."""
from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.bigquery


def test_real_client_round_trip_with_date_parameters(bq_client, bq_dataset):
    from google.cloud import bigquery

    table = bigquery.Table(f"{bq_dataset}.graded", schema=[
        bigquery.SchemaField("game_date", "DATE"),
        bigquery.SchemaField("is_correct", "BOOL"),
    ])
    table.time_partitioning = bigquery.TimePartitioning(field="game_date")
    bq_client.create_table(table)
    assert bq_client.insert_rows_json(table, [
        {"game_date": "2026-01-01", "is_correct": True},
        {"game_date": "2026-01-01", "is_correct": False},
        {"game_date": "2026-01-09", "is_correct": True},
    ]) == []
    job = bq_client.query(
        f"SELECT game_date, COUNTIF(is_correct) AS hits, COUNT(is_correct) AS n FROM `{bq_dataset}.graded` "
        "WHERE game_date BETWEEN @start AND @end GROUP BY game_date",
        job_config=bigquery.QueryJobConfig(query_parameters=[
            bigquery.ScalarQueryParameter("start", "DATE", dt.date(2026, 1, 1)),
            bigquery.ScalarQueryParameter("end", "DATE", dt.date(2026, 1, 5)),
        ]),
    )
    assert [(r.game_date, r.hits, r.n) for r in job.result()] == [(dt.date(2026, 1, 1), 1, 2)]


def test_datasets_are_isolated(bq_client, bq_dataset):
    assert list(bq_client.list_tables(bq_dataset)) == []
