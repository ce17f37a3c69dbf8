"""The Pub/Sub push adapter: a plain WSGI app (gunicorn, functions-framework, any WSGI server).

Pub/Sub treats a push response of 102, 200, 201, 202 or 204 as an acknowledgement and any
other status as a negative one, redelivered with backoff. So:

| what happened                                   | status | Pub/Sub does          | we also                       |
|-------------------------------------------------|--------|-----------------------|-------------------------------|
| success, skip (e.g. no_data_same_day)           | 200    | ack                   | record the run marker         |
| redelivery of an acknowledged message           | 200    | ack                   | nothing again (idempotent)    |
| a copy of a message that is running right now   | 503    | redeliver with backoff| wait up to `claim_wait` first |
| transient failure (timeout, 5xx, 429, breaker)  | 503    | redeliver with backoff| record the run marker         |
| permanent failure                               | 200    | ack                   | marker + dead letter          |
| malformed envelope, unknown processor           | 200    | ack                   | dead letter with raw payload  |

Push body: {"message": {"data": base64(JSON {"processor", "target_date", "mode"?}),
"messageId", "attributes"?}, "subscription", "deliveryAttempt"?}.

At most one copy of a message runs at a time: the app takes a claim (a lease) on (processor,
target date, message id) in the store before running it (predguard.processors.claims). A copy
that arrives while another holds the claim waits up to `claim_wait` seconds for it: when the
holder finishes, the copy is answered as a duplicate; when it does not, the copy gets a 503 and
Pub/Sub redelivers it later. While the store cannot be reached, the claim is taken in a
host-local file next to the outbox instead (one run at a time on this host).

Response bodies never carry the text of an error (it may hold a secret): a failure answers
its class and an `error_id` — the run marker's `run_id` or the dead letter's key — under which
the (redacted) text is stored and logged.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pybreaker

from predguard.dates import parse_iso_date
from predguard.errors import InputError
from predguard.outbox import Outbox
from predguard.processors.base import Outcome, Processor, by_name
from predguard.processors.breaker import breaker_status, make_breaker
from predguard.processors.claims import DEFAULT_LEASE_SECONDS, ClaimKey, SqliteClaims, new_holder
from predguard.processors.markers import DeadLetter, MarkerRecorder, RunMarker
from predguard.processors.modes import ProcessingMode, parse_mode
from predguard.processors.stores import Store, open_store
from predguard.redact import redact

log = logging.getLogger(__name__)

DEFAULT_OUTBOX = ".predguard/outbox.sqlite3"
OUTBOX_ENV = "PREDGUARD_OUTBOX"
MAX_BODY_BYTES = 16 * 1024 * 1024  # a 10 MB message, base64-encoded, plus the envelope
RAW_PAYLOAD_LIMIT = 256 * 1024  # what a dead letter keeps of any body: one limit, whatever the fault

REASON_MALFORMED = "malformed_envelope"
REASON_UNKNOWN_PROCESSOR = "unknown_processor"
REASON_FAILED_PERMANENT = "failed_permanent"
REASON_IN_PROGRESS = "in_progress"  # another worker or instance is running this message now

DEFAULT_CLAIM_WAIT_SECONDS = 5.0  # how long a copy waits for the holder before answering 503
CLAIM_POLL_SECONDS = 0.02


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


def _has_lone_surrogate(value: Any) -> bool:
    """JSON may escape half a surrogate pair ("\\udb77"); such a string cannot be encoded as
    UTF-8, so a store would refuse the marker or dead letter that carries it, every time, and
    the outbox would hold everything behind it. (Found by tests/fuzz.)"""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
    if _has_lone_surrogate(envelope):  # checked before any field is kept: none may reach a store
        raise MalformedPush("push body has a \\u escape of a lone surrogate, which is not text")
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
    if _has_lone_surrogate(payload):
        raise MalformedPush("'message.data' has a \\u escape of a lone surrogate, which is not text", **known)
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
    attributes: Mapping[str, str] = message["attributes"] if isinstance(message.get("attributes"), dict) else {}
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
        claims: bool = True,
        claim_wait: float = DEFAULT_CLAIM_WAIT_SECONDS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.processors = by_name(processors if isinstance(processors, Mapping) else list(processors))
        self.recorder = recorder
        self.breaker = breaker
        self._now = now
        self.claims = claims
        self.claim_wait = claim_wait
        self.lease_seconds = lease_seconds
        # Used only while the store cannot be reached: shared by this host's workers.
        self.local_claims = SqliteClaims(Path(recorder.outbox.path).with_suffix(".claims.sqlite3"))
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
            error_id = uuid.uuid4().hex
            # The traceback goes through the redactor too: whatever handler the host installed.
            log.error("could not handle a push (error_id %s); answering 503 so that Pub/Sub redelivers it\n%s",
                      error_id, redact("".join(traceback.format_exception(exc)).rstrip()))
            self._count("internal_errors")
            return 503, {"status": "retry", "reason": "internal_error", "error_class": type(exc).__name__, "error_id": error_id}

    def _handle(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        if len(raw) > MAX_BODY_BYTES:
            return self._dead_letter(raw, REASON_MALFORMED, f"push body is over {MAX_BODY_BYTES} bytes", {})
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
        key = ClaimKey(push.processor, push.target_date, push.message_id)
        done = self.recorder.completed_run(push.processor, push.target_date, push.message_id)
        if done is not None:
            return self._duplicate(push, done)
        lease = self._acquire(key) if self.claims else None
        if isinstance(lease, RunMarker):
            return self._duplicate(push, lease)
        if self.claims and lease is None:
            self._count("in_progress")
            log.info("message %s for %s %s is being run elsewhere; answering 503 to have it redelivered later",
                     push.message_id, push.processor, push.target_date)
            return 503, {"status": "retry", "reason": REASON_IN_PROGRESS}
        store_errors = self.recorder.store_errors
        result = None
        try:
            result = processor.run(
                push.target_date,
                mode=push.mode,
                now=self._now() if self._now else None,
                message_id=push.message_id,
                attempt=push.delivery_attempt,
                recorder=self.recorder,
                breaker=self.breaker,
            )
        finally:
            if isinstance(lease, _Lease):
                # The claim is released by the run marker: once the marker is where every
                # holder looks, a copy finds it and is acknowledged as a duplicate. A marker
                # the store did not take (it failed meanwhile) waits in this host's outbox, out
                # of other instances' sight: the store claim then stays until its lease ends.
                marker_in_store = self.recorder.store_errors == store_errors
                retry = result is None or not result.outcome.acknowledged
                if lease.claims is self.local_claims or marker_in_store or retry:
                    self._release(lease)
        self._count(f"outcome.{result.outcome.value}")
        body = {"status": "acknowledged", **{k: v for k, v in result.to_dict().items() if k in _RESULT_FIELDS}}
        if result.error is not None:
            body.update(error_class=result.reason, error_id=result.run_id)
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

    def _duplicate(self, push: PushRequest, done: RunMarker) -> tuple[int, dict[str, Any]]:
        self._count("duplicates")
        log.info("redelivery of message %s for %s %s: already %s, not run again", push.message_id, push.processor, push.target_date, done.outcome)
        return 200, {"status": "duplicate", "outcome": done.outcome, "reason": done.reason, "run_id": done.run_id}

    # --- claims ----------------------------------------------------------------------------
    def _acquire(self, key: ClaimKey) -> _Lease | RunMarker | None:
        """A claim on `key`; or the acknowledged run that finished while we waited; or None
        when the holder is still running after `claim_wait` seconds."""
        holder = new_holder()
        deadline = time.monotonic() + self.claim_wait
        while True:
            lease = self._try_claim(key, holder)
            # Checked after every attempt: the holder may have finished (and released) since
            # the first check, and then this copy is a duplicate, claim or no claim.
            done = self.recorder.completed_run(key.processor, key.target_date, key.message_id)
            if done is not None:
                if lease is not None:
                    self._release(lease)
                return done
            if lease is not None:
                return lease
            if time.monotonic() >= deadline:
                return None
            time.sleep(CLAIM_POLL_SECONDS)

    def _try_claim(self, key: ClaimKey, holder: str) -> _Lease | None:
        claims: Any = self.recorder.store
        try:
            taken = claims.claim(key, holder, self.lease_seconds)
        except Exception as exc:  # noqa: BLE001 - the store is down: fall back to this host's claims
            log.warning("cannot take the claim in the store (%s); taking a host-local one", type(exc).__name__)
            self._count("claims_in_local_fallback")
            claims = self.local_claims
            taken = claims.claim(key, holder, self.lease_seconds)
        return _Lease(claims, key, holder) if taken else None

    def _release(self, lease: _Lease) -> None:
        try:
            lease.claims.release(lease.key, lease.holder)
        except Exception as exc:  # noqa: BLE001 - it expires on its own after the lease
            log.warning("could not release the claim on message %s (%s); it expires after %.0f s",
                        lease.key.message_id, type(exc).__name__, self.lease_seconds)

    def _dead_letter(
        self, raw: bytes, reason: str, error: str, known: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        error = redact(error)
        if len(raw) > RAW_PAYLOAD_LIMIT:
            size = f"{len(raw)}" if len(raw) <= MAX_BODY_BYTES else f"over {MAX_BODY_BYTES}"  # we read no further
            error = f"{error} (raw payload: the first {RAW_PAYLOAD_LIMIT} of {size} bytes kept)"
        letter = DeadLetter(
            key=DeadLetter.make_key(known.get("message_id"), raw),
            reason=reason,
            error=error,
            # Escapes can make the text longer than the bytes: the limit applies to both.
            raw_payload=redact(raw[:RAW_PAYLOAD_LIMIT].decode("utf-8", errors="backslashreplace")[:RAW_PAYLOAD_LIMIT]),
            message_id=known.get("message_id"),
            subscription=known.get("subscription"),
            delivery_attempt=known.get("delivery_attempt"),
            processor=known.get("processor"),
            target_date=known.get("target_date"),
        )
        self.recorder.record_dead_letter(letter)  # outbox first: durable before we acknowledge
        self._count(f"dead_letters.{reason}")
        log.error("dead-lettered a push (%s): %s", reason, error, extra={"dead_letter_key": letter.key})
        return 200, {"error_class": reason, **(extra or {}), "status": "dead_lettered", "reason": reason,
                     "error_id": letter.key, "dead_letter_key": letter.key}

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


@dataclass(frozen=True)
class _Lease:
    claims: Any  # the store, or the host-local SqliteClaims
    key: ClaimKey
    holder: str


# What a response says of a run: never its error text (see error_class and error_id).
_RESULT_FIELDS = {"processor", "target_date", "mode", "outcome", "reason", "run_id", "rows_extracted", "rows_loaded", "duration_seconds"}


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
    claims: bool = True,
    claim_wait: float = DEFAULT_CLAIM_WAIT_SECONDS,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> PushApp:
    """The push WSGI app for these processors.

    `store`: a Store or a spec (`open_store`), default $PREDGUARD_STORE or a local SQLite file.
    `outbox`: an Outbox or its file, default $PREDGUARD_OUTBOX or `.predguard/outbox.sqlite3`.
    `breaker`: a pybreaker breaker around the downstream writes; True (default) makes one,
    None or False runs without. `now`: the clock for mode inference (tests, demos).
    `claim_wait`: how long a copy of a running message waits before answering 503;
    `lease_seconds`: how long a claim lasts when its holder dies (longer than any run);
    `claims=False` runs without claims, only to measure what they cost (benchmarks/).
    """
    resolved_store = store if store is not None and not isinstance(store, str) else open_store(store)
    resolved_outbox = outbox if isinstance(outbox, Outbox) else Outbox(outbox or os.environ.get(OUTBOX_ENV) or DEFAULT_OUTBOX)
    resolved_breaker = make_breaker() if breaker is True else (breaker or None)
    return PushApp(processors, recorder=MarkerRecorder(resolved_store, resolved_outbox), breaker=resolved_breaker, now=now,
                   claims=claims, claim_wait=claim_wait, lease_seconds=lease_seconds)
