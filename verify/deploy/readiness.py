"""Wait until a service answers its health path with 2xx: exponential backoff with jitter,
bounded in attempts and in total time (tenacity), each retry logged."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx
from tenacity import RetryCallState, RetryError, Retrying, retry_if_result, stop_after_attempt, stop_after_delay, wait_exponential_jitter

from predguard.redact import redact
from predguard.verify.deploy.timeouts import AdaptiveTimeout

log = logging.getLogger("predguard.verify.deploy")


@dataclass(frozen=True)
class Readiness:
    ready: bool
    attempts: int
    seconds: float  # from the first attempt to the answer (or to giving up)
    last: str  # the last answer or error, for the report


def wait_ready(client: httpx.Client, service: str, url: str, *, budget: float, attempts: int,
               timeouts: AdaptiveTimeout, initial_wait: float = 0.05, max_wait: float = 0.5) -> Readiness:
    started = time.monotonic()
    last = ["no attempt"]

    def probe() -> bool:
        remaining = budget - (time.monotonic() - started)
        timeout = max(0.05, min(timeouts.current(), remaining))
        t0 = time.perf_counter()
        try:
            response = client.get(url, timeout=timeout)
        except httpx.HTTPError as exc:
            last[0] = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            return False
        timeouts.observe(time.perf_counter() - t0)
        last[0] = f"status {response.status_code}"
        return 200 <= response.status_code < 300

    def before_sleep(state: RetryCallState) -> None:
        log.info("%s not ready (attempt %d): %s; retrying in %.2f s", service, state.attempt_number, last[0],
                 state.next_action.sleep if state.next_action else 0.0,
                 extra={"service": service, "attempt": state.attempt_number, "reason": last[0]})

    retrying = Retrying(
        stop=stop_after_attempt(attempts) | stop_after_delay(budget),
        wait=wait_exponential_jitter(initial=initial_wait, max=max_wait, jitter=initial_wait),
        retry=retry_if_result(lambda ok: ok is False),
        before_sleep=before_sleep,
        sleep=lambda seconds: time.sleep(min(seconds, max(0.0, budget - (time.monotonic() - started)))),
    )
    try:
        retrying(probe)
        ready = True
    except RetryError:
        ready = False
    made = retrying.statistics.get("attempt_number", 1)
    return Readiness(ready, made, time.monotonic() - started, last[0])
