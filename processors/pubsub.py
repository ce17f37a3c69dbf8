"""The Pub/Sub push adapter: a plain WSGI app (gunicorn, functions-framework, any WSGI server).

Pub/Sub treats a push response of 102, 200, 201, 202 or 204 as an acknowledgement and any
other status as a negative one, redelivered with backoff. So:

| what happened                                   | status | Pub/Sub does          | we also                       |
|-------------------------------------------------|--------|-----------------------|-------------------------------|
| success, skip (e.g. no_data_same_day)           | 200    | ack                   | record the run marker         |
| redelivery of an acknowledged message           | 200    | ack                   | nothing again (idempotent)    |
| transient failure (timeout, 5xx, 429, breaker)  | 503    | redeliver with backoff| record the run marker         |
| permanent failure                               | 200    | ack                   | marker + dead letter          |
| malformed envelope, unknown processor           | 200    | ack                   | dead letter with raw payload  |

Push body: {"message": {"data": base64(JSON {"processor", "target_date", "mode"?}),
"messageId", "attributes"?}, "subscription", "deliveryAttempt"?}.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pybreaker

from predguard.dates import parse_iso_date
from predguard.errors import InputError
from predguard.processors.base import Outcome, Processor, by_name
from predguard.processors.breaker import breaker_status, make_breaker
from predguard.processors.markers import DeadLetter, MarkerRecorder
from predguard.processors.modes import ProcessingMode, parse_mode
from predguard.processors.outbox import Outbox
from predguard.processors.stores import Store, open_store

log = logging.getLogger("predguard.processors.pubsub")

DEFAULT_OUTBOX = ".predguard/outbox.sqlite3"
OUTBOX_ENV = "PREDGUARD_OUTBOX"
MAX_BODY_BYTES = 16 * 1024 * 1024  # a 10 MB message, base64-encoded, plus the envelope
RAW_PAYLOAD_LIMIT = 256 * 1024  # what a dead letter keeps of an oversized body

REASON_MALFORMED = "malformed_envelope"
REASON_UNKNOWN_PROCESSOR = "unknown_processor"
REASON_FAILED_PERMANENT = "failed_permanent"


WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]


class MalformedPush(Exception):
    """The push body cannot be dispatched; the message says exactly why."""

    def __init__(self, message: str, *, reason: str = REASON_MALFORMED, **known: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.known = known  # whatever was decoded before the fault, for the dead letter


@dataclass(frozen=True)
class PushRequest:
    processor: str
    target_date: date
    mode: ProcessingMode | None
    message_id: str
    subscription: str | None
    delivery_attempt: int
    attributes: Mapping[str, str]


def decode_push(raw: bytes) -> PushRequest:
    """Decode a push body, or raise MalformedPush naming the field at fault."""
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedPush("push body is not UTF-8 text, so not JSON") from None
    except json.JSONDecodeError as exc:
        raise MalformedPush(f"push body is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(envelope, dict):
        raise MalformedPush(f"push body must be a JSON object, got {type(envelope).__name__}")
    subscription = envelope.get("subscription") if isinstance(envelope.get("subscription"), str) else None
    attempt = envelope.get("deliveryAttempt")
    # Present only when the subscription has a dead-letter policy; 1 otherwise.
    delivery_attempt = attempt if isinstance(attempt, int) and not isinstance(attempt, bool) and attempt >= 1 else 1
    known: dict[str, Any] = {"subscription": subscription, "delivery_attempt": delivery_attempt}
    message = envelope.get("message")
    if not isinstance(message, dict):
        raise MalformedPush("push body has no 'message' object", **known)
    message_id = message.get("messageId", message.get("message_id"))
    if not isinstance(message_id, str) or not message_id:
        raise MalformedPush("push body has no 'message.messageId'", **known)
    known["message_id"] = message_id
    data = message.get("data")
    if not isinstance(data, str) or not data:
        raise MalformedPush("push body has no 'message.data' (base64 of the JSON request)", **known)
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedPush("'message.data' is not valid base64", **known) from None
    try:
        payload = json.loads(decoded.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedPush("'message.data' decodes to something that is not JSON", **known) from None
    if not isinstance(payload, dict):
        raise MalformedPush(f"'message.data' must be a JSON object, got {type(payload).__name__}", **known)
    processor = payload.get("processor")
    if not isinstance(processor, str) or not processor:
        raise MalformedPush("'message.data' has no 'processor' (the processor's name)", **known)
    known["processor"] = processor
    raw_date = payload.get("target_date")
    if raw_date is None or raw_date == "":
        raise MalformedPush("'message.data' has no 'target_date' (YYYY-MM-DD)", **known)
    if not isinstance(raw_date, str):
        raise MalformedPush(f"'target_date' must be a YYYY-MM-DD string, not {type(raw_date).__name__} {raw_date!r}", **known)
    known["target_date"] = raw_date
    try:
        target_date = parse_iso_date(raw_date)
    except ValueError as exc:
        raise MalformedPush(f"'target_date' {exc}", **known) from None
    mode = None
    if payload.get("mode") is not None:
        try:
            mode = parse_mode(str(payload["mode"]))
        except InputError as exc:
            raise MalformedPush(f"'mode' in 'message.data': {exc.message}", **known) from None
    attributes = message.get("attributes") if isinstance(message.get("attributes"), dict) else {}
    return PushRequest(processor, target_date, mode, message_id, subscription, delivery_attempt, attributes)


class PushApp:
    """The WSGI app: POST (any path) is a push; GET /health and GET /stats report state."""

    def __init__(
        self,
        processors: Iterable[Processor] | Mapping[str, Processor],
        *,
        recorder: MarkerRecorder,
        breaker: pybreaker.CircuitBreaker | None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.processors = by_name(processors if isinstance(processors, Mapping) else list(processors))
        self.recorder = recorder
        self.breaker = breaker
        self._now = now
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        # Deliver what a previous process left in the outbox (killed, or the store was down).
        delivered = recorder.flush()
        if delivered:
            log.info("delivered %d record(s) left in the outbox at start-up", delivered)

    # --- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        if method == "GET" and path == "/health":
            return _respond(start_response, 200, self.health())
        if method == "GET" and path == "/stats":
            return _respond(start_response, 200, self.stats())
        if method != "POST":
            return _respond(start_response, 405, {"error": "push deliveries are POST requests"}, [("Allow", "POST")])
        status, body = self.handle(_read_body(environ))
        return _respond(start_response, status, body)

    def http_function(self, request: Any) -> Any:
        """Entry point for functions-framework: `def handler(request): return app.http_function(request)`."""
        from werkzeug.wrappers import Response

        return Response.from_app(self, request.environ)

    # --- a push ----------------------------------------------------------------------------
    def handle(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body for one push body."""
        self._count("requests")
        try:
            return self._handle(raw)
        except Exception as exc:  # noqa: BLE001 - our own fault (e.g. the outbox disk): nack, lose nothing
            log.exception("could not handle a push; answering 503 so that Pub/Sub redelivers it")
            self._count("internal_errors")
            return 503, {"status": "retry", "error": f"internal error: {type(exc).__name__}"}

    def _handle(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        if len(raw) > MAX_BODY_BYTES:
            return self._dead_letter(raw[:RAW_PAYLOAD_LIMIT], REASON_MALFORMED, f"push body is {len(raw)} bytes, over {MAX_BODY_BYTES}", {})
        try:
            push = decode_push(raw)
        except MalformedPush as exc:
            return self._dead_letter(raw, exc.reason, str(exc), exc.known)
        processor = self.processors.get(push.processor)
        if processor is None:
            known = ", ".join(sorted(self.processors)) or "none"
            return self._dead_letter(
                raw, REASON_UNKNOWN_PROCESSOR, f"unknown processor {push.processor!r}; this service runs: {known}",
                {"message_id": push.message_id, "subscription": push.subscription, "delivery_attempt": push.delivery_attempt,
                 "processor": push.processor, "target_date": push.target_date.isoformat()},
            )
        done = self.recorder.completed_run(push.processor, push.target_date, push.message_id)
        if done is not None:
            self._count("duplicates")
            log.info("redelivery of message %s for %s %s: already %s, not run again", push.message_id, push.processor, push.target_date, done.outcome)
            return 200, {"status": "duplicate", "outcome": done.outcome, "reason": done.reason, "run_id": done.run_id}
        result = processor.run(
            push.target_date,
            mode=push.mode,
            now=self._now() if self._now else None,
            message_id=push.message_id,
            attempt=push.delivery_attempt,
            recorder=self.recorder,
            breaker=self.breaker,
        )
        self._count(f"outcome.{result.outcome.value}")
        body = {"status": "acknowledged", **{k: v for k, v in result.to_dict().items() if k in _RESULT_FIELDS}}
        if result.outcome is Outcome.FAILED_TRANSIENT:
            return 503, {**body, "status": "retry"}
        if result.outcome is Outcome.FAILED_PERMANENT:
            return self._dead_letter(
                raw, REASON_FAILED_PERMANENT, result.error or result.reason,
                {"message_id": push.message_id, "subscription": push.subscription, "delivery_attempt": push.delivery_attempt,
                 "processor": push.processor, "target_date": push.target_date.isoformat()},
                extra=body,
            )
        return 200, body

    def _dead_letter(
        self, raw: bytes, reason: str, error: str, known: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        letter = DeadLetter(
            key=DeadLetter.make_key(known.get("message_id"), raw),
            reason=reason,
            error=error,
            raw_payload=raw.decode("utf-8", errors="backslashreplace"),
            message_id=known.get("message_id"),
            subscription=known.get("subscription"),
            delivery_attempt=known.get("delivery_attempt"),
            processor=known.get("processor"),
            target_date=known.get("target_date"),
        )
        self.recorder.record_dead_letter(letter)  # outbox first: durable before we acknowledge
        self._count(f"dead_letters.{reason}")
        log.error("dead-lettered a push (%s): %s", reason, error, extra={"dead_letter_key": letter.key})
        return 200, {**(extra or {}), "status": "dead_lettered", "reason": reason, "error": error, "dead_letter_key": letter.key}

    # --- reporting -------------------------------------------------------------------------
    def _count(self, name: str) -> None:
        with self._stats_lock:
            self._stats[name] += 1

    def health(self) -> dict[str, Any]:
        depth = self.recorder.outbox.depth()
        state = breaker_status(self.breaker)["state"]
        degraded = depth > 0 or state == pybreaker.STATE_OPEN
        return {"status": "degraded" if degraded else "ok", "outbox_depth": depth, "breaker": state, "processors": sorted(self.processors)}

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            counters = dict(sorted(self._stats.items()))
        return {
            "counters": counters,
            "outbox_depth": self.recorder.outbox.depth(),
            "store_errors": self.recorder.store_errors,
            "breaker": breaker_status(self.breaker),
        }


_RESULT_FIELDS = {"processor", "target_date", "mode", "outcome", "reason", "error", "run_id", "rows_extracted", "rows_loaded", "duration_seconds"}


def _read_body(environ: WSGIEnviron) -> bytes:
    stream = environ["wsgi.input"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        return stream.read(min(length, MAX_BODY_BYTES + 1))
    if environ.get("wsgi.input_terminated"):  # chunked, and the server ends the stream for us
        return stream.read(MAX_BODY_BYTES + 1)
    return b""


_REASONS = {200: "OK", 405: "Method Not Allowed", 503: "Service Unavailable"}


def _respond(start_response: StartResponse, status: int, body: Mapping[str, Any], headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    payload = json.dumps(body, default=str).encode("utf-8")
    start_response(
        f"{status} {_REASONS.get(status, 'Status')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *(headers or [])],
    )
    return [payload]


def push_app(
    processors: Iterable[Processor] | Mapping[str, Processor],
    *,
    store: Store | str | None = None,
    outbox: Outbox | str | Path | None = None,
    breaker: pybreaker.CircuitBreaker | None | bool = True,
    now: Callable[[], datetime] | None = None,
) -> PushApp:
    """The push WSGI app for these processors.

    `store`: a Store or a spec (`open_store`), default $PREDGUARD_STORE or a local SQLite file.
    `outbox`: an Outbox or its file, default $PREDGUARD_OUTBOX or `.predguard/outbox.sqlite3`.
    `breaker`: a pybreaker breaker around the downstream writes; True (default) makes one,
    None or False runs without. `now`: the clock for mode inference (tests, demos).
    """
    resolved_store = store if store is not None and not isinstance(store, str) else open_store(store)
    resolved_outbox = outbox if isinstance(outbox, Outbox) else Outbox(outbox or os.environ.get(OUTBOX_ENV) or DEFAULT_OUTBOX)
    resolved_breaker = make_breaker() if breaker is True else (breaker or None)
    return PushApp(processors, recorder=MarkerRecorder(resolved_store, resolved_outbox), breaker=resolved_breaker, now=now)
