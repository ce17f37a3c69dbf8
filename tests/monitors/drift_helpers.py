"""Shared helpers for the drift plumbing tests: verdicts and small graded-prediction tables."""
from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path

from predguard.monitors.model import AlertKind, Interval, Status, Verdict

EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "examples" / "prediction-platform" / "data" / "graded_predictions.csv"


def verdict(
    day: dt.date,
    *firing: AlertKind,
    system: str = "sys_a",
    status: Status | None = None,
    rate: float | None = 0.5,
) -> Verdict:
    """A verdict as detection would return it, with the fields the alert state reads."""
    if status is None:
        status = "breach" if "breach" in firing else ("drift_warning" if firing else "ok")
    n = 0 if rate is None else 100
    current = Interval(rate, None if rate is None else rate - 0.1, None if rate is None else rate + 0.1, n, round(n * (rate or 0)), n > 0)
    return Verdict(
        system_id=system, as_of=day, status=status, firing=frozenset(firing), statistic=1.0, threshold=4.0,
        warning_statistic=0.5, warning_threshold=5.0, baseline_rate=0.65, floor=0.55, current=current,
        daily=(), weekly=(),
    )


def write_rows(path: Path, rows: Iterable[tuple[object, ...]], header: tuple[str, ...] = ("game_date", "system_id", "is_correct")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else ("true" if v is True else "false" if v is False else v) for v in row])
    return path


def random_rows(start: dt.date, days: int, systems: dict[str, float], per_day: int = 40, seed: int = 7) -> list[tuple[dt.date, str, bool | None]]:
    """Graded predictions with ~10% ungraded rows, at each system's hit rate."""
    rng = random.Random(seed)
    rows: list[tuple[dt.date, str, bool | None]] = []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        for system, rate in systems.items():
            for _ in range(per_day):
                rows.append((day, system, None if rng.random() < 0.1 else rng.random() < rate))
    return rows


def python_counts(rows: Iterable[tuple[dt.date, str, bool | None]], start: dt.date, end: dt.date) -> dict[tuple[str, dt.date], tuple[int, int]]:
    """The daily counts computed in Python: the reference the engine's aggregation must match."""
    counts: dict[tuple[str, dt.date], list[int]] = {}
    for day, system, correct in rows:
        if start <= day <= end:
            cell = counts.setdefault((system, day), [0, 0])
            if correct is not None:
                cell[0] += 1
                cell[1] += int(correct)
    return {k: (v[0], v[1]) for k, v in counts.items()}
