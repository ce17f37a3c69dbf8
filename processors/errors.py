"""Which failures are worth a retry (transient) and which are not (permanent).

Transient faults are the ones a redelivery a little later can fix: timeouts, dropped
connections, rate limits, 5xx from a cloud API, an open circuit breaker. Everything else is
permanent: retrying a bug or bad data only loops (the incident's redelivery storm).
"""
from __future__ import annotations

import http.client
import socket

import pybreaker


class ProcessorError(Exception):
    """Base of the errors processors raise on purpose."""


class TransientError(ProcessorError):
    """A processor's own signal that a retry later may succeed (e.g. an upstream not ready)."""


class PermanentError(ProcessorError):
    """A processor's own signal that retrying cannot help (bad data, a bug, a missing table)."""


class NoDataError(PermanentError):
    """Nothing was extracted for a date whose data must exist (post-game or backfill)."""


class ValidationError(PermanentError):
    """The extracted data failed the processor's validation."""


def _google_transient_types() -> tuple[type[BaseException], ...]:
    """5xx and 429 from google-api-core, when it is installed (it is an optional dependency)."""
    try:
        from google.api_core import exceptions as gexc
    except ImportError:  # pragma: no cover - the processors extra installs it
        return ()
    return (
        gexc.TooManyRequests,  # 429
        gexc.InternalServerError,  # 500
        gexc.BadGateway,  # 502
        gexc.ServiceUnavailable,  # 503
        gexc.GatewayTimeout,  # 504, and DeadlineExceeded
        gexc.RetryError,  # google-api-core's own retry budget ran out on transient faults
    )


# The declared list. A processor can add its own in `Processor.transient_errors`.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    TimeoutError,  # also socket.timeout
    ConnectionError,  # refused, reset, aborted, broken pipe
    socket.gaierror,
    http.client.IncompleteRead,
    http.client.RemoteDisconnected,
    pybreaker.CircuitBreakerError,  # the downstream is known to be failing: try again after the reset timeout
    *_google_transient_types(),
)


def is_transient(exc: BaseException, extra: tuple[type[BaseException], ...] = ()) -> bool:
    """True when `exc` (or the exception it was raised from) is one of the declared transient types."""
    if isinstance(exc, PermanentError):
        return False
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TRANSIENT_ERRORS + extra):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


def describe(exc: BaseException) -> str:
    """`Type: message`, one line, for results, markers and dead letters."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
