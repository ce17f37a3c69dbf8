"""Nothing lost: records wait in the durable outbox while the store is down, and arrive exactly once."""
from __future__ import annotations

import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from predguard.processors.markers import KIND_MARKER, MarkerRecorder, RunMarker, run_topic
from predguard.outbox import Outbox
from predguard.processors.pubsub import push_app
from predguard.processors.stores.sqlite import SqliteStore
from tests.processors.conftest import GAME_DAY, NOON_ET, ListProcessor

REPO = Path(__file__).resolve().parents[2]


def test_outbox_is_wal_with_full_sync_and_dedups_by_key(outbox: Outbox) -> None:
    conn = outbox._db
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync at every commit
    assert outbox.put("marker", "k1", '{"a": 1}') is True
    assert outbox.put("marker", "k1", '{"a": 1}') is False
    assert outbox.depth() == 1
    outbox.remove(["k1"])
    assert outbox.depth() == 0


def test_store_down_keeps_records_then_delivers_them_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "down" / "runs.sqlite3")  # its directory does not exist: down
    recorder = MarkerRecorder(store, Outbox(tmp_path / "outbox.sqlite3"))
    processor = ListProcessor([{"x": 1}], recorder=recorder)
    results = [processor.run(GAME_DAY, now=NOON_ET, message_id=f"m-{i}") for i in range(3)]
    assert recorder.outbox.depth() == 3
    assert recorder.store_errors == 3

    (tmp_path / "down").mkdir()  # the store comes back
    assert recorder.flush() == 3
    assert recorder.flush() == 0
    assert [m.run_id for m in store.markers()] == [r.run_id for r in results]
    assert recorder.outbox.depth() == 0


def test_a_crash_between_store_write_and_outbox_delete_does_not_duplicate(recorder: MarkerRecorder) -> None:
    result = ListProcessor([{"x": 1}]).run(GAME_DAY, now=NOON_ET)
    marker = RunMarker.from_result(result)
    # The state a crash leaves: the store has the record, the outbox still holds it.
    recorder.outbox.put(KIND_MARKER, marker.key, json.dumps(marker.to_row(), default=str))
    recorder.store.append_markers([marker])
    assert recorder.flush() == 1
    assert [m.run_id for m in recorder.store.markers()] == [marker.run_id]


def test_a_redelivery_is_recognised_however_many_records_wait_before_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "down" / "runs.sqlite3")  # down: every record waits in the outbox
    recorder = MarkerRecorder(store, Outbox(tmp_path / "outbox.sqlite3"))
    earlier = RunMarker.from_result(ListProcessor([{"x": 1}], name="other").run(GAME_DAY, now=NOON_ET, message_id="m-0"))
    for i in range(700):  # other runs, recorded earlier and still waiting
        other = dataclasses.replace(earlier, run_id=f"other-{i}", message_id=f"m-{i}")
        recorder.outbox.put(KIND_MARKER, other.key, json.dumps(other.to_row(), default=str),
                            topic=run_topic(other.processor, other.target_date, other.message_id))
    result = ListProcessor([{"x": 1}], recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id="m-late")
    marker = RunMarker.from_result(result)
    assert recorder.outbox.depth() == 701
    found = recorder.completed_run(marker.processor, marker.target_date, "m-late")
    assert found is not None and found.run_id == result.run_id
    assert recorder.completed_run(marker.processor, marker.target_date, "m-never") is None


def _start_child(store_file: Path, outbox_file: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.processors.outbox_child", str(store_file), str(outbox_file)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def _read_run_ids(child: subprocess.Popen[str], wanted: int, timeout: float = 30.0) -> list[str]:
    assert child.stdout is not None
    run_ids: list[str] = []
    deadline = time.monotonic() + timeout
    while len(run_ids) < wanted:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the child printed only {len(run_ids)} run ids in {timeout} s"
        ready, _, _ = select.select([child.stdout], [], [], remaining)
        if ready:
            line = child.stdout.readline()
            assert line, f"the child exited early with {child.poll()}"
            run_ids.append(line.strip())
    return run_ids


@pytest.mark.parametrize("store_up", [False, True], ids=["store-down", "store-up"])
def test_records_of_a_sigkilled_process_are_delivered_after_restart_none_twice(tmp_path: Path, store_up: bool) -> None:
    store_dir = tmp_path / "store"
    if store_up:
        store_dir.mkdir()
    store_file, outbox_file = store_dir / "runs.sqlite3", tmp_path / "outbox.sqlite3"
    child = _start_child(store_file, outbox_file)
    try:
        printed = _read_run_ids(child, wanted=15)
    finally:
        child.send_signal(signal.SIGKILL)  # mid-run: no clean-up, no flush
        child.wait(timeout=10)
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    store_dir.mkdir(exist_ok=True)
    store = SqliteStore(store_file)
    # The restart: building the push app delivers what the killed process left behind.
    app = push_app([ListProcessor([])], store=store, outbox=outbox_file, breaker=None)
    stored = [m.run_id for m in store.markers()]
    assert len(stored) == len(set(stored)), "a record was delivered twice"
    assert set(printed) <= set(stored), "a recorded run was lost"
    # The kill can land after a record is made durable and before its id is printed: at most one more.
    assert len(stored) - len(printed) in (0, 1)
    assert app.recorder.outbox.depth() == 0

    # Another restart delivers nothing again.
    push_app([ListProcessor([])], store=store, outbox=outbox_file, breaker=None)
    assert [m.run_id for m in store.markers()] == stored


# -- one bad record is set aside; the store being down is still an outage (real SQLite files) ----------

# A processor failing on a file whose name is not UTF-8 (os.listdir gives it surrogate escapes):
# its marker's error text cannot be encoded for the store, on every attempt.
NOT_UTF8 = ValueError("cannot parse /data/caf\udce9.csv")


def test_a_record_the_store_rejects_is_a_dead_letter_and_the_others_still_flow(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "runs.sqlite3")
    recorder = MarkerRecorder(store, Outbox(tmp_path / "outbox.sqlite3"))
    before = ListProcessor([{"x": 1}], recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id="m-1")
    bad = ListProcessor(extract_error=NOT_UTF8, recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id="m-2")
    after = ListProcessor([{"x": 1}], recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id="m-3")

    assert {m.run_id for m in store.markers()} == {before.run_id, after.run_id}
    assert recorder.outbox.depth() == 0 and recorder.store_errors == 0  # not an outage
    (dead,) = recorder.outbox.dead_letters()
    assert dead.key == bad.run_id and "surrogates not allowed" in dead.error and dead.kind == KIND_MARKER
    assert recorder.outbox.requeue(bad.run_id)  # kept: a fixed store (or a fixed record) can take it later


def test_a_bad_record_in_a_batch_does_not_hold_the_batch(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "down" / "runs.sqlite3")  # down: the records pile up in one batch
    recorder = MarkerRecorder(store, Outbox(tmp_path / "outbox.sqlite3"))
    runs = [ListProcessor([{"x": 1}], recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id=f"m-{i}") for i in range(3)]
    bad = ListProcessor(extract_error=NOT_UTF8, recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id="m-bad")
    runs += [ListProcessor([{"x": 1}], recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id=f"m-{i}") for i in range(3, 5)]
    # The store being down is an outage, bad record or not: everything waits, nothing is set aside.
    assert recorder.outbox.depth() == 6 and recorder.outbox.dead_letters() == [] and recorder.store_errors == 6

    (tmp_path / "down").mkdir()  # the store comes back
    assert recorder.flush() == 5
    assert {m.run_id for m in store.markers()} == {r.run_id for r in runs}
    assert [d.key for d in recorder.outbox.dead_letters()] == [bad.run_id] and recorder.outbox.depth() == 0


def test_an_unreadable_record_is_a_dead_letter_not_a_crash(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "runs.sqlite3")
    recorder = MarkerRecorder(store, Outbox(tmp_path / "outbox.sqlite3"))
    topic = run_topic(ListProcessor.name, GAME_DAY, "m-1")
    recorder.outbox.put(KIND_MARKER, "torn", '{"run_id": "torn", "processor"', topic=topic)  # not JSON
    recorder.outbox.put(KIND_MARKER, "old", json.dumps({"run_id": "old"}), topic=topic)  # not a whole marker
    recorder.outbox.put("unknown_kind", "odd", "{}")
    assert recorder.completed_run(ListProcessor.name, GAME_DAY, "m-1") is None  # unreadable is no run, and no crash

    good = ListProcessor([{"x": 1}], recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id="m-1")
    assert [m.run_id for m in store.markers()] == [good.run_id]
    dead = {d.key: d.error for d in recorder.outbox.dead_letters()}
    assert set(dead) == {"torn", "old", "odd"} and recorder.outbox.depth() == 0 and recorder.store_errors == 0
    assert dead["torn"].startswith("unreadable marker record: JSONDecodeError")
    assert "unknown record kind 'unknown_kind'" in dead["odd"]
