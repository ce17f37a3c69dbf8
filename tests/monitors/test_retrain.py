"""Retraining triggers: a command and a webhook POST to a real local HTTP server."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from predguard.monitors import retrain
from predguard.monitors.model import Notification
from tests.monitors.drift_helpers import verdict

D = dt.date(2026, 1, 5)


def breach() -> Notification:
    return Notification("breach:sys_a:breach:2026-01-05", "breach:sys_a", "breach", verdict(D, "breach"))


class Hook:
    """A webhook receiver on 127.0.0.1 answering with scripted status codes (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/retrain?token=s3cret"


@pytest.fixture
def hook_factory() -> Iterator:
    hooks: list[Hook] = []

    def make(statuses: list[int]) -> Hook:
        hook = Hook(statuses)
        hook.thread.start()
        hooks.append(hook)
        return hook

    yield make
    for hook in hooks:
        hook.server.shutdown()
        hook.server.server_close()
        hook.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrain._post.retry, "sleep", lambda seconds: None)


def test_only_a_breach_triggers() -> None:
    for kind in ("drift_warning", "reminder", "resolved"):
        assert retrain.trigger(dataclasses.replace(breach(), kind=kind), command=[sys.executable, "-c", "raise SystemExit(1)"]) == []


def test_the_command_gets_the_breach_in_its_environment(tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    code = f"import os, json; open({str(out)!r}, 'w').write(json.dumps({{k: v for k, v in os.environ.items() if k.startswith('PREDGUARD_')}}))"
    [result] = retrain.trigger(breach(), command=[sys.executable, "-c", code])
    assert result == retrain.TriggerResult("sys_a", "command", True, "exit 0")
    env = json.loads(out.read_text())
    assert env["PREDGUARD_SYSTEM_ID"] == "sys_a" and env["PREDGUARD_AS_OF"] == "2026-01-05"
    assert json.loads(env["PREDGUARD_EVENT"])["event"] == "predguard.drift.breach"


def test_a_failing_or_missing_command_is_reported_not_raised() -> None:
    [failed] = retrain.trigger(breach(), command=[sys.executable, "-c", "import sys; sys.stderr.write('no GPU\\n'); sys.exit(3)"])
    assert failed == retrain.TriggerResult("sys_a", "command", False, "exit 3: no GPU")
    [missing] = retrain.trigger(breach(), command=["/nonexistent/retrain"])
    assert not missing.ok and missing.detail == "command not found: /nonexistent/retrain"
    [slow] = retrain.trigger(breach(), command=[sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2)
    assert not slow.ok and slow.detail == "timed out after 0.2 s"


def test_the_webhook_gets_the_breach_as_json(hook_factory) -> None:
    hook = hook_factory([])
    [result] = retrain.trigger(breach(), webhook=hook.url)
    assert result == retrain.TriggerResult("sys_a", "webhook", True, "HTTP 200")
    assert hook.bodies == [retrain.payload(breach())]
    assert hook.bodies[0]["system_id"] == "sys_a" and hook.bodies[0]["key"] == "breach:sys_a:breach:2026-01-05"


def test_the_webhook_retries_5xx_and_429_but_not_4xx(hook_factory) -> None:
    flaky = hook_factory([503, 429])
    assert retrain.post_webhook(breach(), flaky.url).ok and len(flaky.bodies) == 3
    down = hook_factory([500, 500, 500, 500])
    result = retrain.post_webhook(breach(), down.url)
    assert result == retrain.TriggerResult("sys_a", "webhook", False, "HTTP 500") and len(down.bodies) == 3
    refused = hook_factory([404])
    assert retrain.post_webhook(breach(), refused.url).detail == "HTTP 404" and len(refused.bodies) == 1


def test_an_unreachable_webhook_is_reported_and_the_url_never_logged(hook_factory, caplog: pytest.LogCaptureFixture) -> None:
    hook = hook_factory([])
    url = hook.url
    hook.server.shutdown()
    hook.server.server_close()
    result = retrain.post_webhook(breach(), url, timeout=2)
    assert not result.ok and result.detail.startswith("unreachable:")
    assert "s3cret" not in caplog.text and "s3cret" not in result.detail
