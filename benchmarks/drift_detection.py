"""Drift detection benchmark: how fast and how quietly each detector catches a hit-rate drop.

Monte-Carlo on daily Bernoulli streams (fixed seeds), N graded predictions a day:
  A   stable 60% for 2 years                      -> false alarms per year
  A~  stable 60% with day-to-day variation: daily p ~ Normal(0.60, 0.03), clipped
  B   the incident: 69.2% for 8 weeks, linear fall to 48.3% over 4 weeks, then flat
      -> delay from the day the rate crosses 55% (negative = before it), warning lead time
  C   abrupt 65% -> 50%                           -> delay from the first day at 50%
A delay of 0 means the alarm is raised on the day itself (once its games are graded).

Day one (`day_one_scenarios`): streams measured from a system's first graded day, where the
reference period is missing, thin or interrupted. N0-N2 new systems (stable 60%, at 50% from
the start, 65% dropping to 48% on day 30); L5/L10 5 and 10 graded a day, 65% -> 40% after a
year; G21/G120 a 21- or 120-day break (no games) after a year at 65%, resuming at 48%;
S21/S120 (and ~ with sd 0.03 a day) stable 60% with such a break every year. Delays are from
the first day below the floor to the first day the alarm is up (already up = 0), for our
breach and for the weeks rule on the same streams; false alarms are alarm onsets per year
before the change (after the 8-week warm-up, except for new systems: from day 0).

Detectors: our monitor (predguard.monitors.detection.core.detect, the exact core of `evaluate`; the
tests prove both equal day by day), the team's rule (weekly rate below 55% for 2 consecutive
Sunday weeks, predguard.monitors.detection.rules), and River's ADWIN, PageHinkley and DDM at their
defaults, fed the per-prediction 0/1 errors of the same streams (paired comparison).
Every stream gets 8 weeks of warm-up before the measured part, for every detector.

Seeds: the reported table uses seed base 0; the calibration check (`--calibrate`, which
compares the Siegmund threshold design with simulated false alarms) uses seed base 1_000_000,
so nothing reported was tuned on the seeds that measure it.

    python benchmarks/drift_detection.py            # the full table (~2-4 min on 2 cores)
    python benchmarks/drift_detection.py --quick    # a small version (< 30 s)
    python benchmarks/drift_detection.py --calibrate
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from predguard.monitors.detection.config import DetectionConfig  # noqa: E402
from predguard.monitors.detection.core import detect  # noqa: E402

FloatArray = NDArray[np.float64]
WARMUP_DAYS = 56
FIRST_DAY = dt.date(2025, 1, 1)
VOLUMES = (30, 100, 300)
DETECTORS = ("ours: breach", "ours: drift_warning", "team weeks rule", "River ADWIN", "River PageHinkley", "River DDM")
RIVER = ("River ADWIN", "River PageHinkley", "River DDM")
REPORT_SEED = 0
CALIBRATION_SEED = 1_000_000


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    rates: tuple[float, ...]  # daily hit rate, warm-up included
    sd: float  # day-to-day variation of the daily rate
    change_day: int | None  # first day of the change (None: stable)
    reference_day: int | None  # the day delays are counted from


def scenarios() -> list[Scenario]:
    two_years = 730
    stable = (0.60,) * (WARMUP_DAYS + two_years)
    fall = [0.692 + (0.483 - 0.692) * k / 28 for k in range(1, 29)]
    incident = [0.692] * 56 + fall + [0.483] * 84  # the incident's 8 stable weeks are the warm-up
    crossing = next(i for i, r in enumerate(incident) if r < 0.55)
    abrupt = [0.65] * (WARMUP_DAYS + 28) + [0.50] * 84
    return [
        Scenario("A", "stable 60%, 2 years", stable, 0.0, None, None),
        Scenario("A~", "stable 60% +/- sd 0.03 a day", stable, 0.03, None, None),
        Scenario("B", "incident 69.2% -> 48.3% over 4 weeks", tuple(incident), 0.0, 56, crossing),
        Scenario("C", "abrupt 65% -> 50%", tuple(abrupt), 0.0, WARMUP_DAYS + 28, WARMUP_DAYS + 28),
    ]


def daily_rates(scenario: Scenario, rng: np.random.Generator) -> FloatArray:
    rates = np.asarray(scenario.rates, dtype=float)
    if scenario.sd:
        rates = np.clip(rates + rng.normal(0.0, scenario.sd, len(rates)), 0.0, 1.0)
    return rates


def onsets(firing: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Days an alarm starts (False -> True)."""
    previous = np.concatenate(([False], firing[:-1]))
    return np.flatnonzero(firing & ~previous)


def river_alarms(errors: NDArray[np.int8], per_day: int) -> dict[str, list[int]]:
    from river import drift  # benchmark-only dependency

    detectors = {"River ADWIN": drift.ADWIN(), "River PageHinkley": drift.PageHinkley(), "River DDM": drift.binary.DDM()}
    alarms: dict[str, list[int]] = {name: [] for name in detectors}
    values = errors.tolist()
    for name, detector in detectors.items():
        update = detector.update
        found = alarms[name]
        for i, value in enumerate(values):
            update(value)
            if detector.drift_detected:
                found.append(i // per_day)
    return alarms


def run_stream(args: tuple[str, int, int, int, bool, DetectionConfig]) -> dict[str, list[int]]:
    """Alarm days of every detector on one simulated stream."""
    key, volume, run, seed_base, with_river, config = args
    scenario = next(s for s in scenarios() if s.key == key)
    rng = np.random.default_rng([seed_base, ord(key[0]), len(key), volume, run])
    rates = daily_rates(scenario, rng)
    days = len(rates)
    if with_river:
        outcomes = rng.random((days, volume)) < rates[:, None]
        hits = outcomes.sum(axis=1).astype(float)
    else:
        outcomes = None
        hits = rng.binomial(volume, rates).astype(float)
    n = np.full(days, float(volume))
    trace = detect(n, hits, config, FIRST_DAY)
    weeks = trace.weeks
    alarms = {
        "ours: breach": list(trace.breach.fired_on),
        "ours: drift_warning": list(trace.warning.fired_on),
        "team weeks rule": onsets(weeks.firing).tolist(),
    }
    if outcomes is not None:
        alarms.update(river_alarms((~outcomes).astype(np.int8).ravel(), volume))
    return alarms


@dataclass(frozen=True)
class Cell:
    runs: int
    false_alarms_per_year: float | None = None
    median: float | None = None
    p90: float | None = None
    missed: float = 0.0


def summarise(scenario: Scenario, detector: str, results: list[dict[str, list[int]]]) -> Cell:
    rows = [r[detector] for r in results if detector in r]
    if not rows:
        return Cell(0)
    if scenario.change_day is None:
        years = (len(scenario.rates) - WARMUP_DAYS) / 365.25
        count = sum(sum(1 for day in row if day >= WARMUP_DAYS) for row in rows)
        return Cell(len(rows), false_alarms_per_year=count / (years * len(rows)))
    assert scenario.reference_day is not None
    delays = []
    for row in rows:
        after = [day for day in row if day >= scenario.change_day]
        delays.append(after[0] - scenario.reference_day if after else math.inf)
    values = np.array(delays, dtype=float)
    return Cell(
        len(rows),
        median=float(np.median(values)),
        p90=float(np.percentile(values, 90, method="higher")),
        missed=float(np.mean(~np.isfinite(values))),
    )


def simulate(
    runs: int, river_runs: int, seed_base: int, config: DetectionConfig, workers: int
) -> dict[tuple[str, int], list[dict[str, list[int]]]]:
    tasks = [
        (s.key, volume, run, seed_base, run < river_runs, config)
        for s in scenarios()
        for volume in VOLUMES
        for run in range(runs)
    ]
    # River streams are the slow ones: hand them out first so both workers stay busy.
    tasks.sort(key=lambda t: (not t[4], -t[1]))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        outputs = list(pool.map(run_stream, tasks, chunksize=8))
    grouped: dict[tuple[str, int], list[dict[str, list[int]]]] = {}
    for task, output in zip(tasks, outputs):
        grouped.setdefault((task[0], task[1]), []).append(output)
    return grouped


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "never"
    return f"{value:.{digits}f}"


def table(grouped: dict[tuple[str, int], list[dict[str, list[int]]]]) -> tuple[str, dict[tuple[str, str, int], Cell]]:
    cells: dict[tuple[str, str, int], Cell] = {}
    header = (
        "| detector | N/day | A: false alarms/yr | A~ (sd 0.03): false alarms/yr | "
        "B: delay median / p90 (missed) | C: delay median / p90 (missed) | runs (A/B) |"
    )
    lines = [header, "|" + "---|" * 7]
    for detector in DETECTORS:
        for volume in VOLUMES:
            row = {}
            for s in scenarios():
                cell = summarise(s, detector, grouped[(s.key, volume)])
                cells[(detector, s.key, volume)] = cell
                row[s.key] = cell
            b, c = row["B"], row["C"]
            if detector == "ours: drift_warning":
                b_text = f"lead {fmt(-b.median if b.median is not None else None)} / p10 lead {fmt(-b.p90 if b.p90 is not None else None)}"
            else:
                b_text = f"{fmt(b.median)} / {fmt(b.p90)} ({b.missed:.0%})"
            lines.append(
                f"| {detector} | {volume} | {fmt(row['A'].false_alarms_per_year, 3)} | "
                f"{fmt(row['A~'].false_alarms_per_year, 3)} | {b_text} | "
                f"{fmt(c.median)} / {fmt(c.p90)} ({c.missed:.0%}) | {row['A'].runs}/{b.runs} |"
            )
    return "\n".join(lines), cells


def warning_lead(grouped: dict[tuple[str, int], list[dict[str, list[int]]]], volume: int) -> float:
    """Median days between the warning and the 55% crossing in B (positive = warned before)."""
    b = next(s for s in scenarios() if s.key == "B")
    assert b.reference_day is not None
    leads = []
    for row in grouped[("B", volume)]:
        after = [day for day in row["ours: drift_warning"] if day >= (b.change_day or 0)]
        leads.append(b.reference_day - after[0] if after else -math.inf)
    return float(np.median(leads))


def targets(cells: dict[tuple[str, str, int], Cell], grouped: dict[tuple[str, int], list[dict[str, list[int]]]]) -> list[tuple[str, float, str, bool]]:
    def get(detector: str, key: str, volume: int, attr: str) -> float:
        value = getattr(cells[(detector, key, volume)], attr)
        return math.inf if value is None else float(value)

    ours = "ours: breach"
    checks = [
        ("N=100 B breach median delay", get(ours, "B", 100, "median"), "<= 6", get(ours, "B", 100, "median") <= 6),
        ("N=100 B breach p90 delay", get(ours, "B", 100, "p90"), "<= 9", get(ours, "B", 100, "p90") <= 9),
        ("N=100 C breach median delay", get(ours, "C", 100, "median"), "<= 4", get(ours, "C", 100, "median") <= 4),
        ("N=100 C breach p90 delay", get(ours, "C", 100, "p90"), "<= 6", get(ours, "C", 100, "p90") <= 6),
        ("N=100 A breach false alarms/yr", get(ours, "A", 100, "false_alarms_per_year"), "<= 0.10", get(ours, "A", 100, "false_alarms_per_year") <= 0.10),
        ("N=100 A~ breach false alarms/yr", get(ours, "A~", 100, "false_alarms_per_year"), "<= 0.15", get(ours, "A~", 100, "false_alarms_per_year") <= 0.15),
        ("N=100 B warning median lead", warning_lead(grouped, 100), ">= 7", warning_lead(grouped, 100) >= 7),
        ("N=100 A warning false alarms/yr", get("ours: drift_warning", "A", 100, "false_alarms_per_year"), "<= 0.25", get("ours: drift_warning", "A", 100, "false_alarms_per_year") <= 0.25),
        ("N=30 B breach median delay", get(ours, "B", 30, "median"), "<= 11", get(ours, "B", 30, "median") <= 11),
        ("N=30 B breach p90 delay", get(ours, "B", 30, "p90"), "<= 17", get(ours, "B", 30, "p90") <= 17),
        ("N=30 A breach false alarms/yr", get(ours, "A", 30, "false_alarms_per_year"), "<= 0.10", get(ours, "A", 30, "false_alarms_per_year") <= 0.10),
    ]
    return checks


def ratio_table(cells: dict[tuple[str, str, int], Cell]) -> str:
    """Our breach against the named baseline, the team's consecutive-weeks rule."""
    lines = [
        "| N/day | B median delay: weeks rule / ours | C median delay: weeks rule / ours | A false alarms/yr: ours vs weeks rule |",
        "|---|---|---|---|",
    ]
    for volume in VOLUMES:
        parts = []
        for key in ("B", "C"):
            rule = cells[("team weeks rule", key, volume)].median
            ours = cells[("ours: breach", key, volume)].median
            ratio = f"{rule / ours:.1f}x faster" if rule is not None and ours and math.isfinite(rule) else "-"
            parts.append(f"{fmt(rule)} / {fmt(ours)} d = {ratio}")
        fa = f"{fmt(cells[('ours: breach', 'A', volume)].false_alarms_per_year, 3)} vs {fmt(cells[('team weeks rule', 'A', volume)].false_alarms_per_year, 3)}"
        lines.append(f"| {volume} | {parts[0]} | {parts[1]} | {fa} |")
    return "\n".join(lines)


def calibration(runs: int, workers: int, config: DetectionConfig) -> str:
    """Design budget vs simulated false alarms at the design point (60%), calibration seeds."""
    tasks = [(key, volume, run, CALIBRATION_SEED, False, config) for key in ("A", "A~") for volume in VOLUMES for run in range(runs)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        outputs = list(pool.map(run_stream, tasks, chunksize=16))
    lines = [
        "| stream | N/day | design breach budget/yr | simulated breach/yr | design warning budget/yr | simulated warning/yr | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in ("A", "A~"):
        scenario = next(s for s in scenarios() if s.key == key)
        for volume in VOLUMES:
            rows = [o for t, o in zip(tasks, outputs) if t[0] == key and t[1] == volume]
            breach = summarise(scenario, "ours: breach", rows).false_alarms_per_year
            warning = summarise(scenario, "ours: drift_warning", rows).false_alarms_per_year
            lines.append(
                f"| {scenario.title} | {volume} | {config.breach_false_alarms_per_year:.3f} | {fmt(breach, 3)} | "
                f"{config.warning_false_alarms_per_year:.3f} | {fmt(warning, 3)} | {len(rows)} |"
            )
    return "\n".join(lines)


def evaluate_speed(calls: int) -> str:
    """What a backtest pays per replayed day: one evaluate() over two years of history."""
    from predguard.monitors.detection import evaluate
    from predguard.monitors.model import DayCount

    rng = np.random.default_rng(REPORT_SEED)
    history = [DayCount(FIRST_DAY + dt.timedelta(days=i), 100, int(h)) for i, h in enumerate(rng.binomial(100, 0.6, 730))]
    as_of = FIRST_DAY + dt.timedelta(days=729)
    evaluate("m", history, as_of)  # warm-up
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(calls):
            evaluate("m", history, as_of)
        best = min(best, (time.perf_counter() - started) / calls)
    return f"evaluate(): {best * 1e3:.2f} ms per call on 730 days of history (best of 3 x {calls} calls)"


# --- day one: new systems, low volume, breaks (issue: never later than the weeks rule) ----------


@dataclass(frozen=True)
class DayOne:
    key: str
    title: str
    rates: tuple[float, ...]  # daily hit rate from the system's first day
    volume: tuple[int, ...]  # graded predictions per day (0 = no games: a break)
    sd: float  # day-to-day variation of the daily rate
    change_day: int | None  # first day below the floor (None: a stable stream)
    measured_from: int  # false alarms are counted from this day (to change_day or the end)


def day_one_scenarios() -> list[DayOne]:
    def stream(parts: Sequence[tuple[int, float, int]]) -> tuple[tuple[float, ...], tuple[int, ...]]:
        rates: list[float] = []
        volume: list[int] = []
        for days, rate, n in parts:
            rates += [rate] * days
            volume += [n] * days
        return tuple(rates), tuple(volume)

    out = []
    rates, volume = stream([(120, 0.50, 100)])
    out.append(DayOne("N1", "new system at 50%, 100/day", rates, volume, 0.0, 0, 0))
    rates, volume = stream([(30, 0.65, 100), (90, 0.48, 100)])
    out.append(DayOne("N2", "new system 65%, drops to 48% on day 30", rates, volume, 0.0, 30, 0))
    rates, volume = stream([(365, 0.60, 100)])
    out.append(DayOne("N0", "new system stable 60%, first year", rates, volume, 0.0, None, 0))
    for n in (5, 10):
        rates, volume = stream([(365, 0.65, n), (120, 0.40, n)])
        out.append(DayOne(f"L{n}", f"{n}/day, 65% -> 40%", rates, volume, 0.0, 365, WARMUP_DAYS))
    for gap in (21, 120):
        rates, volume = stream([(365, 0.65, 100), (gap, 0.65, 0), (120, 0.48, 100)])
        out.append(DayOne(f"G{gap}", f"{gap}-day break, then 48%", rates, volume, 0.0, 365 + gap, WARMUP_DAYS))
    for gap in (21, 120):
        season = 365 - gap
        parts = [(season, 0.60, 100), (gap, 0.60, 0)] * 2 + [(WARMUP_DAYS, 0.60, 100)]
        rates, volume = stream(parts)
        out.append(DayOne(f"S{gap}", f"stable 60%, a {gap}-day break a year", rates, volume, 0.0, None, WARMUP_DAYS))
        out.append(DayOne(f"S{gap}~", f"stable 60% +/- sd 0.03, a {gap}-day break a year", rates, volume, 0.03, None, WARMUP_DAYS))
    return out


def run_day_one(args: tuple[str, int, int, DetectionConfig]) -> dict[str, object]:
    """Firing paths of our breach and of the weeks rule on one simulated day-one stream."""
    key, run, seed_base, config = args
    scenario = next(s for s in day_one_scenarios() if s.key == key)
    rng = np.random.default_rng([seed_base, 7, *map(ord, key), run])
    rates = np.asarray(scenario.rates, dtype=float)
    if scenario.sd:
        rates = np.clip(rates + rng.normal(0.0, scenario.sd, len(rates)), 0.0, 1.0)
    n = np.asarray(scenario.volume, dtype=float)
    hits = rng.binomial(n.astype(np.int64), rates).astype(float)
    trace = detect(n, hits, config, FIRST_DAY)
    return {
        "ours": trace.breach.firing,
        "rule": trace.weeks.firing,
        "forced": dict(zip(trace.breach.fired_on, trace.breach.forced)),
    }


@dataclass(frozen=True)
class DayOneCell:
    median: float | None
    p90: float | None
    missed: float
    false_alarms_per_year: float
    backstop_share: float | None  # share of our first alarms after the change raised by the weeks rule


def summarise_day_one(scenario: DayOne, results: list[dict[str, object]], which: str) -> DayOneCell:
    end = scenario.change_day if scenario.change_day is not None else len(scenario.rates)
    years = (end - scenario.measured_from) / 365.25
    onsets_before = 0
    delays = []
    forced = []
    for result in results:
        firing = np.asarray(result[which], dtype=bool)
        starts = onsets(firing)
        onsets_before += int(np.sum((starts >= scenario.measured_from) & (starts < end)))
        if scenario.change_day is not None:
            # The first day from the change on which the alarm is up (already up counts as 0).
            up = np.flatnonzero(firing[scenario.change_day :])
            delays.append(float(up[0]) if len(up) else math.inf)
            if which == "ours" and len(up):
                first = scenario.change_day + int(up[0])
                started = int(starts[starts <= first][-1]) if (starts <= first).any() else first
                forced.append(bool(result["forced"].get(started, False)))  # type: ignore[union-attr]
    fa = onsets_before / (years * len(results)) if years > 0 else 0.0
    if not delays:
        return DayOneCell(None, None, 0.0, fa, None)
    values = np.array(delays)
    return DayOneCell(
        float(np.median(values)),
        float(np.percentile(values, 90, method="higher")),
        float(np.mean(~np.isfinite(values))),
        fa,
        float(np.mean(forced)) if forced else None,
    )


def day_one(runs: int, workers: int, config: DetectionConfig) -> tuple[str, list[tuple[str, float, str, bool]]]:
    tasks = [(s.key, run, REPORT_SEED, config) for s in day_one_scenarios() for run in range(runs)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        outputs = list(pool.map(run_day_one, tasks, chunksize=16))
    lines = [
        "| scenario | delay median / p90 (missed): ours | weeks rule | ours raised by the backstop | false alarms/yr: ours | weeks rule | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    checks: list[tuple[str, float, str, bool]] = []
    for scenario in day_one_scenarios():
        rows = [o for t, o in zip(tasks, outputs) if t[0] == scenario.key]
        ours, rule = summarise_day_one(scenario, rows, "ours"), summarise_day_one(scenario, rows, "rule")
        delay = "-" if ours.median is None else f"{fmt(ours.median)} / {fmt(ours.p90)} ({ours.missed:.0%})"
        rule_delay = "-" if rule.median is None else f"{fmt(rule.median)} / {fmt(rule.p90)} ({rule.missed:.0%})"
        share = "-" if ours.backstop_share is None else f"{ours.backstop_share:.0%}"
        lines.append(
            f"| {scenario.key}: {scenario.title} | {delay} | {rule_delay} | {share} | "
            f"{fmt(ours.false_alarms_per_year, 3)} | {fmt(rule.false_alarms_per_year, 3)} | {len(rows)} |"
        )
        if ours.median is not None and rule.median is not None and ours.p90 is not None and rule.p90 is not None:
            checks.append((f"{scenario.key} median delay ours <= weeks rule", ours.median, f"<= {fmt(rule.median)}", ours.median <= rule.median))
            checks.append((f"{scenario.key} p90 delay ours <= weeks rule", ours.p90, f"<= {fmt(rule.p90)}", ours.p90 <= rule.p90))
        elif scenario.key.startswith("S"):
            budget = 0.15 if scenario.sd else 0.10
            fa = ours.false_alarms_per_year
            checks.append((f"{scenario.key} breach false alarms/yr", fa, f"<= {budget:.2f}", fa <= budget))
    return "\n".join(lines), checks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small version (< 30 s)")
    parser.add_argument("--calibrate", action="store_true", help="check the threshold design on calibration seeds")
    parser.add_argument("--runs", type=int, help="runs per cell for our monitor and the weeks rule")
    parser.add_argument("--river-runs", type=int, help="runs per cell for the River detectors")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    config = DetectionConfig()
    started = time.perf_counter()
    if args.calibrate:
        print(calibration(args.runs or (40 if args.quick else 500), args.workers, config))
        print(f"\n{time.perf_counter() - started:.1f} s")
        return 0
    runs = args.runs or (40 if args.quick else 1000)
    river_runs = min(runs, args.river_runs if args.river_runs is not None else (3 if args.quick else 200))
    grouped = simulate(runs, river_runs, REPORT_SEED, config, args.workers)
    text, cells = table(grouped)
    print(f"# drift detection, {dt.date.today().isoformat()}, seed base {REPORT_SEED}, {runs} runs per cell "
          f"({river_runs} for River), delays in days")
    print()
    print(text)
    print()
    print(ratio_table(cells))
    print()
    print("| target (issue #4) | measured | wanted | |")
    print("|---|---|---|---|")
    failed = 0
    for name, value, wanted, ok in targets(cells, grouped):
        failed += not ok
        print(f"| {name} | {fmt(value, 3 if 'alarms' in name else 1)} | {wanted} | {'pass' if ok else 'FAIL'} |")
    print()
    day_one_text, day_one_checks = day_one(runs, args.workers, config)
    print("## Day one: new systems, low volume, breaks (delays from the first day below the floor)")
    print()
    print(day_one_text)
    print()
    print("| target (day one) | measured | wanted | |")
    print("|---|---|---|---|")
    for name, value, wanted, ok in day_one_checks:
        failed += not ok
        print(f"| {name} | {fmt(value, 3 if 'alarms' in name else 1)} | {wanted} | {'pass' if ok else 'FAIL'} |")
    print()
    print(evaluate_speed(20 if args.quick else 300))
    print(f"\n{time.perf_counter() - started:.1f} s on {args.workers} worker(s)")
    if args.quick:
        print("(quick run: too few runs to judge the targets; run without --quick for the table)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
