"""Which failures are worth a retry (transient) and which are not (permanent).

Transient faults are the ones a redelivery a little later can fix: timeouts, dropped
connections, rate limits, 5xx from a cloud API, an open circuit breaker. Everything else is
permanent: retrying a bug or bad data only loops (the incident's redelivery storm).

The lists name classes by their dotted path, so that a library that is not installed costs
nothing and users can extend them in `[tool.predguard.processors]` without code.
"""
from __future__ import annotations

import os
import re
import sys
import urllib.error
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from predguard.config import find_pyproject, load_table
from predguard.errors import InputError


class ProcessorError(Exception):
    """Base of the errors processors raise on purpose."""


class TransientError(ProcessorError):
    """A processor's own signal that a retry later may succeed (e.g. an upstream not ready)."""


class PermanentError(ProcessorError):
    """A processor's own signal that retrying cannot help (bad data, a bug, a missing table)."""


class NoDataError(PermanentError):
    """Nothing was extracted for a date whose data must exist (post-game or backfill)."""


class FutureDateError(PermanentError):
    """The target date is after the league's today, and the processor does not accept future dates."""


class ValidationError(PermanentError):
    """The extracted data failed the processor's validation."""


# Transient faults of the libraries processors really use, by public dotted name. A name is
# matched by class (isinstance) when its module is imported — an exception of a library that
# was never imported cannot exist, so nothing is imported here — and by the dotted names of
# the exception's classes otherwise (a library exposing the class under another module).
TRANSIENT_NAMES: tuple[str, ...] = (
    # standard library: socket.timeout is TimeoutError; ConnectionError covers refused,
    # reset, aborted, broken pipe and http.client.RemoteDisconnected
    "builtins.TimeoutError",
    "builtins.ConnectionError",
    "socket.gaierror",
    "http.client.IncompleteRead",
    "ssl.SSLEOFError",
    "ssl.SSLZeroReturnError",
    "ssl.SSLSyscallError",
    # requests (ConnectionError covers ConnectTimeout and ProxyError; Timeout covers ReadTimeout)
    "requests.exceptions.ConnectionError",
    "requests.exceptions.Timeout",
    "requests.exceptions.ChunkedEncodingError",
    # urllib3 (TimeoutError covers ReadTimeoutError and ConnectTimeoutError)
    "urllib3.exceptions.TimeoutError",
    "urllib3.exceptions.ProtocolError",
    "urllib3.exceptions.NewConnectionError",
    "urllib3.exceptions.MaxRetryError",
    # httpx (NetworkError covers ConnectError, ReadError, WriteError, CloseError)
    "httpx.TimeoutException",
    "httpx.NetworkError",
    "httpx.RemoteProtocolError",
    # google-auth: the token request itself failed on the network
    "google.auth.exceptions.TransportError",
    # google-api-core: 429 and 5xx (GatewayTimeout covers DeadlineExceeded), and its own retry
    # budget running out on transient faults
    "google.api_core.exceptions.TooManyRequests",
    "google.api_core.exceptions.InternalServerError",
    "google.api_core.exceptions.BadGateway",
    "google.api_core.exceptions.ServiceUnavailable",
    "google.api_core.exceptions.GatewayTimeout",
    "google.api_core.exceptions.RetryError",
    # predguard's own
    "predguard.processors.errors.TransientError",
    "pybreaker.CircuitBreakerError",  # the downstream is known to be failing: try after the reset timeout
)

# Permanent even where a transient name above also matches: a certificate that does not verify
# will not verify on the next delivery (requests raises it as an SSLError, a ConnectionError).
PERMANENT_NAMES: tuple[str, ...] = (
    "predguard.processors.errors.PermanentError",
    "ssl.SSLCertVerificationError",
)

# HTTP statuses worth a retry, for the libraries' HTTP-status errors
# (urllib.error.HTTPError, requests.exceptions.HTTPError, httpx.HTTPStatusError).
TRANSIENT_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

CONFIG_TABLE = ("processors",)  # [tool.predguard.processors] transient_errors / permanent_errors
TRANSIENT_ENV = "PREDGUARD_TRANSIENT_ERRORS"  # comma-separated dotted names, added to the list
PERMANENT_ENV = "PREDGUARD_PERMANENT_ERRORS"


@dataclass(frozen=True)
class ErrorPolicy:
    """The transient and permanent lists (dotted names); the built-in ones plus the user's."""

    transient: tuple[str, ...] = TRANSIENT_NAMES
    permanent: tuple[str, ...] = PERMANENT_NAMES

    def extended(self, transient: Iterable[str] = (), permanent: Iterable[str] = ()) -> ErrorPolicy:
        return ErrorPolicy((*self.transient, *transient), (*self.permanent, *permanent))

    def classify(self, exc: BaseException, extra: tuple[type[BaseException], ...] = ()) -> bool | None:
        """True: transient; False: permanent; None: neither list names it (permanent by default)."""
        if _matches(exc, self.permanent):
            return False
        if isinstance(exc, extra) or _matches(exc, self.transient):
            return True
        status = _http_status(exc)
        if status is not None:
            return status in TRANSIENT_HTTP_STATUSES
        return None


def _matches(exc: BaseException, names: Iterable[str]) -> bool:
    mro_names = {f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__}
    for name in names:
        if name in mro_names:
            return True
        module, _, attr = name.rpartition(".")
        cls = getattr(sys.modules.get(module), attr, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False


def _http_status(exc: BaseException) -> int | None:
    """The status of an HTTP-status error: urllib's `code`, requests' and httpx's `response.status_code`."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) and _matches(exc, _HTTP_STATUS_ERRORS) else None


_HTTP_STATUS_ERRORS = ("requests.exceptions.HTTPError", "httpx.HTTPStatusError")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what it wraps: the one it was raised from, the `reason` of a urllib
    URLError or urllib3 MaxRetryError, and exceptions in its args (requests wraps urllib3's)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        wrapped = [current.__cause__, reason, *current.args]
        pending.extend(w for w in wrapped if isinstance(w, BaseException))


def load_policy(pyproject: Path | None = None) -> ErrorPolicy:
    """The built-in lists extended by `[tool.predguard.processors]` `transient_errors` /
    `permanent_errors` (lists of dotted class names) and $PREDGUARD_TRANSIENT_ERRORS /
    $PREDGUARD_PERMANENT_ERRORS (comma-separated)."""
    table = load_table(pyproject, *CONFIG_TABLE)
    lists: dict[str, list[str]] = {}
    for key, env in (("transient_errors", TRANSIENT_ENV), ("permanent_errors", PERMANENT_ENV)):
        listed = table.get(key, [])
        where = f"{pyproject} [tool.predguard.processors] {key}"
        if not isinstance(listed, list):
            raise InputError("must be a list of dotted class names, e.g. [\"mylib.errors.Busy\"]", where=where)
        from_env = [n.strip() for n in os.environ.get(env, "").split(",") if n.strip()]
        for name, source in [(n, where) for n in listed] + [(n, f"${env}") for n in from_env]:
            if not isinstance(name, str) or not _DOTTED.fullmatch(name):
                raise InputError(f"{name!r} is not a dotted class name like 'mylib.errors.Busy'", where=source)
        lists[key] = [*listed, *from_env]
    return ErrorPolicy().extended(lists["transient_errors"], lists["permanent_errors"])


_DOTTED = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+")
_policy: ErrorPolicy | None = None


def configured_policy() -> ErrorPolicy:
    """The policy of the nearest pyproject.toml and the environment, read once per process."""
    global _policy
    if _policy is None:
        _policy = load_policy(find_pyproject(Path.cwd()))
    return _policy


def is_transient(exc: BaseException, extra: tuple[type[BaseException], ...] = (), policy: ErrorPolicy | None = None) -> bool:
    """True when `exc`, or an exception in its chain, is transient by the policy (default: the
    configured one) or one of `extra`; a permanent one in the chain first makes it permanent."""
    policy = policy or configured_policy()
    chain = list(_causes(exc))
    if any(_matches(current, policy.permanent) for current in chain):
        return False  # e.g. a certificate failure inside requests' SSLError (a ConnectionError)
    for current in chain:
        verdict = policy.classify(current, extra)
        if verdict is not None:
            return verdict
    return False


def describe(exc: BaseException) -> str:
    """`Type: message`, one line, for results, markers and dead letters."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
