"""The example's local warehouse: one SQLite file, rows upserted by primary key.

Kept deliberately small: the point of the example is the processor lifecycle. Writes are
keyed upserts (never DELETE+INSERT), so a re-run or a redelivery rewrites the same rows.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Sequence
from typing import Any

WAREHOUSE_ENV = "ANALYTICS_WAREHOUSE"


def path() -> str:
    return os.environ.get(WAREHOUSE_ENV) or os.path.join(tempfile.gettempdir(), "prediction-platform-analytics.sqlite3")


def upsert(table: str, key: Sequence[str], rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update `rows` in `table` by the primary key `key`; the number of rows written."""
    if not rows:
        return 0
    columns = list(rows[0])
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key) or f"{key[0]} = excluded.{key[0]}"
    with sqlite3.connect(path(), timeout=30) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)}, PRIMARY KEY ({', '.join(key)}))"
        )
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
            [tuple(row[c] for c in columns) for row in rows],
        )
    return len(rows)
