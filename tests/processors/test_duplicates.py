"""Copies of one message that arrive together (Pub/Sub redelivers after an ack deadline, or
delivers twice): at most one runs, the others are answered as duplicates or told to retry."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from predguard.processors import RunContext
from predguard.processors.claims import ClaimKey
from predguard.outbox import Outbox
from predguard.processors.pubsub import PushApp, push_app
from predguard.processors.stores import Store
from predguard.processors.stores.sqlite import SqliteStore
from tests.processors.conftest import GAME_DAY, NOON_ET, ListProcessor, http, push_body

ROWS = [{"game_id": "g1"}]


class SlowProcessor(ListProcessor):
    """Loads slowly, and counts every load per message: a second load of one message is a double run."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        super().__init__(ROWS, name="slow", **kwargs)
        self.seconds = seconds
        self.loads: dict[str, int] = {}
        self._lock = threading.Lock()

    def load(self, data: list[dict[str, Any]], ctx: RunContext) -> int:
        time.sleep(self.seconds)
        if self.load_error is not None:
            raise self.load_error
        with self._lock:
            self.loads[str(ctx.message_id)] = self.loads.get(str(ctx.message_id), 0) + 1
        return len(data)


def make_app(tmp_path: Path, processor: ListProcessor, store: SqliteStore | None = None, **kwargs: Any) -> PushApp:
    return push_app([processor], store=store or SqliteStore(tmp_path / "runs.sqlite3"),
                    outbox=Outbox(tmp_path / "outbox.sqlite3"), now=lambda: NOON_ET, **kwargs)


def body(message_id: str, attempt: int = 1) -> bytes:
    return push_body({"processor": "slow", "target_date": GAME_DAY.isoformat()}, message_id=message_id, attempt=attempt)


def send_together(url: str, raws: list[bytes]) -> list[tuple[int, dict[str, Any]]]:
    with ThreadPoolExecutor(len(raws)) as pool:
        return list(pool.map(lambda raw: http("POST", url, raw), raws))


def test_copies_arriving_together_run_once_and_the_others_are_duplicates(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    processor = SlowProcessor(0.2)
    app = make_app(tmp_path, processor)
    url = serve(app)
    raws = [body(f"m-{i}", attempt) for i in range(8) for attempt in (1, 2, 3)]  # three copies of each, all at once
    answers = send_together(url, raws)
    assert processor.loads == {f"m-{i}": 1 for i in range(8)}  # before the claim: most ran two or three times
    assert all(code == 200 for code, _ in answers)
    statuses = sorted(b["status"] for _, b in answers)
    assert statuses == ["acknowledged"] * 8 + ["duplicate"] * 16
    markers = app.recorder.store.markers()
    assert sorted(m.message_id or "" for m in markers) == [f"m-{i}" for i in range(8)]  # one marker each


def test_a_copy_that_waits_too_long_gets_503_and_its_redelivery_is_a_duplicate(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    processor = SlowProcessor(1.0)
    app = make_app(tmp_path, processor, claim_wait=0.1)
    url = serve(app)
    (first, copy) = send_together(url, [body("m-1"), body("m-1", 2)])
    answers = sorted([first, copy], key=lambda a: a[0])
    assert (answers[0][0], answers[0][1]["status"]) == (200, "acknowledged")
    assert (answers[1][0], answers[1][1]["status"], answers[1][1]["reason"]) == (503, "retry", "in_progress")
    code, again = http("POST", url, body("m-1", 3))  # Pub/Sub redelivers the 503 later
    assert (code, again["status"], again["run_id"]) == (200, "duplicate", answers[0][1]["run_id"])
    assert processor.loads == {"m-1": 1}
    assert app.stats()["counters"]["in_progress"] == 1


def test_a_transient_failure_releases_the_claim_so_the_redelivery_runs(tmp_path: Path) -> None:
    processor = SlowProcessor(0.0, load_error=TimeoutError("warehouse slow"))
    app = make_app(tmp_path, processor, claim_wait=0.0)
    assert app.handle(body("m-1"))[0] == 503
    assert app.recorder.store.claim_holder(ClaimKey("slow", GAME_DAY, "m-1")) is None
    processor.load_error = None
    status, answer = app.handle(body("m-1", 2))
    assert (status, answer["outcome"]) == (200, "success")


def test_a_claim_left_by_a_crashed_worker_blocks_only_until_its_lease_ends(tmp_path: Path) -> None:
    processor = SlowProcessor(0.0)
    store = SqliteStore(tmp_path / "runs.sqlite3")
    key = ClaimKey("slow", GAME_DAY, "m-1")
    store.claim(key, "a-worker-that-was-killed", lease_seconds=60)
    app = make_app(tmp_path, processor, store=store, claim_wait=0.0)
    status, answer = app.handle(body("m-1"))
    assert (status, answer["reason"]) == (503, "in_progress")
    store.claim(key, "a-worker-that-was-killed", lease_seconds=0)  # time passes: its lease runs out
    status, answer = app.handle(body("m-1", 2))
    assert (status, answer["outcome"]) == (200, "success")
    assert processor.loads == {"m-1": 1}


def test_with_the_store_down_copies_still_run_once_under_the_host_local_claim(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    processor = SlowProcessor(0.2)
    app = make_app(tmp_path, processor, store=SqliteStore(tmp_path / "missing-dir" / "runs.sqlite3"))
    url = serve(app)
    answers = send_together(url, [body(f"m-{i}", a) for i in range(4) for a in (1, 2)])
    assert processor.loads == {f"m-{i}": 1 for i in range(4)}
    assert sorted(b["status"] for _, b in answers) == ["acknowledged"] * 4 + ["duplicate"] * 4
    assert app.recorder.outbox.depth() == 4  # the markers wait for the store
    assert app.stats()["counters"]["claims_in_local_fallback"] >= 4


@pytest.mark.slow
def test_copies_arriving_together_run_once_in_either_store(tmp_path: Path, any_store: Store) -> None:
    # BigQuery: the claim's MERGE and read-back on the emulator (which serialises requests, so
    # this checks the protocol, not BigQuery's concurrency control; see the README). Threads
    # call the app directly: the emulator is slower than an HTTP client's patience.
    processor = SlowProcessor(0.3)
    app = push_app([processor], store=any_store, outbox=Outbox(tmp_path / "outbox.sqlite3"), now=lambda: NOON_ET, claim_wait=60)
    any_store.claim_holder(ClaimKey("slow", GAME_DAY, "warm-up"))  # tables created before the race
    raws = [body(f"m-{i}", attempt) for i in range(2) for attempt in (1, 2)]
    with ThreadPoolExecutor(len(raws)) as pool:
        answers = list(pool.map(app.handle, raws))
    assert processor.loads == {"m-0": 1, "m-1": 1}
    assert sorted(b["status"] for _, b in answers) == ["acknowledged", "acknowledged", "duplicate", "duplicate"]
    assert any_store.claim_holder(ClaimKey("slow", GAME_DAY, "m-0")) is None  # released after the marker
    assert "claims_in_local_fallback" not in app.stats()["counters"]  # the store's claim did the work


def test_with_600_records_waiting_in_the_outbox_no_redelivery_runs_again(tmp_path: Path) -> None:
    # The store is down: every marker waits in the outbox. The duplicate check once looked at
    # the first 500 waiting records only, so redeliveries of the 500th message and later ran again.
    processor = SlowProcessor(0.0)
    app = make_app(tmp_path, processor, store=SqliteStore(tmp_path / "missing-dir" / "runs.sqlite3"))
    for i in range(600):
        assert app.handle(body(f"m-{i}"))[0] == 200
    assert app.recorder.outbox.depth() == 600
    for i in (0, 499, 500, 550, 599):
        status, answer = app.handle(body(f"m-{i}", 2))
        assert (status, answer["status"]) == (200, "duplicate"), i
    assert processor.loads == {f"m-{i}": 1 for i in range(600)}
