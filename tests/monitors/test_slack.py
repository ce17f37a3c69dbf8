"""The bot-token notifier: the real slack-sdk against a local server that answers like Slack."""
from __future__ import annotations

import dataclasses
import io
import json
import logging
import socket
from pathlib import Path

import pytest

from predguard.monitors.alerting import SlackNotifier, TerminalNotifier, WebhookNotifier, build_notifier
from predguard.monitors.chart import notification_chart
from predguard.errors import InputError
from tests.support.alert_samples import sample_notification
from tests.support.slack_server import TOKEN, Reply, SlackServer

POST = "/api/chat.postMessage"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's retry handlers sleep through time.sleep; record instead of waiting."""
    recorded: list[float] = []
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.time.sleep", recorded.append)
    return recorded


def notifier(server: SlackServer, *, token: str = TOKEN, max_retries: int = 2) -> SlackNotifier:
    return SlackNotifier(token=token, channel="#model-alerts", base_url=server.api_url, max_retries=max_retries)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_breach_is_posted_with_blocks_and_a_full_plain_text_fallback(slack_server: SlackServer) -> None:
    delivery = notifier(slack_server).send(sample_notification("breach"))

    assert delivery.ok and delivery.error is None and delivery.warning is None
    (post,) = slack_server.calls(POST)
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    body = post.json
    assert body["channel"] == "#model-alerts"
    assert delivery.ts == slack_server.posted_messages()[0]["ts"]
    assert "thread_ts" not in body and "reply_broadcast" not in body
    header = body["blocks"][0]
    assert header["type"] == "header" and "catboost-v3: hit rate below 55.0%" in header["text"]["text"]
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in body["blocks"][1]["fields"]}
    assert fields["*Current hit rate*"].startswith("48.0% (336 of 700 graded, Wilson interval 44.3%–51.7%")
    assert fields["*Below the floor*"] == "breach since 2026-01-20 (12 days); 2 complete weeks in a row"
    assert fields["*Evidence*"] == "CUSUM 6.40 (threshold 4.80)"
    block_text = json.dumps(body["blocks"], ensure_ascii=False)
    assert "*Weekly trend*" in block_text and "*What to do*" in block_text
    # The fallback carries the whole message, not only the title.
    for fragment in ("catboost-v3: hit rate below 55.0%", "48.0%", "Weekly trend:", "What to do:", "too few to judge"):
        assert fragment in body["text"]


def test_chart_is_uploaded_into_the_alerts_thread_with_the_external_upload_flow(slack_server: SlackServer) -> None:
    n = sample_notification("breach")
    delivery = notifier(slack_server).send(n)

    paths = [r.path.split("?")[0] for r in slack_server.requests]
    assert paths[0] == POST
    assert paths[1] == "/api/files.getUploadURLExternal"
    assert paths[2].startswith("/upload/v1/F")
    assert paths[3] == "/api/files.completeUploadExternal"
    (uploaded,) = slack_server.uploads.values()
    assert uploaded == notification_chart(n) and uploaded.startswith(b"\x89PNG")
    get_url = slack_server.calls("/api/files.getUploadURLExternal")[0].form
    assert get_url["filename"] == "catboost-v3-2026-02-01.png" and int(get_url["length"]) == len(uploaded)
    complete = slack_server.calls("/api/files.completeUploadExternal")[0].form
    assert complete["thread_ts"] == delivery.ts  # the chart lands in the new alert's thread
    assert complete["channel_id"] == "C0ALERTS"  # the id Slack returned, not "#model-alerts"


def test_resolved_is_posted_in_the_alerts_thread_and_broadcast(slack_server: SlackServer) -> None:
    n = sample_notification("resolved", thread_ts="1767225000.000042")
    delivery = notifier(slack_server).send(n)

    assert delivery.ok
    (post,) = slack_server.calls(POST)
    assert post.json["thread_ts"] == "1767225000.000042"
    assert post.json["reply_broadcast"] is True
    assert post.json["blocks"][0]["text"]["text"].startswith(":white_check_mark: Resolved: catboost-v3")
    assert slack_server.calls("/api/files.completeUploadExternal")[0].form["thread_ts"] == "1767225000.000042"


def test_reminder_in_thread_says_it_is_still_firing(slack_server: SlackServer) -> None:
    notifier(slack_server).send(sample_notification("reminder", thread_ts="1767225000.000042"))
    (post,) = slack_server.calls(POST)
    assert post.json["thread_ts"] == "1767225000.000042" and post.json["reply_broadcast"] is True
    assert "Still firing: catboost-v3" in post.json["text"]
    assert "still firing and nobody has resolved it" in post.json["text"]


def test_429_waits_retry_after_then_delivers_exactly_one_message(slack_server: SlackServer, sleeps: list[float]) -> None:
    slack_server.script(POST, Reply(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "3"}))

    delivery = notifier(slack_server).send(sample_notification())

    assert delivery.ok
    assert len(slack_server.calls(POST)) == 2
    assert len(slack_server.posted_messages()) == 1
    assert len(sleeps) == 1 and 3 <= sleeps[0] < 4  # Retry-After honoured (+ the SDK's jitter)


def test_500_then_success_delivers_once(slack_server: SlackServer, sleeps: list[float]) -> None:
    slack_server.script(POST, Reply(500, "internal server error"))

    delivery = notifier(slack_server).send(sample_notification())

    assert delivery.ok and len(slack_server.posted_messages()) == 1
    assert len(slack_server.calls(POST)) == 2 and len(sleeps) == 1


def test_persistent_500_is_a_retryable_failure_after_the_retry_budget(slack_server: SlackServer, sleeps: list[float]) -> None:
    slack_server.always(POST, Reply(500, "internal server error"))

    delivery = notifier(slack_server, max_retries=2).send(sample_notification())

    assert not delivery.ok and delivery.retryable
    assert delivery.error == "chat.postMessage: Slack answered HTTP 500"
    assert len(slack_server.calls(POST)) == 3  # one try + two retries, then give the outbox the job
    assert slack_server.calls("/api/files.getUploadURLExternal") == []


def test_connection_refused_is_retryable(sleeps: list[float]) -> None:
    port = unused_port()
    n = SlackNotifier(token=TOKEN, channel="#model-alerts", base_url=f"http://127.0.0.1:{port}/api/", max_retries=1)

    delivery = n.send(sample_notification())

    assert not delivery.ok and delivery.retryable
    assert delivery.error is not None and "cannot reach Slack" in delivery.error and "refused" in delivery.error
    assert len(sleeps) == 1  # ConnectionErrorRetryHandler tried once more


def test_invalid_auth_is_not_retryable_and_not_retried(slack_server: SlackServer, sleeps: list[float]) -> None:
    delivery = notifier(slack_server, token="xoxb-revoked-token").send(sample_notification())

    assert not delivery.ok and not delivery.retryable
    assert delivery.error == "chat.postMessage: Slack answered invalid_auth"
    assert len(slack_server.calls(POST)) == 1 and sleeps == []


def test_channel_not_found_is_not_retryable(slack_server: SlackServer) -> None:
    slack_server.script(POST, Reply.api_error("channel_not_found"))
    delivery = notifier(slack_server).send(sample_notification())
    assert (delivery.ok, delivery.retryable, delivery.error) == (
        False, False, "chat.postMessage: Slack answered channel_not_found",
    )


def test_a_failed_chart_upload_keeps_the_message_delivered_once(slack_server: SlackServer) -> None:
    slack_server.script("/api/files.getUploadURLExternal", Reply.api_error("missing_scope"))

    delivery = notifier(slack_server).send(sample_notification())

    assert delivery.ok and delivery.ts is not None
    assert delivery.warning == "chart upload: Slack answered missing_scope"
    assert len(slack_server.posted_messages()) == 1


def test_a_failed_raw_upload_post_is_a_warning_not_a_resend(slack_server: SlackServer) -> None:
    slack_server.always("/upload/v1/F00000001", Reply(500, "upload failed"))

    delivery = notifier(slack_server).send(sample_notification())

    assert delivery.ok and delivery.warning is not None and "500" in delivery.warning
    assert len(slack_server.calls("/upload/v1/F00000001")) == 1  # the raw POST has no retry handlers
    assert slack_server.calls("/api/files.completeUploadExternal") == []


def test_token_never_reaches_logs_or_errors(slack_server: SlackServer, sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    slack_server.always(POST, Reply(500, f"echoing Bearer {TOKEN}"))
    errors = [notifier(slack_server).send(sample_notification()).error]
    refused = SlackNotifier(token=TOKEN, channel="#c", base_url=f"http://127.0.0.1:{unused_port()}/api/", max_retries=1)
    errors.append(refused.send(sample_notification()).error)

    assert caplog.records, "the failures were logged"
    logged = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    assert TOKEN not in logged
    assert all(e is not None and TOKEN not in e for e in errors)


# -- choosing the notifier -------------------------------------------------------------------------


def test_build_notifier_prefers_the_bot_token_then_the_webhook_then_the_terminal(tmp_path: Path) -> None:
    config = {"channel": "#model-alerts"}
    both = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X"}
    assert isinstance(build_notifier(config, environ=both), SlackNotifier)
    assert isinstance(build_notifier(config, environ={"SLACK_WEBHOOK_URL": both["SLACK_WEBHOOK_URL"]}), WebhookNotifier)
    terminal = build_notifier(config, environ={}, out=io.StringIO(), chart_dir=tmp_path)
    assert isinstance(terminal, TerminalNotifier) and terminal.chart_dir == tmp_path


def test_build_notifier_reads_the_variables_named_in_the_config() -> None:
    config = {"channel": "C0ALERTS", "token_env": "DRIFT_SLACK_TOKEN"}
    assert isinstance(build_notifier(config, environ={"DRIFT_SLACK_TOKEN": TOKEN}), SlackNotifier)
    assert not isinstance(build_notifier(config, environ={"SLACK_BOT_TOKEN": TOKEN}), SlackNotifier)


@pytest.mark.parametrize(
    ("config", "environ", "message"),
    [
        ({}, {"SLACK_BOT_TOKEN": TOKEN}, "a bot token is set in $SLACK_BOT_TOKEN but no channel"),
        ({"token": TOKEN}, {}, "`token` must not be in the config file"),
        ({"webhook_url": "https://hooks.slack.com/x"}, {}, "`webhook_url` must not be in the config file"),
        ({"chanel": "#a"}, {}, "unknown key `chanel`"),
        ({"max_retries": "3"}, {}, "max_retries must be an integer from 0 to 10, got '3'"),
        ({"max_retries": 99}, {}, "max_retries must be an integer from 0 to 10, got 99"),
        ({"token_env": ""}, {}, "token_env must name an environment variable"),
        ({"channel": "#a", "base_url": "slack.com/api"}, {"SLACK_BOT_TOKEN": TOKEN}, "base_url must be an http(s) URL"),
    ],
)
def test_bad_slack_config_is_one_clear_input_error(config: dict, environ: dict, message: str) -> None:
    with pytest.raises(InputError) as info:
        build_notifier(config, environ=environ)
    assert message in info.value.message
    assert info.value.where == "[tool.predguard.drift.slack]"
    assert TOKEN not in str(info.value)


def test_a_malformed_webhook_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(InputError) as info:
        build_notifier({}, environ={"SLACK_WEBHOOK_URL": "hooks.slack.com/services/SECRET"})
    assert str(info.value) == "SLACK_WEBHOOK_URL: $SLACK_WEBHOOK_URL is not an http(s) URL"


def test_block_kit_limits_and_mrkdwn_escaping_hold_for_long_ids_and_many_notes(slack_server: SlackServer) -> None:
    n = sample_notification(system_id="team<ml>&co/" + "x" * 200)
    n = dataclasses.replace(n, verdict=dataclasses.replace(n.verdict, notes=tuple(f"note {i}" for i in range(12))))

    assert notifier(slack_server).send(n).ok
    blocks = slack_server.calls(POST)[0].json["blocks"]
    assert len(blocks[0]["text"]["text"]) <= 150 and blocks[0]["text"]["text"].endswith("…")
    model = blocks[1]["fields"][0]["text"]
    assert model.startswith("*Model*\nteam&lt;ml&gt;&amp;co/") and "<" not in model
    notes = next(b for b in blocks if b["type"] == "context")["elements"]
    assert len(notes) == 6 and notes[-1]["text"].startswith("… and 7 more notes")
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_an_answer_that_is_not_utf8_is_a_retryable_failure_not_a_traceback(slack_server: SlackServer) -> None:
    slack_server.always(POST, Reply(200, b"\xff\xfe not utf-8 \x80"))

    delivery = notifier(slack_server, max_retries=0).send(sample_notification())

    assert not delivery.ok and delivery.retryable
    assert delivery.error == "chat.postMessage: unreadable answer from Slack (UnicodeDecodeError)"


def test_find_delivered_reads_the_channel_history_by_the_alert_key(slack_server: SlackServer) -> None:
    slack = notifier(slack_server)
    breach, other = sample_notification("breach"), sample_notification("drift_warning")
    assert slack.find_delivered(breach) is None  # nothing posted yet
    posted = slack.send(breach)
    assert posted.ok and slack_server.posted_messages()[0]["metadata"]["event_payload"] == {"key": breach.key}
    fresh = notifier(slack_server)  # a new run: it knows the channel only by name
    found = fresh.find_delivered(breach)
    assert found is not None and found.ok and found.ts == posted.ts
    assert fresh.find_delivered(other) is None
    assert len(slack_server.calls("/api/conversations.list")) == 2  # "#name" resolved once per notifier, then cached


def test_a_failed_history_look_up_falls_back_to_sending(slack_server: SlackServer, caplog: pytest.LogCaptureFixture) -> None:
    slack_server.always("/api/conversations.history", Reply.api_error("missing_scope"))
    with caplog.at_level(logging.WARNING):
        assert notifier(slack_server).find_delivered(sample_notification("breach")) is None
    assert "history look-up failed" in caplog.text and TOKEN not in caplog.text
