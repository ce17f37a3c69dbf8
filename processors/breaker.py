"""The circuit breaker around downstream writes (pybreaker), counting only real failures.

Only `Processor.load` runs through it, so skips — which never reach `load` — cannot trip it
(the incident: a breaker opened by "no data yet" blocked the legitimate requests after them).
A processor's own permanent errors about its data (`PermanentError`) are not a sign the
downstream is failing and are excluded too.
"""
from __future__ import annotations

import logging
from typing import Any

import pybreaker

from predguard.processors.errors import PermanentError

log = logging.getLogger(__name__)


class _LogStateChanges(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        log.warning(
            "circuit breaker %s: %s -> %s", cb.name, getattr(old_state, "name", old_state), new_state.name,
            extra={"breaker": cb.name, "state": new_state.name},
        )


def make_breaker(name: str = "downstream-writes", *, fail_max: int = 5, reset_timeout: float = 60.0) -> pybreaker.CircuitBreaker:
    """A breaker that opens after `fail_max` consecutive real failures and half-opens after `reset_timeout` s."""
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_timeout,
        exclude=[PermanentError],
        listeners=[_LogStateChanges()],
        name=name,
    )


def breaker_status(breaker: pybreaker.CircuitBreaker | None) -> dict[str, Any]:
    """State and counters, for /health and /stats."""
    if breaker is None:
        return {"state": "none"}
    return {
        "name": breaker.name,
        "state": breaker.current_state,
        "fail_counter": breaker.fail_counter,
        "fail_max": breaker.fail_max,
        "reset_timeout": breaker.reset_timeout,
    }
