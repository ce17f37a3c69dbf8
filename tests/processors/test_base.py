"""Every outcome in every mode, through the real lifecycle."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from google.api_core import exceptions as gexc

from predguard.processors import Outcome, ProcessingMode, Processor, RunContext, Skip
from predguard.processors.base import REASON_FUTURE_DATE, REASON_NO_DATA_PAST_DATE, REASON_NO_DATA_SAME_DAY
from predguard.processors.errors import TransientError, ValidationError
from predguard.processors.markers import MarkerRecorder
from tests.processors.conftest import GAME_DAY, NOON_ET, ListProcessor

ROWS = [{"game_id": "g1", "points": 101}, {"game_id": "g2", "points": 99}]
MODES = list(ProcessingMode)


def test_outcome_values_are_exactly_the_documented_strings() -> None:
    assert [o.value for o in Outcome] == ["success", "skipped", "failed_transient", "failed_permanent"]


@pytest.mark.parametrize("mode", MODES)
def test_data_is_a_success_in_every_mode(mode: ProcessingMode) -> None:
    processor = ListProcessor(ROWS)
    result = processor.run(GAME_DAY, mode=mode, now=NOON_ET)
    assert (result.outcome, result.mode) == (Outcome.SUCCESS, mode)
    assert (result.rows_extracted, result.rows_valid, result.rows_loaded) == (2, 2, 2)
    assert processor.loaded == [ROWS]
    assert result.error is None and result.duration_seconds >= 0


def test_empty_same_day_is_an_expected_skip_and_nothing_is_loaded() -> None:
    processor = ListProcessor([])
    result = processor.run(GAME_DAY, mode=ProcessingMode.SAME_DAY, now=NOON_ET)
    assert result.outcome is Outcome.SKIPPED
    assert result.reason == REASON_NO_DATA_SAME_DAY == "no_data_same_day"
    assert result.expected_skip and result.error is None
    assert processor.loaded == []


@pytest.mark.parametrize("mode", [ProcessingMode.POST_GAME, ProcessingMode.BACKFILL])
def test_empty_past_date_is_a_permanent_failure_with_a_clear_error(mode: ProcessingMode) -> None:
    result = ListProcessor([]).run(GAME_DAY, mode=mode, now=NOON_ET)
    assert result.outcome is Outcome.FAILED_PERMANENT
    assert result.reason == REASON_NO_DATA_PAST_DATE
    assert result.error == (
        f"NoDataError: no data for a past date: list_processor extracted 0 rows for 2026-01-30 in {mode.value} mode, "
        "where the data must exist"
    )
    assert not result.expected_skip


TRANSIENT = [TimeoutError("read timed out"), ConnectionResetError("reset"), gexc.ServiceUnavailable("busy"),
             gexc.TooManyRequests("slow down"), TransientError("upstream not ready")]
PERMANENT = [ValueError("No data extracted"), KeyError("home_team"), gexc.BadRequest("bad SQL"), ValidationError("negative points")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("step", ["extract", "load"])
def test_transient_faults_in_every_mode(mode: ProcessingMode, exc: BaseException, step: str) -> None:
    processor = ListProcessor(ROWS, **{f"{step}_error": exc})
    result = processor.run(GAME_DAY, mode=mode, now=NOON_ET)
    assert (result.outcome, result.mode) == (Outcome.FAILED_TRANSIENT, mode)
    assert result.reason == type(exc).__name__
    assert result.error is not None and result.error.startswith(type(exc).__name__)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exc", PERMANENT, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("step", ["extract", "load"])
def test_permanent_faults_in_every_mode(mode: ProcessingMode, exc: BaseException, step: str) -> None:
    result = ListProcessor(ROWS, **{f"{step}_error": exc}).run(GAME_DAY, mode=mode, now=NOON_ET)
    assert (result.outcome, result.mode) == (Outcome.FAILED_PERMANENT, mode)
    assert result.reason == type(exc).__name__


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 1, 30, 17, 0, tzinfo=timezone.utc), ProcessingMode.SAME_DAY),
        (datetime(2026, 2, 1, 17, 0, tzinfo=timezone.utc), ProcessingMode.POST_GAME),
        (datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc), ProcessingMode.BACKFILL),
    ],
)
def test_mode_is_inferred_from_now_when_not_given(now: datetime, expected: ProcessingMode) -> None:
    result = ListProcessor([]).run(GAME_DAY, now=now)
    assert result.mode is expected
    assert result.outcome is (Outcome.SKIPPED if expected is ProcessingMode.SAME_DAY else Outcome.FAILED_PERMANENT)


class GamesNotFinal(ListProcessor):
    """Declares its own rule: while the date's games are not final, it is a same-day run."""

    name = "games_not_final"
    final = False

    def determine_mode(self, target_date: date, now: datetime) -> ProcessingMode:
        return ProcessingMode.SAME_DAY if not self.final else super().determine_mode(target_date, now)


def test_a_processor_may_declare_its_own_mode_rule() -> None:
    next_morning = datetime(2026, 1, 31, 6, 0, tzinfo=timezone.utc)  # 01:00 in New York: the calendar says post-game
    processor = GamesNotFinal([])
    assert processor.run(GAME_DAY, now=next_morning).outcome is Outcome.SKIPPED
    processor.final = True
    result = processor.run(GAME_DAY, now=next_morning)
    assert (result.mode, result.outcome) == (ProcessingMode.POST_GAME, Outcome.FAILED_PERMANENT)


class SkipsOnPurpose(ListProcessor):
    name = "skips_on_purpose"
    expected = True

    def validate(self, data: list, ctx: RunContext) -> list:
        raise Skip("no_games_scheduled", expected=self.expected)


@pytest.mark.parametrize("expected", [True, False])
def test_a_processor_may_skip_with_its_own_reason(expected: bool) -> None:
    processor = SkipsOnPurpose(ROWS)
    processor.expected = expected
    result = processor.run(GAME_DAY, mode=ProcessingMode.POST_GAME, now=NOON_ET)
    assert (result.outcome, result.reason, result.expected_skip) == (Outcome.SKIPPED, "no_games_scheduled", expected)
    assert result.rows_extracted == 2 and processor.loaded == []


def test_every_run_is_recorded_with_its_context(recorder: MarkerRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K_REVISION", "analytics-00042-abc")
    ListProcessor([], recorder=recorder).run(GAME_DAY, now=NOON_ET, message_id="m-7", attempt=3)
    ListProcessor(ROWS, recorder=recorder).run(GAME_DAY, mode=ProcessingMode.POST_GAME, now=NOON_ET)
    markers = recorder.store.markers(target_date=GAME_DAY)
    assert [(m.outcome, m.reason, m.mode) for m in markers] == [
        ("skipped", "no_data_same_day", "same_day"),
        ("success", "loaded 2 rows", "post_game"),
    ]
    skip = markers[0]
    assert (skip.processor, skip.phase, skip.message_id, skip.attempt, skip.revision) == (
        "list_processor", 3, "m-7", 3, "analytics-00042-abc")
    assert recorder.outbox.depth() == 0


def test_revision_falls_back_to_git_sha_then_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("K_REVISION", raising=False)
    monkeypatch.setenv("GIT_SHA", "1a2b3c")
    assert ListProcessor(ROWS).run(GAME_DAY, now=NOON_ET).revision == "1a2b3c"
    monkeypatch.delenv("GIT_SHA")
    assert ListProcessor(ROWS).run(GAME_DAY, now=NOON_ET).revision == "unknown"


def test_a_processor_without_a_name_is_refused() -> None:
    class Nameless(Processor):
        pass

    with pytest.raises(TypeError, match="must set a class attribute `name`"):
        Nameless()


def test_a_future_target_date_is_rejected_unless_the_processor_accepts_it() -> None:
    processor = ListProcessor(ROWS)
    # 23:30 in New York on the 30th is already the 31st in UTC: the 31st is still the future.
    late = datetime(2026, 1, 31, 4, 30, tzinfo=timezone.utc)
    result = processor.run(date(2026, 1, 31), now=late)
    assert (result.outcome, result.reason) == (Outcome.FAILED_PERMANENT, "future_target_date")
    assert result.error == ("FutureDateError: target date 2026-01-31 is after today (2026-01-30 in America/New_York): "
                            "list_processor does not accept future dates (set accepts_future_dates = True if it should)")
    assert processor.extract_calls == 0 and processor.loaded == []  # rejected before any work
    assert processor.run(date(2026, 1, 30), now=late).outcome is Outcome.SUCCESS  # today is fine

    class Schedule(ListProcessor):
        accepts_future_dates = True

    ahead = Schedule(ROWS).run(date(2026, 2, 6), now=late)
    assert (ahead.outcome, ahead.mode) == (Outcome.SUCCESS, ProcessingMode.SAME_DAY)
