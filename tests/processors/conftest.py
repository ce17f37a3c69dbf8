"""Shared helpers for the processors tests: small real processors, stores, and a real HTTP server."""
from __future__ import annotations

import base64
import json
import socketserver
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from predguard.processors import Processor, RunContext
from predguard.processors.markers import MarkerRecorder
from predguard.outbox import Outbox
from predguard.processors.stores import Store
from predguard.processors.stores.sqlite import SqliteStore

GAME_DAY = date(2026, 1, 30)
# 17:00 in New York on the game day: before tip-off.
NOON_ET = datetime(2026, 1, 30, 17, 0, tzinfo=timezone.utc)


class ListProcessor(Processor):
    """A processor over an in-memory list: what it extracts, and what (if anything) its steps raise."""

    name = "list_processor"
    phase = 3

    def __init__(self, rows: list[dict[str, Any]] | None = None, *, name: str | None = None,
                 extract_error: BaseException | None = None, load_error: BaseException | None = None, **kwargs: Any) -> None:
        if name:
            self.name = name  # type: ignore[misc]
        super().__init__(**kwargs)
        self.rows = rows or []
        self.extract_error = extract_error
        self.load_error = load_error
        self.loaded: list[list[dict[str, Any]]] = []
        self.extract_calls = 0

    def extract(self, ctx: RunContext) -> list[dict[str, Any]]:
        self.extract_calls += 1
        if self.extract_error is not None:
            raise self.extract_error
        return list(self.rows)

    def load(self, data: list[dict[str, Any]], ctx: RunContext) -> int:
        if self.load_error is not None:
            raise self.load_error
        self.loaded.append(data)
        return len(data)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "runs.sqlite3")
    yield s
    s.close()


@pytest.fixture(params=["sqlite", pytest.param("bigquery", marks=pytest.mark.bigquery)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The same contract test against both stores: SQLite, and BigQuery on the local emulator."""
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "runs.sqlite3")
    from predguard.processors.stores.bigquery import BigQueryStore

    return BigQueryStore(request.getfixturevalue("bq_client"), request.getfixturevalue("bq_dataset"))


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    o = Outbox(tmp_path / "outbox.sqlite3")
    yield o
    o.close()


@pytest.fixture
def recorder(store: SqliteStore, outbox: Outbox) -> MarkerRecorder:
    return MarkerRecorder(store, outbox)


def push_body(data: Any, *, message_id: str = "m-1", attempt: int | None = 1, raw_data: str | None = None) -> bytes:
    """A push envelope as Pub/Sub sends it; `data` is JSON-encoded then base64-encoded."""
    encoded = raw_data if raw_data is not None else base64.b64encode(json.dumps(data).encode()).decode()
    envelope: dict[str, Any] = {
        "message": {"data": encoded, "messageId": message_id, "attributes": {"origin": "test"}},
        "subscription": "projects/test-proj/subscriptions/analytics-push",
    }
    if attempt is not None:
        envelope["deliveryAttempt"] = attempt
    return json.dumps(envelope).encode()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default backlog of 5 resets bursts of concurrent pushes


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Serve a WSGI app with wsgiref on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    servers: list[tuple[WSGIServer, threading.Thread]] = []

    def start(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """One real HTTP request (urllib, 10 s timeout); the status and the JSON body."""
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
