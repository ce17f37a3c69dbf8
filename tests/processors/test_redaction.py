"""Secrets in exception text never leave the process: not in logs, run markers, dead letters or
HTTP responses (which carry only an error id and class)."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from predguard.log import JsonFormatter
from predguard.outbox import Outbox
from predguard.processors.pubsub import push_app
from predguard.processors.stores.sqlite import SqliteStore
from tests.processors.conftest import NOON_ET, ListProcessor, http, push_body

SECRETS = ["hunter2pw", "xoxb-123-456-abcdef", "SEKRET123", "abc.def.ghi", "plain-words-42", "T0/B0/XXXX"]
LEAKY = ("connect postgresql://app:hunter2pw@db.internal/x failed; slack xoxb-123-456-abcdef; "
         "GET https://api.example/v1?api_key=SEKRET123; Authorization: Bearer abc.def.ghi; "
         "password plain-words-42; hook https://hooks.slack.com/services/T0/B0/XXXX")


@pytest.fixture
def logs() -> Any:
    """Every predguard record, formatted as the service logs it (JSON lines), plus the raw messages."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    loggers = [logging.getLogger(name) for name in ("processors", "predguard")]
    collect = Collect()
    for logger in loggers:
        logger.addHandler(handler)
        logger.addHandler(collect)
        logger.setLevel(logging.INFO)
    yield lambda: stream.getvalue() + "\n".join(messages)
    for logger in loggers:
        logger.removeHandler(handler)
        logger.removeHandler(collect)


def assert_no_secret(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"leaked {leaked} in: {text[:500]}"


@pytest.mark.parametrize(("error", "status"), [(RuntimeError(LEAKY), 200), (TimeoutError(LEAKY), 503)])
def test_a_failure_whose_text_holds_secrets_is_stored_logged_and_answered_redacted(
    tmp_path: Path, serve: Callable[[Any], str], monkeypatch: pytest.MonkeyPatch, logs: Any, error: Exception, status: int
) -> None:
    monkeypatch.setenv("WAREHOUSE_DB_PASSWORD", "plain-words-42")  # a secret only by its variable's name
    app = push_app([ListProcessor([{"a": 1}], name="leaky", extract_error=error)], store=SqliteStore(tmp_path / "runs.sqlite3"),
                   outbox=Outbox(tmp_path / "outbox.sqlite3"), now=lambda: NOON_ET)
    code, body = http("POST", serve(app), push_body({"processor": "leaky", "target_date": "2026-01-30"}))
    assert code == status
    assert_no_secret(json.dumps(body))
    assert "error" not in body and body["error_class"] == type(error).__name__
    [marker] = app.recorder.store.markers()
    assert body["error_id"] in (marker.run_id, f"msg:{marker.message_id}")
    assert marker.error is not None and "[redacted]" in marker.error and "db.internal" in marker.error  # the rest stays useful
    assert_no_secret(marker.error)
    for letter in app.recorder.store.dead_letters():
        assert_no_secret(letter.error + letter.raw_payload)
    assert "leaky" in logs() and "[redacted]" in logs()
    assert_no_secret(logs())


def test_a_dead_lettered_body_is_stored_redacted(tmp_path: Path, logs: Any) -> None:
    app = push_app([ListProcessor([], name="x")], store=SqliteStore(tmp_path / "runs.sqlite3"),
                   outbox=Outbox(tmp_path / "outbox.sqlite3"), now=lambda: NOON_ET)
    raw = json.dumps({"message": {"data": "%%%", "messageId": "m-1",
                                  "attributes": {"callback": "https://api.example/v1?token=SEKRET123", "note": "Bearer abc.def.ghi"}}}).encode()
    status, body = app.handle(raw)
    assert (status, body["status"]) == (200, "dead_lettered")
    [letter] = app.recorder.store.dead_letters()
    assert "callback" in letter.raw_payload and "[redacted]" in letter.raw_payload
    assert_no_secret(letter.raw_payload + letter.error + json.dumps(body) + logs())


def test_the_store_being_down_is_logged_without_its_password(tmp_path: Path, logs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_DB_PASSWORD", "plain-words-42")
    class DownStore(SqliteStore):
        def append_markers(self, markers: Any) -> None:
            raise ConnectionError(LEAKY)

    app = push_app([ListProcessor([{"a": 1}], name="ok")], store=DownStore(tmp_path / "runs.sqlite3"),
                   outbox=Outbox(tmp_path / "outbox.sqlite3"), now=lambda: NOON_ET)
    status, body = app.handle(push_body({"processor": "ok", "target_date": "2026-01-30"}))
    assert (status, body["outcome"]) == (200, "success")
    assert "run-marker store unavailable" in logs() and "postgresql://app:[redacted]@db.internal" in logs()
    assert_no_secret(logs())
