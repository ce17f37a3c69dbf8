"""The Alertmanager-like alert state: notify on change, remind, resolve, never repeat."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from predguard.monitors.state import AlertRecord, SqliteStateStore, fingerprint, step
from tests.monitors.drift_helpers import verdict

D = dt.date(2026, 1, 10)


def day(offset: int) -> dt.date:
    return D + dt.timedelta(days=offset)


def run(days: list[tuple[int, tuple[str, ...]]], repeat_days: int = 7, **kwargs) -> list[tuple[int, str, str]]:
    """Feed one verdict a day through `step`; return (day offset, fingerprint, kind) sent."""
    records: dict[str, AlertRecord] = {}
    sent = []
    for offset, firing in days:
        changed, notifications = step(records, verdict(day(offset), *firing, **kwargs), repeat_days=repeat_days)  # type: ignore[arg-type]
        records.update(changed)
        sent += [(offset, n.fingerprint, n.kind) for n in notifications]
    return sent


def test_a_breach_is_announced_once_reminded_weekly_and_resolved() -> None:
    days = [(0, ())] + [(i, ("breach",)) for i in range(1, 17)] + [(17, ()), (18, ())]
    assert run(days) == [
        (1, "breach:sys_a", "breach"),
        (8, "breach:sys_a", "reminder"),
        (15, "breach:sys_a", "reminder"),
        (17, "breach:sys_a", "resolved"),
    ]


def test_repeat_days_is_configurable() -> None:
    days = [(i, ("breach",)) for i in range(0, 7)]
    assert [k for _, _, k in run(days, repeat_days=3)] == ["breach", "reminder", "reminder"]


def test_re_running_the_same_day_sends_nothing_the_second_time() -> None:
    records: dict[str, AlertRecord] = {}
    changed, first = step(records, verdict(D, "breach"))
    records.update(changed)
    changed_again, second = step(records, verdict(D, "breach"))
    assert [n.kind for n in first] == ["breach"]
    assert second == [] and changed_again == {}


def test_an_earlier_day_never_rewinds_the_state() -> None:
    records: dict[str, AlertRecord] = {}
    changed, _ = step(records, verdict(day(5), "breach"))
    records.update(changed)
    changed, sent = step(records, verdict(day(2)))
    assert sent == [] and changed == {}


def test_no_data_is_not_a_recovery_and_never_an_alert() -> None:
    days = [(0, ("breach",))]
    records: dict[str, AlertRecord] = {}
    for offset, firing in days:
        changed, _ = step(records, verdict(day(offset), *firing))  # type: ignore[arg-type]
        records.update(changed)
    for offset in range(1, 12):  # eleven days without data: no resolved, no reminder
        changed, sent = step(records, verdict(day(offset), status="insufficient_data", rate=None))
        records.update(changed)
        assert sent == []
    assert records["breach:sys_a"].firing
    # and no data on a fresh system creates no alert at all
    assert step({}, verdict(D, status="insufficient_data", rate=None)) == ({}, [])


def test_a_breach_inhibits_the_drift_warning_of_the_same_system() -> None:
    days = [(0, ("drift_warning", "breach")), (1, ("drift_warning", "breach")), (2, ("drift_warning",)), (9, ("drift_warning",)), (10, ())]
    assert run(days) == [
        (0, "breach:sys_a", "breach"),
        (2, "breach:sys_a", "resolved"),
        (2, "drift_warning:sys_a", "drift_warning"),  # it outlived the breach: now it is news
        (9, "drift_warning:sys_a", "reminder"),
        (10, "drift_warning:sys_a", "resolved"),
    ]


def test_a_warning_that_becomes_a_breach_is_not_reminded_nor_resolved_meanwhile() -> None:
    days = [(0, ("drift_warning",))] + [(i, ("drift_warning", "breach")) for i in range(1, 10)] + [(10, ("breach",)), (11, ())]
    assert run(days) == [
        (0, "drift_warning:sys_a", "drift_warning"),
        (1, "breach:sys_a", "breach"),
        (8, "breach:sys_a", "reminder"),
        (11, "breach:sys_a", "resolved"),  # the warning ended on day 10, quietly, under the breach
    ]


def test_an_inhibited_warning_that_ends_with_the_breach_sends_no_resolved() -> None:
    days = [(0, ("drift_warning", "breach")), (1, ())]
    assert run(days) == [(0, "breach:sys_a", "breach"), (1, "breach:sys_a", "resolved")]


def test_reminders_and_resolved_carry_the_alerts_thread_and_keys_are_stable() -> None:
    records: dict[str, AlertRecord] = {}
    changed, sent = step(records, verdict(D, "breach"))
    records.update(changed)
    fp = fingerprint("breach", "sys_a")
    records[fp] = AlertRecord(**{**records[fp].__dict__, "thread_ts": "1700000000.000100"})
    _, sent = step(records, verdict(day(1)))
    assert sent[0].kind == "resolved"
    assert sent[0].thread_ts == "1700000000.000100"
    assert sent[0].key == f"breach:sys_a:resolved:{day(1).isoformat()}"


def test_sqlite_store_round_trips_and_keeps_the_first_thread_ts(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.sqlite"
    store = SqliteStateStore(path)
    changed, _ = step({}, verdict(D, "breach"))
    store.save(changed.values())
    store.set_thread_ts("breach:sys_a", "111.1")
    store.set_thread_ts("breach:sys_a", "222.2")  # a later delivery does not move the thread
    store.close()
    reopened = SqliteStateStore(path)
    loaded = reopened.load()
    assert loaded["breach:sys_a"] == AlertRecord("breach:sys_a", "breach", "sys_a", True, D, True, D, "111.1", D)
    changed, sent = step(loaded, verdict(day(1)))
    assert sent[0].thread_ts == "111.1"
    reopened.save(changed.values())
    assert reopened.load()["breach:sys_a"].firing is False
