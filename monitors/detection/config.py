"""Detection settings, with defaults documented where they are chosen.

Every threshold the monitor uses is derived from these numbers; nothing is tuned per stream.
The false-alarm budgets are per stream (one model); for a fleet of M systems use
`DetectionConfig.for_fleet`, which splits a fleet budget evenly (M x per-stream budget).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from predguard.errors import InputError


@dataclass(frozen=True)
class DetectionConfig:
    # --- the floor and the breach CUSUM -------------------------------------------------
    floor: float = 0.55  # hit rate the model must stay above (the team's 55% line)
    # The breach CUSUM is the likelihood-ratio CUSUM of p_good = floor + shift/2 against
    # p_bad = floor - shift/2: its increments have zero mean at (almost exactly) the floor,
    # positive below it. Its false-alarm budget holds for a model running at p_good (60%).
    breach_shift: float = 0.10
    breach_false_alarms_per_year: float = 0.05  # design budget per stream (issue target: <= 0.10)
    # --- recovery (hysteresis): an upward CUSUM against floor + recovery_margin ---------
    recovery_margin: float = 0.02  # recovered means back above 57%, confirmed sequentially
    false_recoveries_per_year: float = 0.5  # for a model that stays right at the floor
    # One day adds at most 1/min_recovery_days of the recovery threshold, so no single
    # good day (however good) can resolve an alert: recovery takes >= this many game days.
    min_recovery_days: int = 3
    # --- drift warning: a drop of warning_drop from the model's own baseline ------------
    warning_drop: float = 0.10  # 10 points below the reference-period hit rate
    warning_false_alarms_per_year: float = 0.07  # design budget (issue target: <= 0.25; measured ~2x design)
    warning_recovery_margin: float = 0.02  # above baseline - drop/2 + margin, sequentially
    # --- the reference period (baseline rate, day-to-day dispersion, typical volume) -----
    # For day t the reference is the `reference_days` ending `reference_gap_days` before t,
    # so a drop being detected is not yet in its own baseline. Each day's parameters depend
    # only on earlier days: the whole path is a pure function of the past (honest backtests).
    reference_days: int = 56
    reference_gap_days: int = 28
    # phi is a property of the platform (how correlated one day's games are), so it is measured
    # on a longer window ending at the same place: a noisy phi that comes out too low inflates
    # false alarms far more than one too high slows detection.
    dispersion_days: int = 168
    min_reference_days: int = 28  # days with graded predictions needed in the reference
    # Until a system has a reference period it is judged against the floor with phi estimated
    # from its days so far, shrunk towards this prior (which counts as that many game days).
    # 1.5 is above what day-to-day variation of sd 0.03 gives at 100 a day (1.38).
    cold_start_phi: float = 1.5
    cold_start_prior_days: int = 14
    min_reference_n: int = 300  # graded predictions needed in the reference
    # --- evidence and "too few to judge" -------------------------------------------------
    evaluation_weeks: int = 8  # daily and weekly rates reported for this window
    current_days: int = 7  # the "current" window
    min_current_n: int = 100  # fewer graded predictions in the current window: judged, noted as uncertain
    min_day_n: int = 20  # a day with fewer is shown but flagged not sufficient
    min_week_n: int = 100  # a week with fewer is judged but noted as uncertain (with its interval)
    confidence: float = 0.95  # Wilson intervals
    # --- the team's rule: reported alongside, and a backstop that raises the breach itself
    weeks_rule_weeks: int = 2  # weekly rate below the floor for >= this many complete weeks
    # Complete weeks with fewer graded predictions break the run (cannot count either way).
    # 1: every week with a graded prediction counts, as the team applies the rule.
    weeks_rule_min_n: int = 1
    # The rule is a backstop for the breach on days whose typical volume is below this many graded
    # predictions a day: there the CUSUM at its budget needs two weeks or more (the rule's pace)
    # to see a rate ten points under the floor. Above it the CUSUM is faster (median and p90,
    # benchmarks/README.md) and the rule's own false alarms (0.25/yr at 30 a day) would break the
    # budget. Set it very high to never be later than the rule on any stream, at that cost.
    weeks_rule_backstop_below_n: float = 20.0

    def __post_init__(self) -> None:
        def fail(name: str, expected: str) -> None:
            raise InputError(f"{name} = {getattr(self, name)!r}: expected {expected}", where="detection config")

        for name in ("floor", "confidence"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 < value < 1.0):
                fail(name, "a number strictly between 0 and 1")
        for name in ("breach_shift", "warning_drop", "recovery_margin", "warning_recovery_margin"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 < value < 0.5):
                fail(name, "a number strictly between 0 and 0.5")
        for name in (
            "breach_false_alarms_per_year",
            "warning_false_alarms_per_year",
            "false_recoveries_per_year",
        ):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                fail(name, "a positive number of alarms per year")
        for name in (
            "reference_days",
            "dispersion_days",
            "min_reference_days",
            "evaluation_weeks",
            "current_days",
            "weeks_rule_weeks",
            "weeks_rule_min_n",
            "min_recovery_days",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                fail(name, "a whole number >= 1")
        if not (isinstance(self.weeks_rule_backstop_below_n, (int, float)) and self.weeks_rule_backstop_below_n >= 0):
            fail("weeks_rule_backstop_below_n", "a number of graded predictions a day >= 0")
        if not (isinstance(self.cold_start_phi, (int, float)) and 1.0 <= self.cold_start_phi < 100):
            fail("cold_start_phi", "a number from 1 to 100")
        for name in ("reference_gap_days", "cold_start_prior_days", "min_reference_n", "min_current_n", "min_day_n", "min_week_n"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
                fail(name, "a whole number >= 0")
        if self.min_reference_days > self.reference_days:
            fail("min_reference_days", f"at most reference_days ({self.reference_days})")
        if not (0.0 < self.floor - self.breach_shift / 2 and self.floor + self.breach_shift / 2 + self.recovery_margin < 1.0):
            fail("breach_shift", "floor +/- breach_shift/2 (+ recovery_margin) inside (0, 1)")

    @property
    def history_days(self) -> int:
        """Days of history the daily job should pass to `evaluate` (ending on as_of).

        The reference and dispersion windows of the oldest judged day in the evaluation window,
        plus that window. The CUSUM path starts at the first day passed: a healthy stream's
        statistic sits at zero most days, so a path started this far back agrees with one
        started at the beginning of time except inside a long-running episode.
        """
        return self.reference_gap_days + max(self.reference_days, self.dispersion_days) + 7 * self.evaluation_weeks

    @classmethod
    def for_fleet(cls, systems: int, fleet_false_alarms_per_year: float, **overrides: Any) -> DetectionConfig:
        """A config whose per-stream breach budget is the fleet budget split over `systems`."""
        if systems < 1:
            raise InputError(f"systems = {systems}: expected >= 1", where="detection config")
        return cls(breach_false_alarms_per_year=fleet_false_alarms_per_year / systems, **overrides)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], where: str = "[tool.predguard.drift.detection]") -> DetectionConfig:
        """Build from a TOML table; unknown keys are an InputError naming the key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise InputError(f"unknown detection setting {unknown[0]!r} (known: {', '.join(sorted(known))})", where=where)
        try:
            return replace(cls(), **table)
        except InputError as exc:
            raise InputError(exc.message, where=where) from None
