"""The monitor judges from day one: new systems, low volume and after a break, never later
than the team's weeks rule, never `ok` below the floor, never `resolved` across a gap."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from predguard.monitors.detection import DetectionConfig, evaluate
from predguard.monitors.model import DayCount, Notification, Verdict
from predguard.monitors.state import AlertRecord, step
from tests.monitors.detection.helpers import SUNDAY, day


def seeded(rates: list[float], n: int, seed: int, start: int = 0) -> list[DayCount]:
    hits = np.random.default_rng(seed).binomial(n, rates)
    return [DayCount(day(start + i), n, int(h)) for i, h in enumerate(hits)]


def replay(history: list[DayCount], first: int, last: int) -> list[tuple[Verdict, list[Notification]]]:
    """The daily job, day by day: its window of history, then the alert state's step."""
    config = DetectionConfig()
    records: dict[str, AlertRecord] = {}
    out = []
    for i in range(first, last + 1):
        as_of = day(i)
        window = [h for h in history if as_of - dt.timedelta(days=config.history_days) < h.day <= as_of]
        verdict = evaluate("m", window, as_of, config)
        changed, sent = step(records, verdict)
        records.update(changed)
        out.append((verdict, sent))
    return out


def first_day(runs: list[tuple[Verdict, list[Notification]]], predicate: object) -> dt.date | None:
    return next((v.as_of for v, _ in runs if predicate(v)), None)  # type: ignore[operator]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_new_model_at_51_percent_for_four_weeks_is_breached_no_later_than_the_weeks_rule(seed: int) -> None:
    runs = replay(seeded([0.51] * 28, 100, seed), 0, 27)
    breach = first_day(runs, lambda v: "breach" in v.firing)
    rule = first_day(runs, lambda v: v.weeks_rule_firing)
    assert rule is not None, "two complete Sunday weeks at 51% must fire the team's rule"
    assert breach is not None and breach <= rule
    assert all(v.status != "ok" for v, _ in runs if v.current.rate is not None and v.current.rate < 0.55)


def test_the_weeks_rule_is_a_backstop_with_its_own_reason() -> None:
    # 5 graded a day from 65% to 40%: the CUSUM is slow at this volume, the rule is not allowed to be faster.
    fired = []
    rule_fired = 0
    for seed in range(8):
        runs = replay(seeded([0.65] * 70 + [0.40] * 35, 5, seed), 70, 104)
        breach = first_day(runs, lambda v: "breach" in v.firing)
        rule = first_day(runs, lambda v: v.weeks_rule_firing)
        if rule is not None:  # (an unlucky stream can look like 54% for five weeks at 5 a day)
            rule_fired += 1
            assert breach is not None and breach <= rule, seed
        fired += [v.breach_reason for v, sent in runs if any(n.kind == "breach" for n in sent)]
        assert all(v.status != "insufficient_data" for v, _ in runs)
    assert rule_fired >= 6
    assert fired and set(fired) <= {"weeks_rule", "cusum"} and "weeks_rule" in fired, fired  # the backstop carries 5 a day


def test_five_a_day_is_judged_with_its_uncertainty_stated() -> None:
    runs = replay(seeded([0.65] * 70 + [0.40] * 35, 5, 11), 104, 104)
    verdict = runs[0][0]
    assert verdict.status == "breach"
    assert verdict.current.n == 35
    assert any("only 35 graded predictions, so the rate" in note and "95% interval" in note for note in verdict.notes)


def test_after_an_off_season_a_model_at_48_percent_is_never_ok_and_nothing_resolves() -> None:
    # A warning raised before the break (75% -> 64%), a 120-day off-season, then 48%.
    before = seeded([0.75] * 150 + [0.64] * 40, 100, 3)
    resume = 190 + 120
    history = before + seeded([0.48] * 70, 100, 4, start=resume)
    runs = replay(history, 150, resume + 69)
    warned = [v.as_of for v, sent in runs if any(n.kind == "drift_warning" for n in sent)]
    assert warned and warned[0] < day(190), "the warning must be raised before the break"
    after = [(v, sent) for v, sent in runs if v.as_of >= day(resume)]
    assert all(v.status != "ok" for v, _ in after)
    assert not [n for _, sent in runs for n in sent if n.kind == "resolved"]
    # No reminders about a silent off-season, and the breach comes sooner than the weeks rule's.
    gap = [n for v, sent in runs if day(190 + 7) <= v.as_of < day(resume) for n in sent]
    assert gap == []
    breach = first_day(after, lambda v: "breach" in v.firing)
    rule = first_day(after, lambda v: v.weeks_rule_firing)
    assert breach is not None and rule is not None and breach < rule
    carried = after[0][0]
    assert carried.baseline_rate is not None and any("carries over" in note for note in carried.notes)


def test_a_resolve_needs_graded_days_at_or_above_the_floor() -> None:
    # Breach at 40%, then a break, then back at 66%: resolved only after games at 66% resume.
    history = seeded([0.66] * 100 + [0.40] * 14, 100, 5) + seeded([0.66] * 30, 100, 6, start=114 + 40)
    runs = replay(history, 100, 114 + 40 + 29)
    resolved = [v.as_of for v, sent in runs if any(n.kind == "resolved" and n.fingerprint.startswith("breach") for n in sent)]
    assert resolved and resolved[0] >= day(114 + 40 + 2), resolved  # at least min_recovery_days of games


def test_no_data_at_all_says_so_in_plain_words() -> None:
    verdict = evaluate("m", [], SUNDAY)
    assert verdict.status == "insufficient_data"
    assert verdict.notes[0] == "no graded predictions for this system up to this day: there is nothing to judge yet"
