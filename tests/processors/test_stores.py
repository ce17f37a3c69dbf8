"""One contract, two backends: the embedded SQLite file and BigQuery (against the local emulator)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from predguard.errors import InputError
from predguard.processors.markers import DeadLetter, RunMarker
from predguard.processors.stores import Store, open_store
from predguard.processors.stores.sqlite import SqliteStore

T0 = datetime(2026, 1, 30, 17, 0, tzinfo=timezone.utc)


def marker(run_id: str, processor: str = "a", day: date = date(2026, 1, 30), outcome: str = "success", minutes: int = 0, **kw) -> RunMarker:
    return RunMarker(run_id=run_id, processor=processor, target_date=day, mode="same_day", outcome=outcome,
                     reason=kw.pop("reason", "loaded 1 rows"), phase=kw.pop("phase", 3),
                     recorded_at=T0 + timedelta(minutes=minutes), **kw)


def test_markers_round_trip_and_dedup_on_write(any_store: Store) -> None:
    first = marker("r1", minutes=1, message_id="m-1", attempt=2, expected_skip=True, outcome="skipped",
                   reason="no_data_same_day", duration_seconds=0.25, revision="rev-7", rows_extracted=0, error=None)
    second = marker("r2", processor="b", minutes=2, outcome="failed_permanent", error="NoDataError: no data")
    other_day = marker("r3", day=date(2026, 1, 29), minutes=3)
    any_store.append_markers([first, second, other_day])
    any_store.append_markers([first, second])  # delivered again (an outbox retry): kept once
    assert any_store.markers(target_date=date(2026, 1, 30)) == [first, second]
    assert any_store.markers(target_date=date(2026, 1, 30), processor="b") == [second]
    assert [m.run_id for m in any_store.markers()] == ["r1", "r2", "r3"]
    assert any_store.processors_in_phase(3) == ["a", "b"]
    assert any_store.processors_in_phase(4) == []


def test_dead_letters_round_trip_and_dedup_on_write(any_store: Store) -> None:
    letter = DeadLetter(key="msg:m-9", reason="malformed_envelope", error="'message.data' is not valid base64",
                        raw_payload='{"message": {"data": "%%%"}}', message_id="m-9", subscription="projects/p/subscriptions/s",
                        delivery_attempt=4, received_at=T0)
    bare = DeadLetter(key="sha256:def", reason="malformed_envelope", error="push body is not JSON", raw_payload="not json",
                      received_at=T0 + timedelta(seconds=1))
    any_store.append_dead_letters([letter, bare])
    any_store.append_dead_letters([letter])
    assert any_store.dead_letters() == [letter, bare]


def test_open_store_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert open_store("sqlite:///rel/runs.db").path == Path("rel/runs.db")  # type: ignore[attr-defined]
    assert open_store(f"sqlite:///{tmp_path}/abs.db").path == tmp_path / "abs.db"  # type: ignore[attr-defined]
    assert open_store(str(tmp_path / "plain.db")).path == tmp_path / "plain.db"  # type: ignore[attr-defined]
    monkeypatch.setenv("PREDGUARD_STORE", "sqlite:///from-env.db")
    assert open_store().path == Path("from-env.db")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="unknown store 'redis://x'"):
        open_store("redis://x")
    with pytest.raises(InputError, match="bigquery://PROJECT/DATASET"):
        open_store("bigquery://only-a-project")
    with pytest.raises(InputError, match="needs a file path"):
        open_store("sqlite://")


def test_an_sqlite_store_whose_directory_is_missing_is_down_until_it_appears(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "not-yet" / "runs.sqlite3")
    with pytest.raises(Exception, match="unable to open database file"):
        store.append_markers([marker("r1")])
    (tmp_path / "not-yet").mkdir()
    store.append_markers([marker("r1")])
    assert [m.run_id for m in store.markers()] == ["r1"]


def test_more_markers_than_one_write_batch(any_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from predguard import bigquery as bigquery_core

    monkeypatch.setattr(bigquery_core, "MERGE_BATCH", 3)  # the real batch is 100: same code path, fewer rows
    many = [marker(f"r{i:04d}", minutes=i) for i in range(8)]
    any_store.append_markers(many + many[:3])
    assert [m.run_id for m in any_store.markers()] == [m.run_id for m in many]
