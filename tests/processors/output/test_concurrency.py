"""Threads sharing one DuckDB backend: each publish has its own transaction. Disjoint keys all
land; publishes racing on the same keys never duplicate or half-write — a loser raises the
database's conflict error (a retryable fault) and its retry is an ordinary idempotent upsert."""
from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from predguard.processors.output import DuckDBBackend, PublishReport, conform, publish
from tests.processors.output.conftest import PREDICTIONS, prediction


def _race(backend: DuckDBBackend, batches: list[list[dict]]) -> tuple[list[PublishReport], list[Exception]]:
    reports: list[PublishReport] = []
    errors: list[Exception] = []

    def work(k: int) -> None:
        try:
            reports.append(publish(conform(batches[k], PREDICTIONS), backend, run_id=f"run-{k}"))
        except duckdb.Error as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return reports, errors


def _count(backend: DuckDBBackend) -> tuple[int, int]:
    return backend.connection.execute(
        "SELECT COUNT(*), COUNT(DISTINCT (game_date, player_id)) FROM player_predictions").fetchone()


def test_concurrent_publishes_of_disjoint_keys_all_land(tmp_path: Path) -> None:
    backend = DuckDBBackend.open(tmp_path / "out.duckdb")
    publish(conform([], PREDICTIONS), backend, run_id="create")
    reports, errors = _race(backend, [[prediction(f"t{k}-{i}", 1.0) for i in range(300)] for k in range(4)])
    assert errors == [] and sorted(r.inserted for r in reports) == [300] * 4
    assert _count(backend) == (1200, 1200)
    backend.close()


def test_racing_on_the_same_keys_never_duplicates_and_a_retry_converges(tmp_path: Path) -> None:
    backend = DuckDBBackend.open(tmp_path / "out.duckdb")
    publish(conform([], PREDICTIONS), backend, run_id="create")
    batches = [[prediction(f"p{i}", float(k)) for i in range(300)] for k in range(4)]
    reports, errors = _race(backend, batches)
    assert len(reports) + len(errors) == 4 and reports
    assert _count(backend) == (300, 300)
    final = publish(conform(batches[3], PREDICTIONS), backend, run_id="retry")  # a loser's retry
    assert final.inserted == 0 and final.updated + final.unchanged == 300
    assert backend.connection.execute(
        "SELECT DISTINCT predicted_points FROM player_predictions").fetchall() == [(3.0,)]
    backend.close()
