from __future__ import annotations

import pybreaker
import pytest
from google.api_core import exceptions as gexc

from predguard.processors.errors import NoDataError, PermanentError, TransientError, describe, is_transient


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
