"""The incoming-webhook notifier: the real slack-sdk WebhookClient against a local server."""
from __future__ import annotations

import logging
import socket

import pytest

from predguard.monitors.alerting import WebhookNotifier
from predguard.monitors.alerting.webhook import CHART_NOTE
from tests.support.alert_samples import sample_notification
from tests.support.slack_server import WEBHOOK_PATH, Reply, SlackServer


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.time.sleep", recorded.append)
    return recorded


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_posts_the_message_and_says_the_chart_is_left_out(slack_server: SlackServer) -> None:
    delivery = WebhookNotifier(url=slack_server.webhook_url).send(sample_notification("breach"))

    assert delivery.ok and delivery.ts is None and delivery.error is None
    (message,) = slack_server.posted_messages()
    assert message["blocks"][0]["type"] == "header"
    assert "catboost-v3: hit rate below 55.0%" in message["text"]
    last_context = message["blocks"][-1]["elements"]
    assert any("Chart not attached: incoming webhooks cannot upload files" in e["text"] for e in last_context)
    assert CHART_NOTE in message["text"]
    assert slack_server.uploads == {} and slack_server.calls("/api/files.getUploadURLExternal") == []


def test_webhook_http_500_is_a_retryable_failure_checked_by_status_code(slack_server: SlackServer, sleeps: list[float]) -> None:
    slack_server.always(WEBHOOK_PATH, Reply(500, "internal_error"))

    delivery = WebhookNotifier(url=slack_server.webhook_url, max_retries=1).send(sample_notification())

    assert (delivery.ok, delivery.retryable) == (False, True)
    assert delivery.error == "webhook: HTTP 500 internal_error"
    assert len(slack_server.calls(WEBHOOK_PATH)) == 2 and len(sleeps) == 1


def test_webhook_500_then_success_delivers_once(slack_server: SlackServer, sleeps: list[float]) -> None:
    slack_server.script(WEBHOOK_PATH, Reply(500, "internal_error"))
    delivery = WebhookNotifier(url=slack_server.webhook_url).send(sample_notification())
    assert delivery.ok and len(slack_server.posted_messages()) == 1


def test_webhook_429_waits_retry_after(slack_server: SlackServer, sleeps: list[float]) -> None:
    slack_server.script(WEBHOOK_PATH, Reply(429, "rate_limited", headers={"Retry-After": "2"}))
    delivery = WebhookNotifier(url=slack_server.webhook_url).send(sample_notification())
    assert delivery.ok and len(slack_server.posted_messages()) == 1
    assert len(sleeps) == 1 and 2 <= sleeps[0] < 3


@pytest.mark.parametrize(("status", "body"), [(404, "no_service"), (403, "invalid_token"), (410, "channel_is_archived")])
def test_webhook_client_errors_are_not_retryable(slack_server: SlackServer, status: int, body: str) -> None:
    slack_server.script(WEBHOOK_PATH, Reply(status, body))
    delivery = WebhookNotifier(url=slack_server.webhook_url).send(sample_notification())
    assert (delivery.ok, delivery.retryable, delivery.error) == (False, False, f"webhook: HTTP {status} {body}")
    assert len(slack_server.calls(WEBHOOK_PATH)) == 1


def test_webhook_connection_refused_is_retryable(sleeps: list[float]) -> None:
    url = f"http://127.0.0.1:{unused_port()}{WEBHOOK_PATH}"
    delivery = WebhookNotifier(url=url, max_retries=1).send(sample_notification())
    assert (delivery.ok, delivery.retryable) == (False, True)
    assert delivery.error is not None and "refused" in delivery.error


def test_webhook_url_never_reaches_logs_or_errors(slack_server: SlackServer, sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    """slack-sdk logs the request URL on retries when its logger is left at its default level;
    for a webhook the URL is the secret."""
    caplog.set_level(logging.DEBUG)
    slack_server.always(WEBHOOK_PATH, Reply(500, "internal_error"))
    errors = [WebhookNotifier(url=slack_server.webhook_url, max_retries=2).send(sample_notification()).error]
    refused_url = f"http://127.0.0.1:{unused_port()}{WEBHOOK_PATH}"
    errors.append(WebhookNotifier(url=refused_url, max_retries=1).send(sample_notification()).error)

    assert caplog.records
    logged = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    secret = WEBHOOK_PATH.rsplit("/", 1)[1]
    assert secret not in logged
    assert all(e is not None and secret not in e for e in errors)


def test_webhook_answer_that_is_not_utf8_is_a_retryable_failure(slack_server: SlackServer) -> None:
    slack_server.always(WEBHOOK_PATH, Reply(200, b"\xff\xfe not utf-8 \x80"))

    delivery = WebhookNotifier(url=slack_server.webhook_url, max_retries=0).send(sample_notification())

    assert (delivery.ok, delivery.retryable) == (False, True)
    assert delivery.error == "webhook: unreadable answer from Slack (UnicodeDecodeError)"
