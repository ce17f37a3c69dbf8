"""The one durable outbox: dedup on write, indexed lookups, claims, dead letters, upgrades."""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from predguard.outbox import WAITING_FOR_EARLIER, Entry, Outbox


@dataclass(frozen=True)
class Result:
    ok: bool
    retryable: bool = False
    error: str | None = None
    warning: str | None = None


def test_put_is_durable_and_dedups_on_the_key_forever(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "o.sqlite3"
    with Outbox(path) as outbox:
        assert outbox._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert outbox._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL: fsync at every commit
        assert outbox.put("marker", "k1", '{"a": 1}', topic="t") is True
        assert outbox.put("marker", "k1", '{"a": 2}') is False
        assert [e.key for e, _ in outbox.deliver(lambda e: Result(ok=True))] == ["k1"]
        assert outbox.put("marker", "k1", '{"a": 3}') is False  # delivered: still a duplicate
    with Outbox(path) as reopened:
        assert reopened.state("k1") == "delivered" and reopened.depth() == 0


def test_removed_records_are_gone_and_may_be_put_again(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite3") as outbox:
        outbox.put("marker", "k1", "{}")
        outbox.remove(["k1"])
        assert outbox.depth() == 0 and outbox.state("k1") is None
        assert outbox.put("marker", "k1", "{}") is True


def test_a_quarantined_record_is_a_dead_letter_until_requeued(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite3") as outbox:
        outbox.put("marker", "bad", "{}")
        outbox.put("marker", "good", "{}")
        # The reason may quote the value the store refused (a lone surrogate): it is stored anyway.
        assert outbox.quarantine("bad", "rejected 'caf\udce9'") is True
        assert [e.key for e in outbox.waiting()] == ["good"] and outbox.depth() == 1
        (dead,) = outbox.dead_letters()
        assert (dead.key, dead.kind, dead.attempts, dead.error) == ("bad", "marker", 1, "rejected 'caf\\udce9'")
        outbox.remove(["good"])
        assert outbox.quarantine("good", "gone already") is False  # only a waiting record
        assert outbox.requeue("bad") and [e.key for e in outbox.waiting()] == ["bad"]


def test_the_topic_lookup_sees_every_waiting_record_not_a_window(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite3") as outbox:
        for i in range(1200):
            outbox.put("marker", f"k{i}", f'{{"i": {i}}}', topic=f"run-{i}")
        [found] = outbox.waiting("marker", topic="run-1199")
        assert (found.key, found.payload) == ("k1199", '{"i": 1199}')
        assert outbox.waiting("dead_letter", topic="run-1199") == []
        assert len(outbox.waiting()) == 1200 and [e.key for e in outbox.waiting(limit=2)] == ["k0", "k1"]
        plan = outbox._db.execute(
            "EXPLAIN QUERY PLAN SELECT key FROM outbox WHERE (state IN ('pending', 'sending')) AND kind = ? AND topic = ?",
            ("marker", "run-1"),
        ).fetchall()
        assert any("outbox_topic" in str(row) for row in plan), plan


def test_failures_retry_then_dead_letter_and_a_topic_keeps_its_order(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite3", max_attempts=2) as outbox:
        outbox.put("breach", "a1", "{}", topic="alert-a")
        outbox.put("resolved", "a2", "{}", topic="alert-a")
        outbox.put("breach", "b1", "{}", topic="alert-b")
        outcomes = {e.key: o for e, o in outbox.deliver(lambda e: Result(ok=e.topic == "alert-b", retryable=True, error="503"))}
        assert outcomes["a2"].error == WAITING_FOR_EARLIER and outcomes["b1"].ok
        assert outbox.state("a1") == outbox.state("a2") == "pending"
        outbox.deliver(lambda e: Result(ok=False, retryable=True, error="503"))
        [dead] = outbox.dead_letters()
        assert (dead.key, dead.kind, dead.attempts, dead.error) == ("a1", "breach", 2, "gave up after 2 attempts: 503")
        assert outbox.requeue("a1") and not outbox.requeue("a1")
        outbox.deliver(lambda e: Result(ok=False, retryable=False, error="invalid_auth"))
        assert {d.key: d.error for d in outbox.dead_letters()} == {"a1": "invalid_auth", "a2": "invalid_auth"}


def test_a_sender_that_raises_keeps_the_record(tmp_path: Path) -> None:
    def broken(entry: Entry) -> Result:
        raise RuntimeError("bug")

    with Outbox(tmp_path / "o.sqlite3") as outbox:
        outbox.put("k", "x", "{}")
        [(_, outcome)] = outbox.deliver(broken)
        assert outcome.retryable and outcome.error == "sender raised RuntimeError: bug"
        assert outbox.state("x") == "pending"


def test_threads_of_one_worker_share_the_connection(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite3") as outbox:
        def put_many(t: int) -> None:
            for i in range(100):
                outbox.put("marker", f"{t}-{i}", "{}")
                outbox.waiting(limit=5)

        threads = [threading.Thread(target=put_many, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert outbox.depth() == 400


@pytest.mark.parametrize(
    ("schema", "insert"),
    [
        (  # processors' outbox before the merge
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
            "payload TEXT NOT NULL, created_at TEXT NOT NULL)",
            "INSERT INTO outbox (key, kind, payload, created_at) VALUES ('k1', 'marker', '{}', '2026-01-30T12:00:00+00:00')",
        ),
        (  # monitors' outbox before the merge (with the Slack ts it no longer keeps)
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL, "
            "kind TEXT NOT NULL, payload TEXT NOT NULL, chart_png BLOB, state TEXT NOT NULL DEFAULT 'pending' "
            "CHECK (state IN ('pending', 'sending', 'delivered', 'dead')), attempts INTEGER NOT NULL DEFAULT 0, "
            "last_error TEXT, ts TEXT, claim TEXT, claimed_at REAL, enqueued_at TEXT NOT NULL, delivered_at TEXT)",
            "INSERT INTO outbox (key, fingerprint, kind, payload, chart_png, enqueued_at) "
            "VALUES ('k1', 'breach:sys', 'marker', '{}', x'89504e47', '2026-01-30T12:00:00+00:00')",
        ),
    ],
)
def test_a_file_from_an_earlier_layout_keeps_its_waiting_records(tmp_path: Path, schema: str, insert: str) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(schema)
        db.execute(insert)
    db.close()
    with Outbox(path) as outbox:
        [entry] = outbox.waiting()
        assert (entry.key, entry.kind, entry.payload, entry.created_at) == ("k1", "marker", "{}", "2026-01-30T12:00:00+00:00")
        assert outbox.put("marker", "k1", "{}") is False and outbox.put("marker", "k2", "{}", topic="t")
        assert [e.key for e in outbox.waiting(topic="t")] == ["k2"]
        columns = {row[1] for row in outbox._db.execute("PRAGMA table_info(outbox)")}
        assert "ts" not in columns and {"topic", "blob", "state"} <= columns
    with Outbox(path) as again:  # the upgrade happens once
        assert again.depth() == 2


def test_a_claim_within_its_lease_is_in_flight_and_its_fate_unknown_after(tmp_path: Path) -> None:

    def crash(entry: Entry) -> Result:
        raise KeyboardInterrupt  # the process dies mid-send: nothing is settled

    path = tmp_path / "o.sqlite3"
    with Outbox(path) as outbox:
        outbox.put("breach", "k", "{}")
        [fresh] = outbox.waiting()
        assert not fresh.unknown_fate
        with pytest.raises(KeyboardInterrupt):
            outbox.deliver(crash)
        [flight] = outbox.in_flight()
        assert flight.key == "k" and flight.retry_after > flight.claimed_at
        assert outbox.deliver(lambda e: Result(ok=True)) == []  # within the lease: not sent again
    seen: list[bool] = []
    with Outbox(path, lease_seconds=0) as outbox:  # the lease is over: sent again, flagged
        outbox.deliver(lambda e: seen.append(e.unknown_fate) or Result(ok=True))
        assert outbox.in_flight() == [] and outbox.state("k") == "delivered"
    assert seen == [True]
