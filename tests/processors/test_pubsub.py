"""The push adapter through real HTTP on 127.0.0.1: each outcome's status, every malformed body,
redelivery, /health and /stats."""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions as gexc

from predguard.processors.breaker import make_breaker
from predguard.outbox import Outbox
from predguard.processors.pubsub import MAX_BODY_BYTES, RAW_PAYLOAD_LIMIT, PushApp, decode_push, push_app
from predguard.processors.stores.sqlite import SqliteStore
from tests.processors.conftest import NOON_ET, ListProcessor, http, push_body

ROWS = [{"game_id": "g1"}, {"game_id": "g2"}]


def make_app(tmp_path: Path, *processors: ListProcessor, **kwargs: Any) -> PushApp:
    return push_app(
        processors or [ListProcessor(ROWS, name="has_rows"), ListProcessor([], name="empty")],
        store=SqliteStore(tmp_path / "runs.sqlite3"),
        outbox=Outbox(tmp_path / "outbox.sqlite3"),
        now=lambda: NOON_ET,
        **kwargs,
    )


def request(processor: str, target_date: str = "2026-01-30", **extra: Any) -> dict[str, Any]:
    return {"processor": processor, "target_date": target_date, **extra}


@pytest.mark.parametrize(
    ("processor", "data", "status", "outcome"),
    [
        ("has_rows", request("has_rows"), 200, "success"),
        ("empty", request("empty"), 200, "skipped"),  # same day (inferred): an acknowledged skip
        ("has_rows", request("has_rows", mode="backfill"), 200, "success"),
    ],
)
def test_success_and_skip_are_acknowledged(tmp_path: Path, serve: Callable[[Any], str], processor: str,
                                           data: dict[str, Any], status: int, outcome: str) -> None:
    app = make_app(tmp_path)
    url = serve(app)
    code, body = http("POST", url + "/", push_body(data))
    assert (code, body["status"], body["outcome"]) == (status, "acknowledged", outcome)
    [marker] = app.recorder.store.markers()
    assert (marker.processor, marker.outcome, marker.message_id, marker.attempt) == (processor, outcome, "m-1", 1)
    assert app.recorder.store.dead_letters() == []


def test_transient_failure_is_503_so_pubsub_redelivers(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    flaky = ListProcessor(ROWS, name="flaky", load_error=gexc.ServiceUnavailable("warehouse busy"))
    app = make_app(tmp_path, flaky)
    code, body = http("POST", serve(app), push_body(request("flaky"), attempt=2))
    assert (code, body["status"], body["outcome"]) == (503, "retry", "failed_transient")
    [marker] = app.recorder.store.markers()
    assert (marker.outcome, marker.attempt) == ("failed_transient", 2)
    assert app.recorder.store.dead_letters() == []


@pytest.mark.parametrize(
    ("processor", "data", "error"),
    [
        (ListProcessor([], name="empty"), request("empty", mode="post_game"),
         "NoDataError: no data for a past date: empty extracted 0 rows for 2026-01-30 in post_game mode, where the data must exist"),
        (ListProcessor(ROWS, name="buggy", extract_error=KeyError("home_team")), request("buggy"), "KeyError: 'home_team'"),
    ],
)
def test_permanent_failure_is_acknowledged_and_dead_lettered(tmp_path: Path, serve: Callable[[Any], str],
                                                             processor: ListProcessor, data: dict[str, Any], error: str) -> None:
    app = make_app(tmp_path, processor)
    raw = push_body(data, message_id="m-42", attempt=5)
    code, body = http("POST", serve(app), raw)
    assert (code, body["status"], body["outcome"], body["reason"]) == (200, "dead_lettered", "failed_permanent", "failed_permanent")
    [letter] = app.recorder.store.dead_letters()
    assert (letter.reason, letter.error, letter.raw_payload) == ("failed_permanent", error, raw.decode())
    assert (body["error_class"], body["error_id"]) == (error.split(":")[0].replace("NoDataError", "no_data_past_date"), letter.key)
    assert "error" not in body
    assert (letter.message_id, letter.delivery_attempt, letter.processor, letter.target_date) == ("m-42", 5, processor.name, "2026-01-30")
    assert letter.subscription == "projects/test-proj/subscriptions/analytics-push"
    assert [m.outcome for m in app.recorder.store.markers()] == ["failed_permanent"]


def _b64(obj: Any) -> str:
    return base64.b64encode(obj if isinstance(obj, bytes) else json.dumps(obj).encode()).decode()


def _envelope(**message: Any) -> bytes:
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


MALFORMED: list[tuple[str, bytes, str, str]] = [
    ("not-json", b"this is not json", "malformed_envelope", "push body is not JSON (Expecting value at line 1 column 1)"),
    ("not-utf8", b"\xff\xfe\x00garbage", "malformed_envelope", "push body is not UTF-8 text, so not JSON"),
    ("empty-body", b"", "malformed_envelope", "push body is not JSON (Expecting value at line 1 column 1)"),
    ("json-array", b"[1, 2]", "malformed_envelope", "push body must be a JSON object, got list"),
    ("no-message", b'{"subscription": "s"}', "malformed_envelope", "push body has no 'message' object"),
    ("no-message-id", _envelope(data=_b64(request("has_rows"))), "malformed_envelope", "push body has no 'message.messageId'"),
    ("no-data", _envelope(messageId="m-1"), "malformed_envelope", "push body has no 'message.data' (base64 of the JSON request)"),
    ("not-base64", _envelope(messageId="m-1", data="%%% not base64 %%%"), "malformed_envelope", "'message.data' is not valid base64"),
    ("data-not-json", _envelope(messageId="m-1", data=_b64(b"processor=x")), "malformed_envelope",
     "'message.data' decodes to something that is not JSON"),
    ("data-not-object", _envelope(messageId="m-1", data=_b64(["has_rows"])), "malformed_envelope",
     "'message.data' must be a JSON object, got list"),
    ("no-processor", _envelope(messageId="m-1", data=_b64({"target_date": "2026-01-30"})), "malformed_envelope",
     "'message.data' has no 'processor' (the processor's name)"),
    ("no-target-date", _envelope(messageId="m-1", data=_b64({"processor": "has_rows"})), "malformed_envelope",
     "'message.data' has no 'target_date' (YYYY-MM-DD)"),
    ("lone-surrogate-in-envelope", b'{"message": {"messageId": "\\udb77", "data": "e30="}}', "malformed_envelope",
     "push body has a \\u escape of a lone surrogate, which is not text"),
    ("lone-surrogate-in-data", _envelope(messageId="m-1", data=base64.b64encode(b'{"processor": "\\udb77"}').decode()),
     "malformed_envelope", "'message.data' has a \\u escape of a lone surrogate, which is not text"),
    ("date-an-integer", _envelope(messageId="m-1", data=_b64({"processor": "has_rows", "target_date": 20260130})),
     "malformed_envelope", "'target_date' must be a YYYY-MM-DD string, not int 20260130"),
    ("date-wrong-format", _envelope(messageId="m-1", data=_b64(request("has_rows", "30/01/2026"))), "malformed_envelope",
     "'target_date' '30/01/2026' is not a date in YYYY-MM-DD format"),
    ("date-compact", _envelope(messageId="m-1", data=_b64(request("has_rows", "20260130"))), "malformed_envelope",
     "'target_date' '20260130' is not a date in YYYY-MM-DD format"),
    ("date-impossible", _envelope(messageId="m-1", data=_b64(request("has_rows", "2026-02-30"))), "malformed_envelope",
     "'target_date' '2026-02-30' is not a date in YYYY-MM-DD format"),
    ("bad-mode", _envelope(messageId="m-1", data=_b64(request("has_rows", mode="tomorrow"))), "malformed_envelope",
     "'mode' in 'message.data': unknown mode 'tomorrow'; one of: same_day, post_game, backfill"),
    ("unknown-processor", _envelope(messageId="m-1", data=_b64(request("nope"))), "unknown_processor",
     "unknown processor 'nope'; this service runs: empty, has_rows"),
]


@pytest.mark.parametrize(("raw", "reason", "error"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_every_malformed_body_is_acknowledged_and_dead_lettered_with_its_raw_payload(
    tmp_path: Path, serve: Callable[[Any], str], raw: bytes, reason: str, error: str
) -> None:
    app = make_app(tmp_path)
    code, body = http("POST", serve(app), raw)
    assert (code, body["status"], body["reason"], body["error_class"]) == (200, "dead_lettered", reason, reason)
    [letter] = app.recorder.store.dead_letters()
    assert (letter.reason, letter.error) == (reason, error)
    assert body["error_id"] == letter.key and "error" not in body  # the text is stored, not returned
    assert letter.raw_payload == raw.decode("utf-8", errors="backslashreplace")
    assert app.recorder.store.markers() == []  # nothing ran
    assert app.stats()["counters"][f"dead_letters.{reason}"] == 1


def test_redelivery_of_a_succeeded_message_does_no_work_twice(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    processor = ListProcessor(ROWS, name="has_rows")
    app = make_app(tmp_path, processor)
    url = serve(app)
    first = http("POST", url, push_body(request("has_rows"), message_id="m-7", attempt=1))
    again = http("POST", url, push_body(request("has_rows"), message_id="m-7", attempt=2))
    assert first[0] == again[0] == 200
    assert again[1]["status"] == "duplicate" and again[1]["run_id"] == first[1]["run_id"]
    assert processor.extract_calls == 1 and len(processor.loaded) == 1
    assert len(app.recorder.store.markers()) == 1
    # Another message for the same processor and date is new work.
    http("POST", url, push_body(request("has_rows"), message_id="m-8"))
    assert processor.extract_calls == 2
    assert app.stats()["counters"]["duplicates"] == 1


def test_a_transient_failure_is_retried_for_real_on_redelivery(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    processor = ListProcessor(ROWS, name="flaky", load_error=TimeoutError("slow"))
    app = make_app(tmp_path, processor)
    url = serve(app)
    assert http("POST", url, push_body(request("flaky"), message_id="m-1", attempt=1))[0] == 503
    processor.load_error = None
    code, body = http("POST", url, push_body(request("flaky"), message_id="m-1", attempt=2))
    assert (code, body["outcome"]) == (200, "success")
    assert [m.outcome for m in app.recorder.store.markers()] == ["failed_transient", "success"]


def test_health_and_stats_report_outbox_depth_and_breaker_state(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    breaker = make_breaker(fail_max=1, reset_timeout=3600)
    store = SqliteStore(tmp_path / "down" / "runs.sqlite3")  # the store is down
    app = push_app([ListProcessor(ROWS, name="w", load_error=ConnectionError("refused"))], store=store,
                   outbox=tmp_path / "outbox.sqlite3", breaker=breaker, now=lambda: NOON_ET)
    url = serve(app)
    assert http("GET", url + "/health") == (200, {"status": "ok", "outbox_depth": 0, "breaker": "closed", "processors": ["w"]})
    assert http("POST", url, push_body(request("w")))[0] == 503
    code, health = http("GET", url + "/health")
    assert (code, health["status"], health["outbox_depth"], health["breaker"]) == (200, "degraded", 1, "open")
    code, stats = http("GET", url + "/stats")
    assert code == 200
    assert stats["outbox_depth"] == 1 and stats["store_errors"] >= 1
    assert stats["breaker"]["state"] == "open"
    assert stats["counters"] == {"claims_in_local_fallback": 1, "outcome.failed_transient": 1, "requests": 1}


def test_other_methods_are_refused(tmp_path: Path, serve: Callable[[Any], str]) -> None:
    url = serve(make_app(tmp_path))
    assert http("PUT", url, b"{}")[0] == 405
    assert http("GET", url + "/")[0] == 405


def test_an_unwritable_outbox_answers_503_so_nothing_is_lost(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.recorder.outbox.close()  # the disk is gone: the dead letter cannot be made durable
    status, body = app.handle(b"not json")
    assert (status, body["status"]) == (503, "retry")


def test_delivery_attempt_defaults_to_one_and_the_legacy_field_names_work() -> None:
    raw = json.dumps({"message": {"data": _b64(request("x")), "message_id": "m-3"}, "subscription": "s"}).encode()
    push = decode_push(raw)
    assert (push.message_id, push.delivery_attempt, push.target_date.isoformat()) == ("m-3", 1, "2026-01-30")


FUNCTION_SOURCE = """
import os
from predguard.processors.pubsub import push_app
from tests.processors.conftest import ListProcessor

app = push_app([ListProcessor([], name="empty")], store=os.environ["TEST_STORE"], outbox=os.environ["TEST_OUTBOX"])

def handler(request):
    return app.http_function(request)
"""


def test_served_by_functions_framework(tmp_path: Path, serve: Callable[[Any], str], monkeypatch: pytest.MonkeyPatch) -> None:
    import functions_framework

    monkeypatch.setenv("TEST_STORE", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("TEST_OUTBOX", str(tmp_path / "outbox.sqlite3"))
    source = tmp_path / "main.py"
    source.write_text(FUNCTION_SOURCE)
    url = serve(functions_framework.create_app(target="handler", source=str(source), signature_type="http"))
    code, body = http("POST", url, push_body(request("empty", mode="same_day")))
    assert (code, body["outcome"], body["reason"]) == (200, "skipped", "no_data_same_day")
    code, body = http("POST", url, push_body(request("empty", mode="post_game"), message_id="m-2"))
    assert (code, body["status"], body["outcome"]) == (200, "dead_lettered", "failed_permanent")
    code, body = http("POST", url, b"not json")
    assert (code, body["status"]) == (200, "dead_lettered")
    store = SqliteStore(tmp_path / "runs.sqlite3")
    assert [m.outcome for m in store.markers()] == ["skipped", "failed_permanent"]
    assert [d.reason for d in store.dead_letters()] == ["failed_permanent", "malformed_envelope"]


def test_a_redelivered_malformed_message_is_dead_lettered_once(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    for attempt in (1, 2):
        raw = json.dumps({"message": {"data": "%%%", "messageId": "m-5"}, "deliveryAttempt": attempt}).encode()
        assert app.handle(raw)[0] == 200
    for _ in range(2):
        assert app.handle(b"no id, not json")[0] == 200
    assert [d.key for d in app.recorder.store.dead_letters()] == ["msg:m-5", "sha256:" + hashlib.sha256(b"no id, not json").hexdigest()[:32]]


def test_a_push_for_a_future_date_is_dead_lettered_with_the_reason(tmp_path: Path) -> None:
    processor = ListProcessor(ROWS, name="has_rows")
    app = make_app(tmp_path, processor)  # now: the game day, 2026-01-30
    status, body = app.handle(push_body(request("has_rows", "2026-02-14"), message_id="m-future"))
    assert (status, body["status"], body["error_class"]) == (200, "dead_lettered", "future_target_date")
    [letter] = app.recorder.store.dead_letters()
    assert letter.error.startswith("FutureDateError: target date 2026-02-14 is after today (2026-01-30 in America/New_York)")
    assert processor.extract_calls == 0


@pytest.mark.parametrize(("size", "total"), [(10 * 1024 * 1024, str(10 * 1024 * 1024)), (17 * 1024 * 1024, f"over {MAX_BODY_BYTES}")])
def test_one_size_limit_for_every_dead_lettered_body(tmp_path: Path, serve: Callable[[Any], str], size: int, total: str) -> None:
    app = make_app(tmp_path)
    raw = b"\xff" + b"x" * (size - 1)  # not UTF-8, and each bad byte is 4 characters once escaped
    code, body = http("POST", serve(app), raw)
    assert (code, body["status"]) == (200, "dead_lettered")
    [letter] = app.recorder.store.dead_letters()
    assert len(letter.raw_payload) == RAW_PAYLOAD_LIMIT and letter.raw_payload.startswith("\\xffxxx")
    assert letter.error.endswith(f"(raw payload: the first {RAW_PAYLOAD_LIMIT} of {total} bytes kept)")
    small = b"\xff not json"
    assert app.handle(small)[0] == 200
    assert app.recorder.store.dead_letters()[-1].raw_payload == "\\xff not json"  # under the limit: kept whole
