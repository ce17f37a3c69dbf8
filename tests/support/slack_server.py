"""A local server that answers like Slack, for the real slack-sdk to talk to.

A stdlib ThreadingHTTPServer on 127.0.0.1 (port 0) in a thread. It answers the Web API methods
the notifiers use, the raw upload URL it hands out, and an incoming webhook, the way Slack does
(HTTP 200 with `{"ok": false, "error": ...}` for API errors; plain-text bodies and real status
codes for webhooks). Every request is recorded. Responses can be scripted per path:

    server.script("/api/chat.postMessage", Reply(429, headers={"Retry-After": "1"}))   # next one
    server.always("/api/chat.postMessage", Reply(500))                                 # until cleared
    server.script("/api/chat.postMessage", Reply.api_error("channel_not_found"))

Like Slack, chat.postMessage keeps message `metadata` (event_type + event_payload), and
conversations.history (newest first, `include_all_metadata` to see it; thread replies
only when broadcast) and conversations.list read back the one channel, #model-alerts = C0ALERTS.

Use `running_slack_server()` (or the `slack_server` fixture): it always shuts down.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

TOKEN = "xoxb-test-0000-predguard-secret"
CHANNEL_ID, CHANNEL_NAME = "C0ALERTS", "model-alerts"
WEBHOOK_PATH = "/services/T000/B000/XXXXSECRETXXXX"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON, str/bytes -> as is, None -> the default answer of the path
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to make two deliverers overlap)

    @classmethod
    def api_error(cls, error: str) -> Reply:
        return cls(200, {"ok": False, "error": error})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, str]
    json: Any


class SlackServer:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[Request] = []
        self.uploads: dict[str, bytes] = {}
        self._accepted_messages: list[dict[str, Any]] = []
        self._scripted: dict[str, deque[Reply]] = defaultdict(deque)
        self._always: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-server", daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}{WEBHOOK_PATH}"

    def start(self) -> SlackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- scripting and inspection ----------------------------------------------------------------

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._scripted[path].extend(replies)

    def always(self, path: str, reply: Reply | None) -> None:
        with self._lock:
            if reply is None:
                self._always.pop(path, None)
            else:
                self._always[path] = reply

    def calls(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    def posted_messages(self) -> list[dict[str, Any]]:
        """Bodies of the chat.postMessage calls that Slack accepted."""
        with self._lock:
            return list(self._accepted_messages)

    # -- the Slack behaviour ---------------------------------------------------------------------

    def _answer(self, request: Request) -> Reply:
        path = request.path.split("?")[0]
        with self._lock:
            self.requests.append(request)
            if self._scripted[path]:
                scripted = self._scripted[path].popleft()
            else:
                scripted = self._always.get(path)
        if scripted is None:
            return self._default(path, request)
        if scripted.status == 200 and scripted.body is None:  # the normal answer, only later
            return dataclasses.replace(self._default(path, request), delay=scripted.delay)
        return scripted

    def _default(self, path: str, request: Request) -> Reply:
        if path == WEBHOOK_PATH:
            if not isinstance(request.json, dict) or not (request.json.get("text") or request.json.get("blocks")):
                return Reply(400, "invalid_payload")
            with self._lock:
                self._accepted_messages.append(request.json)
            return Reply(200, "ok")
        if path.startswith("/services/"):
            return Reply(404, "no_service")
        if path.startswith("/upload/v1/"):
            file_id = path.rsplit("/", 1)[1]
            with self._lock:
                self.uploads[file_id] = request.body
            return Reply(200, f"OK - {len(request.body)}")
        if not path.startswith("/api/"):
            return Reply(404, "not found")
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply.api_error("invalid_auth" if request.headers.get("authorization") else "not_authed")
        method = path[len("/api/") :]
        params = request.json if isinstance(request.json, dict) else request.form
        if method == "chat.postMessage":
            if not params.get("channel"):
                return Reply.api_error("channel_not_found")
            if not params.get("text") and not params.get("blocks"):
                return Reply.api_error("no_text")
            metadata = params.get("metadata")
            if isinstance(metadata, str):  # a form post sends it as JSON text
                metadata = json.loads(metadata)
            if metadata is not None and not (isinstance(metadata, dict) and metadata.get("event_type") and isinstance(metadata.get("event_payload"), dict)):
                return Reply.api_error("invalid_metadata_format")
            ts = f"1767225600.{next(self._ts):06d}"
            with self._lock:
                self._accepted_messages.append(dict(params, ts=ts))
            return Reply(200, {"ok": True, "channel": CHANNEL_ID, "ts": ts, "message": {"text": params.get("text")}})
        if method == "conversations.history":
            if params.get("channel") != CHANNEL_ID:
                return Reply.api_error("channel_not_found")
            return Reply(200, self._history(params))
        if method == "conversations.list":
            return Reply(200, {"ok": True, "channels": [{"id": CHANNEL_ID, "name": CHANNEL_NAME}], "response_metadata": {"next_cursor": ""}})
        if method == "files.getUploadURLExternal":
            if not params.get("filename") or not str(params.get("length", "")).isdigit():
                return Reply.api_error("invalid_arguments")
            file_id = f"F{next(self._file_ids):08d}"
            return Reply(200, {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id})
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files", "[]"))
            with self._lock:
                missing = [f["id"] for f in files if f["id"] not in self.uploads]
            if missing or not files:
                return Reply.api_error("file_not_found" if missing else "invalid_arguments")
            if not params.get("channel_id", "").startswith("C"):
                return Reply.api_error("invalid_channel")
            return Reply(200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]})
        return Reply(200, {"ok": False, "error": "unknown_method"})

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """The channel's messages, newest first: top-level posts and broadcast thread replies."""
        with self._lock:
            accepted = list(self._accepted_messages)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        messages = []
        for posted in reversed(accepted):
            if "ts" not in posted or (posted.get("thread_ts") and not posted.get("reply_broadcast")):
                continue
            message = {"type": "message", "user": "U0PREDGUARD", "text": posted.get("text"), "ts": posted["ts"]}
            if posted.get("thread_ts"):
                message["subtype"] = "thread_broadcast"
            metadata = posted.get("metadata")
            if with_metadata and metadata is not None:
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            messages.append(message)
        page = messages[start : start + limit]
        more = start + limit < len(messages)
        return {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (stdlib name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                content_type = self.headers.get("Content-Type", "")
                form: dict[str, str] = {}
                parsed: Any = None
                if content_type.startswith("application/x-www-form-urlencoded") and self.path.startswith("/api/"):
                    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
                elif content_type.startswith("application/json"):
                    parsed = json.loads(body or b"null")
                request = Request(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    form=form,
                    json=parsed,
                )
                reply = server._answer(request)
                if reply.delay:  # not time.sleep: tests patch the SDK's sleep, which is time.sleep itself
                    threading.Event().wait(reply.delay)
                self._respond(reply)

            def _respond(self, reply: Reply) -> None:
                if isinstance(reply.body, (dict, list)):
                    payload, ctype = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
                elif isinstance(reply.body, bytes):
                    payload, ctype = reply.body, "application/octet-stream"
                else:
                    payload, ctype = str(reply.body or "").encode(), "text/plain; charset=utf-8"
                self.send_response(reply.status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away (a killed run): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler


@contextmanager
def running_slack_server(token: str = TOKEN) -> Iterator[SlackServer]:
    server = SlackServer(token).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    with running_slack_server() as server:
        yield server
