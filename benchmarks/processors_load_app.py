"""The push service that benchmarks/processors_load.py runs under gunicorn on 127.0.0.1.

One processor whose load appends a row per run to an `effects` table, with no key: a message
that ran twice shows as two rows there (the double runs the claim must prevent). Settings come
from the environment the benchmark sets: LOAD_BENCH_DIR (store, outbox and effects files),
LOAD_BENCH_WORK_MS (the load's simulated work), LOAD_BENCH_CLAIMS ("0": the baseline without
claims), LOAD_BENCH_LEASE_S (the claim lease; short in the kill trials).
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from predguard.processors import Processor, RunContext
from predguard.processors.pubsub import PushApp, push_app

RUNTIME = Path(os.environ.get("LOAD_BENCH_DIR", "."))
WORK_SECONDS = float(os.environ.get("LOAD_BENCH_WORK_MS", "5")) / 1000


def effects_connection() -> sqlite3.Connection:
    conn = sqlite3.connect(RUNTIME / "effects.sqlite3", timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS effects (message_id TEXT, run_id TEXT, pid INTEGER)")
    return conn


class CountingProcessor(Processor):
    name = "load_bench"
    phase = 3

    def extract(self, ctx: RunContext) -> list[dict[str, Any]]:
        return [{"message_id": ctx.message_id, "row": i} for i in range(3)]

    def load(self, data: list[dict[str, Any]], ctx: RunContext) -> int:
        time.sleep(WORK_SECONDS)  # the downstream write's latency
        conn = effects_connection()
        try:
            conn.execute("INSERT INTO effects VALUES (?, ?, ?)", (ctx.message_id, ctx.run_id, os.getpid()))
        finally:
            conn.close()
        return len(data)


def create_app() -> PushApp:
    return push_app(
        [CountingProcessor()],
        store=f"sqlite:///{RUNTIME / 'runs.sqlite3'}",
        outbox=RUNTIME / "outbox.sqlite3",
        claims=os.environ.get("LOAD_BENCH_CLAIMS", "1") != "0",
        lease_seconds=float(os.environ.get("LOAD_BENCH_LEASE_S", "600")),
    )


app = create_app()
