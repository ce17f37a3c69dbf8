from __future__ import annotations

import http.client
import http.server
import re
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pybreaker
import pytest
import requests
import urllib3
from google.api_core import exceptions as gexc

from predguard.errors import InputError
from predguard.processors.errors import (
    TRANSIENT_ENV,
    ErrorPolicy,
    NoDataError,
    PermanentError,
    TransientError,
    describe,
    is_transient,
    load_policy,
)


@pytest.mark.parametrize(
    "exc",
    [
        TimeoutError("read timed out"),
        ConnectionRefusedError("refused"),
        ConnectionResetError("reset"),
        TransientError("upstream not ready"),
        gexc.TooManyRequests("rate limited"),
        gexc.InternalServerError("500"),
        gexc.BadGateway("502"),
        gexc.ServiceUnavailable("503"),
        gexc.GatewayTimeout("504"),
        gexc.DeadlineExceeded("deadline"),
        pybreaker.CircuitBreakerError("open"),
    ],
)
def test_declared_transient_types(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("No data extracted"),
        KeyError("column"),
        gexc.BadRequest("bad query"),
        gexc.NotFound("no table"),
        gexc.Forbidden("denied"),
        PermanentError("bad data"),
        NoDataError("nothing"),
    ],
)
def test_everything_else_is_permanent(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_a_wrapped_transient_cause_is_transient_and_extra_types_count() -> None:
    try:
        try:
            raise TimeoutError("slow")
        except TimeoutError as inner:
            raise RuntimeError("load failed") from inner
    except RuntimeError as outer:
        assert is_transient(outer)

    class QuotaHiccup(Exception):
        pass

    assert not is_transient(QuotaHiccup())
    assert is_transient(QuotaHiccup(), extra=(QuotaHiccup,))


def test_describe_is_one_line() -> None:
    assert describe(ValueError("a\n  b")) == "ValueError: a b"
    assert describe(KeyError()) == "KeyError"


# --- the real exceptions of the transport libraries, raised by real calls on 127.0.0.1 -------

@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture(scope="module")
def silent_url() -> Iterator[str]:
    """Accepts connections and never answers: a read timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    server.close()


@pytest.fixture(scope="module")
def hang_up_url() -> Iterator[str]:
    """Reads the request, then closes the connection without a response."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture(scope="module")
def status_url() -> Iterator[str]:
    """Answers GET /<status> with that HTTP status."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(int(self.path.strip("/")))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def raised(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("the call did not fail")


def test_requests_connection_error_and_read_timeout_are_transient(closed_port: int, silent_url: str) -> None:
    refused = raised(lambda: requests.get(f"http://127.0.0.1:{closed_port}/", timeout=2))
    slow = raised(lambda: requests.get(silent_url, timeout=0.2))
    assert type(refused) is requests.exceptions.ConnectionError and is_transient(refused)
    assert type(slow) is requests.exceptions.ReadTimeout and is_transient(slow)


def test_urllib3_read_timeout_protocol_and_connection_errors_are_transient(closed_port: int, silent_url: str, hang_up_url: str) -> None:
    pool = urllib3.PoolManager(retries=False)
    slow = raised(lambda: pool.request("GET", silent_url, timeout=0.2))
    hung_up = raised(lambda: pool.request("GET", hang_up_url, timeout=2))
    refused = raised(lambda: pool.request("GET", f"http://127.0.0.1:{closed_port}/", timeout=2))
    retried = raised(lambda: urllib3.PoolManager(retries=1).request("GET", f"http://127.0.0.1:{closed_port}/", timeout=2))
    assert type(slow) is urllib3.exceptions.ReadTimeoutError and is_transient(slow)
    assert type(hung_up) is urllib3.exceptions.ProtocolError and is_transient(hung_up)
    assert type(refused) is urllib3.exceptions.NewConnectionError and is_transient(refused)
    assert type(retried) is urllib3.exceptions.MaxRetryError and is_transient(retried)


def test_httpx_transport_errors_are_transient(closed_port: int, silent_url: str, hang_up_url: str) -> None:
    refused = raised(lambda: httpx.get(f"http://127.0.0.1:{closed_port}/", timeout=2))
    slow = raised(lambda: httpx.get(silent_url, timeout=0.2))
    hung_up = raised(lambda: httpx.get(hang_up_url, timeout=2))
    assert type(refused) is httpx.ConnectError and is_transient(refused)
    assert type(slow) is httpx.ReadTimeout and is_transient(slow)
    assert type(hung_up) is httpx.RemoteProtocolError and is_transient(hung_up)


def test_google_auth_transport_error_is_transient(closed_port: int) -> None:
    from google.auth.exceptions import TransportError
    from google.auth.transport.requests import Request

    failed = raised(lambda: Request()(f"http://127.0.0.1:{closed_port}/token", method="POST", timeout=2))
    assert type(failed) is TransportError and is_transient(failed)


def test_urllib_errors_transient_by_cause_and_status(closed_port: int, hang_up_url: str, status_url: str) -> None:
    refused = raised(lambda: urllib.request.urlopen(f"http://127.0.0.1:{closed_port}/", timeout=2))
    hung_up = raised(lambda: urllib.request.urlopen(hang_up_url, timeout=2))
    assert type(refused) is urllib.error.URLError and is_transient(refused)  # its reason: ConnectionRefusedError
    assert type(hung_up) is http.client.RemoteDisconnected and is_transient(hung_up)
    assert not is_transient(urllib.error.URLError("unknown url type: ftp2"))
    for status, transient in ((503, True), (429, True), (500, True), (404, False), (403, False), (400, False)):
        error = raised(lambda: urllib.request.urlopen(f"{status_url}{status}", timeout=2))
        assert type(error) is urllib.error.HTTPError and is_transient(error) is transient, status


def test_http_status_errors_of_requests_and_httpx(status_url: str) -> None:
    for status, transient in ((503, True), (502, True), (404, False), (401, False)):
        from_requests = raised(lambda: requests.get(f"{status_url}{status}", timeout=2).raise_for_status())
        from_httpx = raised(lambda: httpx.get(f"{status_url}{status}", timeout=2).raise_for_status())
        assert type(from_requests) is requests.exceptions.HTTPError and is_transient(from_requests) is transient, status
        assert type(from_httpx) is httpx.HTTPStatusError and is_transient(from_httpx) is transient, status


def test_socket_and_ssl_errors() -> None:
    assert is_transient(socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"))
    assert is_transient(socket.timeout("timed out"))
    assert is_transient(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))
    assert not is_transient(ssl.SSLCertVerificationError(1, "certificate verify failed"))
    # requests reports a certificate failure as SSLError, a ConnectionError: still permanent.
    wrapped = requests.exceptions.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed"))
    assert isinstance(wrapped, requests.exceptions.ConnectionError) and not is_transient(wrapped)


def test_a_name_matches_when_the_class_is_not_importable_by_that_path() -> None:
    # A library that exposes its errors under another module than the one they are defined in.
    Busy = type("Busy", (Exception,), {"__module__": "vendored.lib.errors"})
    policy = ErrorPolicy().extended(transient=["vendored.lib.errors.Busy"])
    assert is_transient(Busy("try later"), policy=policy)
    assert not is_transient(Busy("try later"), policy=ErrorPolicy())


def test_users_extend_both_lists_in_pyproject_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.predguard.processors]\ntransient_errors = ["builtins.LookupError"]\n'
                         'permanent_errors = ["requests.exceptions.ReadTimeout"]\n')
    monkeypatch.setenv(TRANSIENT_ENV, "builtins.BufferError, vendored.lib.Busy")
    policy = load_policy(pyproject)
    assert is_transient(KeyError("x"), policy=policy) and is_transient(BufferError(), policy=policy)
    assert not is_transient(requests.exceptions.ReadTimeout("slow"), policy=policy)
    assert is_transient(requests.exceptions.ConnectTimeout("slow"), policy=policy)  # the rest of the list stands


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ('transient_errors = "builtins.KeyError"', "", "must be a list of dotted class names"),
        ('transient_errors = ["KeyError"]', "", "'KeyError' is not a dotted class name"),
        ('permanent_errors = [3]', "", "3 is not a dotted class name"),
        ("", "not a name!", "$PREDGUARD_TRANSIENT_ERRORS: 'not a name!' is not a dotted class name"),
    ],
)
def test_a_bad_list_is_one_line_naming_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, env: str, message: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.predguard.processors]\n{toml}\n")
    monkeypatch.setenv(TRANSIENT_ENV, env)
    with pytest.raises(InputError, match=re.escape(message)):
        load_policy(pyproject)
