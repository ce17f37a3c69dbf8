"""The breaker counts only real downstream failures: same-day skips can never open it."""
from __future__ import annotations

import pybreaker

from predguard.processors import Outcome, ProcessingMode
from predguard.processors.breaker import breaker_status, make_breaker
from predguard.processors.errors import ValidationError
from tests.processors.conftest import GAME_DAY, NOON_ET, ListProcessor

ROWS = [{"game_id": "g1"}]


def test_a_hundred_same_day_skips_keep_it_closed_then_real_failures_open_it() -> None:
    breaker = make_breaker(fail_max=3, reset_timeout=3600)
    skipping = ListProcessor([], breaker=breaker)
    for _ in range(100):
        assert skipping.run(GAME_DAY, mode=ProcessingMode.SAME_DAY, now=NOON_ET).outcome is Outcome.SKIPPED
    assert breaker.current_state == pybreaker.STATE_CLOSED
    assert breaker.fail_counter == 0

    failing = ListProcessor(ROWS, breaker=breaker, load_error=ConnectionResetError("warehouse reset the connection"))
    outcomes = [failing.run(GAME_DAY, mode=ProcessingMode.POST_GAME, now=NOON_ET) for _ in range(3)]
    assert [r.outcome for r in outcomes] == [Outcome.FAILED_TRANSIENT] * 3
    assert breaker.current_state == pybreaker.STATE_OPEN

    # While open, a healthy processor's write is refused without reaching the downstream,
    # and the refusal is transient (Pub/Sub redelivers after a backoff).
    healthy = ListProcessor(ROWS, breaker=breaker)
    blocked = healthy.run(GAME_DAY, mode=ProcessingMode.POST_GAME, now=NOON_ET)
    assert blocked.outcome is Outcome.FAILED_TRANSIENT
    assert blocked.reason == "CircuitBreakerError"
    assert healthy.loaded == []
    # ...and skips are still answered as skips, open breaker or not.
    assert skipping.run(GAME_DAY, mode=ProcessingMode.SAME_DAY, now=NOON_ET).outcome is Outcome.SKIPPED


def test_a_processors_own_data_errors_in_load_do_not_count() -> None:
    breaker = make_breaker(fail_max=2, reset_timeout=3600)
    bad_data = ListProcessor(ROWS, breaker=breaker, load_error=ValidationError("negative points"))
    for _ in range(5):
        assert bad_data.run(GAME_DAY, mode=ProcessingMode.POST_GAME, now=NOON_ET).outcome is Outcome.FAILED_PERMANENT
    assert breaker.current_state == pybreaker.STATE_CLOSED


def test_a_success_resets_the_count_and_status_reports_it() -> None:
    breaker = make_breaker(fail_max=2, reset_timeout=3600)
    ListProcessor(ROWS, breaker=breaker, load_error=TimeoutError("slow")).run(GAME_DAY, now=NOON_ET)
    assert breaker_status(breaker)["fail_counter"] == 1
    ListProcessor(ROWS, breaker=breaker).run(GAME_DAY, now=NOON_ET)
    assert breaker_status(breaker) == {
        "name": "downstream-writes", "state": "closed", "fail_counter": 0, "fail_max": 2, "reset_timeout": 3600,
    }
    assert breaker_status(None) == {"state": "none"}
