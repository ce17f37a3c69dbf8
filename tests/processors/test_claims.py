"""Claims (leases) on (processor, target date, message id): one holder at a time, in both stores
and across the processes of one host; an expired lease can be taken over."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from predguard.processors.claims import ClaimKey, SqliteClaims
from predguard.processors.stores import Store

KEY = ClaimKey("player_game_summary", date(2026, 1, 30), "m-1")


def test_one_holder_at_a_time_and_release_frees_it(any_store: Store) -> None:
    assert any_store.claim(KEY, "worker-a") is True
    assert any_store.claim(KEY, "worker-b") is False  # held: the duplicate must not run
    assert any_store.claim(KEY, "worker-a") is True  # the holder asking again still holds it
    assert any_store.claim(ClaimKey(KEY.processor, date(2026, 1, 31), KEY.message_id), "worker-b") is True  # other date
    assert any_store.claim(ClaimKey("other", KEY.target_date, KEY.message_id), "worker-b") is True  # other processor
    any_store.release(KEY, "worker-b")  # not the holder: changes nothing
    assert any_store.claim_holder(KEY) == "worker-a"
    any_store.release(KEY, "worker-a")
    assert any_store.claim_holder(KEY) is None
    assert any_store.claim(KEY, "worker-b") is True


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_release_it(any_store: Store) -> None:
    any_store.claim(KEY, "crashed-worker", lease_seconds=0)  # a holder whose lease has run out (no sleeping)
    assert any_store.claim_holder(KEY) is None
    assert any_store.claim(KEY, "worker-b") is True  # takes the expired row over
    any_store.release(KEY, "crashed-worker")  # a late release by the old holder
    assert any_store.claim_holder(KEY) == "worker-b"
    assert any_store.claim(KEY, "crashed-worker") is False


_RACER = """
import sys, time
from datetime import date
from pathlib import Path
from predguard.processors.claims import ClaimKey, SqliteClaims
path, me, start, keys = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
claims = SqliteClaims(path)
time.sleep(max(0.0, start - time.time()))
for i in range(keys):
    if claims.claim(ClaimKey("p", date(2026, 1, 30), f"m-{i}"), me):
        print(i, flush=True)
"""


def test_processes_racing_for_the_same_messages_get_one_winner_each(tmp_path: Path) -> None:
    path, keys, racers = tmp_path / "runs.sqlite3", 40, 6
    SqliteClaims(path).holder(KEY)  # create the file and table before the race
    start = time.time() + 1.5  # every racer imported and connected by then
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(path), f"racer-{n}", str(start), str(keys)],
                              stdout=subprocess.PIPE, text=True) for n in range(racers)]
    won = [int(line) for proc in procs for line in proc.communicate(timeout=60)[0].split()]
    assert all(proc.returncode == 0 for proc in procs)
    assert sorted(won) == list(range(keys))  # every message claimed exactly once, by one of them


class _LosingRaceClient:
    """The cloud's side only: BigQuery answering the claim's MERGE as it does when another
    mutating DML on the table won the race."""

    def create_table(self, table: object, exists_ok: bool = False) -> None:
        pass

    def query(self, sql: str, job_config: object = None) -> object:
        from google.api_core.exceptions import BadRequest

        if sql.startswith("MERGE"):
            raise BadRequest("Could not serialize access to table test-proj:ds.claims due to concurrent update")
        raise AssertionError(f"unexpected query: {sql[:60]}")


def test_a_bigquery_claim_that_loses_a_concurrent_merge_reads_as_held_not_as_store_down() -> None:
    from predguard.processors.stores.bigquery import BigQueryStore

    store = BigQueryStore(_LosingRaceClient(), "test-proj.ds")  # type: ignore[arg-type]
    assert store.claim(KEY, "worker-b") is False  # held elsewhere: wait or 503, never the local fallback
