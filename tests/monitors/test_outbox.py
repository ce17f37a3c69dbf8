"""The durable outbox, delivering through the real slack-sdk to a local server that answers like
Slack: nothing lost while Slack is down, every key sent exactly once."""
from __future__ import annotations

import dataclasses
import io
import socket
import sqlite3
import threading
from pathlib import Path

import pytest

from predguard.monitors.alerting import Delivery, SlackNotifier, TerminalNotifier
from predguard.monitors.model import Notification
from predguard.monitors.outbox import NotificationOutbox as Outbox
from predguard.monitors.state import AlertRecord, SqliteStateStore
from predguard.monitors.serialize import notification_from_json, notification_to_json
from tests.support.alert_samples import sample_notification
from tests.support.slack_server import TOKEN, Reply, SlackServer

POST = "/api/chat.postMessage"


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.time.sleep", recorded.append)
    return recorded


def slack(api_url: str, token: str = TOKEN) -> SlackNotifier:
    return SlackNotifier(token=token, channel="#model-alerts", base_url=api_url, max_retries=1)


def down_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api/"


def posted_kinds(server: SlackServer) -> list[str]:
    return [m["blocks"][0]["text"]["text"] for m in server.posted_messages()]


def test_notification_round_trips_through_json() -> None:
    n = sample_notification("resolved", thread_ts="1767225000.000042", chart_png=b"\x89PNG...")
    text = notification_to_json(n)
    assert b"\x89PNG" not in text.encode()  # the chart lives in its own column, not in the JSON
    assert notification_from_json(text, n.chart_png) == n
    assert notification_from_json(text) == dataclasses.replace(n, chart_png=None)


def test_enqueue_dedups_on_the_key_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state" / "outbox.sqlite"
    n = sample_notification()
    with Outbox(path) as outbox:
        assert outbox.enqueue(n) is True
        assert outbox.enqueue(n) is False
        assert outbox.enqueue(dataclasses.replace(n, thread_ts="1.2")) is False  # same key, same alert
        assert outbox.depth() == 1
    with Outbox(path) as reopened:
        assert reopened.depth() == 1 and reopened.state(n.key) == "pending"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_the_connection_asks_for_full_sync(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite") as outbox:
        assert outbox._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_delivers_exactly_once_after_slack_was_down(tmp_path: Path, slack_server: SlackServer) -> None:
    path = tmp_path / "outbox.sqlite"
    breach = sample_notification("breach")

    # Run 1: Slack is down. The alert is kept, not lost.
    with Outbox(path) as outbox:
        assert outbox.enqueue(breach)
        [(key, delivery)] = outbox.deliver_pending(slack(down_url()))
        assert key == breach.key and not delivery.ok and delivery.retryable
        assert outbox.depth() == 1

    # Run 2: Slack is back. Delivered once, with its chart in the thread.
    with Outbox(path) as outbox:
        [(key, delivery)] = outbox.deliver_pending(slack(slack_server.api_url))
        assert delivery.ok and delivery.ts is not None
        assert outbox.depth() == 0 and outbox.state(key) == "delivered"
    assert len(slack_server.posted_messages()) == 1 and len(slack_server.uploads) == 1

    # Run 3, and the same alert enqueued again by a re-run of the same day: nothing re-sent.
    with Outbox(path) as outbox:
        assert outbox.enqueue(breach) is False
        assert outbox.deliver_pending(slack(slack_server.api_url)) == []
    assert len(slack_server.calls(POST)) == 1


def test_two_outboxes_on_one_file_never_send_a_key_twice(tmp_path: Path, slack_server: SlackServer) -> None:
    path = tmp_path / "outbox.sqlite"
    notifications = [sample_notification(system_id=f"model-{i}") for i in range(4)]
    with Outbox(path) as outbox:
        for n in notifications:
            outbox.enqueue(n)
    # Slow answers make the two deliverers overlap on every row.
    slack_server.always(POST, Reply(delay=0.15))
    start = threading.Barrier(2, timeout=10)
    results: list[list[tuple[str, Delivery]]] = [[], []]

    def run(slot: int) -> None:
        with Outbox(path) as outbox:
            start.wait()
            results[slot] = outbox.deliver_pending(slack(slack_server.api_url))

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)

    delivered = [key for result in results for key, d in result if d.ok]
    assert sorted(delivered) == sorted(n.key for n in notifications)
    assert len(slack_server.posted_messages()) == 4
    assert all(results), "both deliverers took part"


def test_invalid_auth_goes_to_the_dead_letters_and_is_not_retried(tmp_path: Path, slack_server: SlackServer) -> None:
    n = sample_notification()
    with Outbox(tmp_path / "o.sqlite") as outbox:
        outbox.enqueue(n)
        [(_, delivery)] = outbox.deliver_pending(slack(slack_server.api_url, token="xoxb-revoked"))
        assert not delivery.retryable
        assert outbox.depth() == 0 and outbox.state(n.key) == "dead"
        [dead] = outbox.dead_letters()
        assert (dead.key, dead.attempts, dead.error) == (n.key, 1, "chat.postMessage: Slack answered invalid_auth")
        assert outbox.deliver_pending(slack(slack_server.api_url, token="xoxb-revoked")) == []
        assert len(slack_server.calls(POST)) == 1
        assert outbox.enqueue(n) is False  # not lost, not duplicated

        # After fixing the token, an operator gives it another chance.
        assert outbox.requeue(n.key)
        [(_, delivery)] = outbox.deliver_pending(slack(slack_server.api_url))
        assert delivery.ok and outbox.dead_letters() == []


def test_persistent_500_is_kept_then_dead_lettered_after_max_attempts(tmp_path: Path, slack_server: SlackServer) -> None:
    slack_server.always(POST, Reply(500, "internal server error"))
    n = sample_notification()
    with Outbox(tmp_path / "o.sqlite", max_attempts=3) as outbox:
        outbox.enqueue(n)
        for _ in range(2):
            [(_, delivery)] = outbox.deliver_pending(slack(slack_server.api_url))
            assert delivery.retryable and outbox.state(n.key) == "pending"
        outbox.deliver_pending(slack(slack_server.api_url))
        assert outbox.state(n.key) == "dead"
        [dead] = outbox.dead_letters()
        assert dead.error == "gave up after 3 attempts: chat.postMessage: Slack answered HTTP 500"
    assert slack_server.posted_messages() == []


def test_resolved_waits_for_its_alert_and_is_threaded_under_it(tmp_path: Path, slack_server: SlackServer) -> None:
    breach = sample_notification("breach")
    resolved = dataclasses.replace(sample_notification("resolved"), key=breach.fingerprint + ":resolved:2026-02-02")
    # The drift job saves the alert state before delivering: the thread is not known yet.
    states = SqliteStateStore(tmp_path / "state.sqlite")
    states.save([AlertRecord(breach.fingerprint, "breach", "catboost-v3", False, None, True, None, None, breach.verdict.as_of)])
    with Outbox(tmp_path / "o.sqlite") as outbox:
        outbox.enqueue(breach)
        outbox.enqueue(resolved)  # thread_ts unknown: the breach was never delivered

        # Slack down: the resolved message must not overtake its alert.
        results = dict(outbox.deliver_pending(slack(down_url()), threads=states))
        assert results[resolved.key].error == "waiting for an earlier notification of this alert"
        assert outbox.depth() == 2

        results = dict(outbox.deliver_pending(slack(slack_server.api_url), threads=states))
        assert results[breach.key].ok and results[resolved.key].ok
    first, second = slack_server.calls(POST)
    assert "thread_ts" not in first.json
    assert second.json["thread_ts"] == results[breach.key].ts and second.json["reply_broadcast"] is True
    # The thread is kept in one place: the alert state (the outbox has no column for it).
    assert states.thread_ts(breach.fingerprint) == results[breach.key].ts
    states.close()
    with sqlite3.connect(tmp_path / "o.sqlite") as db:
        assert "ts" not in {row[1] for row in db.execute("PRAGMA table_info(outbox)")}


def test_a_crashed_deliverer_leaves_a_claim_that_is_retried_after_the_lease(tmp_path: Path) -> None:
    class Crash:
        def send(self, n: Notification) -> Delivery:
            raise KeyboardInterrupt  # the process dies mid-send: nothing is recorded

    path = tmp_path / "o.sqlite"
    n = sample_notification()
    with Outbox(path) as outbox:
        outbox.enqueue(n)
        with pytest.raises(KeyboardInterrupt):
            outbox.deliver_pending(Crash())
        assert outbox.state(n.key) == "sending"
    terminal = io.StringIO()
    with Outbox(path) as outbox:  # within the lease: the claim is respected
        assert outbox.deliver_pending(TerminalNotifier(out=terminal, chart_dir=tmp_path)) == []
    with Outbox(path, lease_seconds=0) as outbox:  # lease expired: sent again rather than lost
        [(_, delivery)] = outbox.deliver_pending(TerminalNotifier(out=terminal, chart_dir=tmp_path))
        assert delivery.ok and outbox.state(n.key) == "delivered"
    assert terminal.getvalue().count("[BREACH]") == 1


def test_a_notifier_that_raises_keeps_the_notification(tmp_path: Path) -> None:
    class Broken:
        def send(self, n: Notification) -> Delivery:
            raise RuntimeError("bug in a notifier")

    with Outbox(tmp_path / "o.sqlite") as outbox:
        outbox.enqueue(sample_notification())
        [(_, delivery)] = outbox.deliver_pending(Broken())
        assert delivery.retryable and delivery.error == "notifier raised RuntimeError: bug in a notifier"
        assert outbox.depth() == 1


def test_the_stored_chart_is_the_one_delivered(tmp_path: Path, slack_server: SlackServer) -> None:
    from predguard.monitors.chart import render_chart

    chart = render_chart(sample_notification().verdict)  # e.g. drawn by the caller with richer markers
    n = sample_notification(chart_png=chart)
    with Outbox(tmp_path / "o.sqlite") as outbox:
        outbox.enqueue(n)
        outbox.deliver_pending(slack(slack_server.api_url))
    assert list(slack_server.uploads.values()) == [chart]
