"""The types of a validation run: declared checks, their expectations, and what each check found."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["pre_game", "post_game"]
MODES: tuple[Mode, ...] = ("pre_game", "post_game")
Status = Literal["ok", "warn", "error", "not_applicable", "degraded"]
# How bad a status is for the overall verdict (not_applicable is neither good nor bad news).
SEVERITY: dict[str, int] = {"ok": 0, "not_applicable": 0, "degraded": 1, "warn": 2, "error": 3}


@dataclass(frozen=True)
class Bounds:
    """A value is an error (warn) when below `error_below` (`warn_below`) or above `error_above`
    (`warn_above`); dbt's warn_if/error_if as plain numbers."""

    warn_below: float | None = None
    error_below: float | None = None
    warn_above: float | None = None
    error_above: float | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.warn_below, self.error_below, self.warn_above, self.error_above))

    def judge(self, value: float) -> Literal["ok", "warn", "error"]:
        if (self.error_below is not None and value < self.error_below) or (self.error_above is not None and value > self.error_above):
            return "error"
        if (self.warn_below is not None and value < self.warn_below) or (self.warn_above is not None and value > self.warn_above):
            return "warn"
        return "ok"

    def describe(self, unit: str = "") -> str:
        parts = []
        for level in ("error", "warn"):
            below, above = getattr(self, f"{level}_below"), getattr(self, f"{level}_above")
            if below is not None:
                parts.append(f"{level} < {quantity(below, unit)}")
            if above is not None:
                parts.append(f"{level} > {quantity(above, unit)}")
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class Expectation:
    """What a check expects in one mode; `applies=False` reads `not_applicable` in that mode."""

    applies: bool = True
    bounds: Bounds = Bounds()
    reason: str = ""  # why it does not apply, as configured


@dataclass(frozen=True)
class Check:
    name: str  # an identifier: it names the check's columns in the dashboard view
    kind: str
    table: str | None  # the declared table it reads first (custom SQL may read several)
    options: Mapping[str, Any]  # kind-specific, validated by the kind
    expectations: Mapping[Mode, Expectation]
    description: str = ""


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: str
    table: str | None
    status: Status
    value: float | None
    threshold: str  # the bounds that applied, e.g. "error < 0.95, warn < 0.99"
    evidence: str  # the numbers behind the value, e.g. "90 of 96 predictions graded"
    reason: str = ""  # why not_applicable or degraded

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "table": self.table,
            "status": self.status,
            "value": self.value,
            "threshold": self.threshold,
            "evidence": self.evidence,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Report:
    day: dt.date
    mode: Mode
    mode_reason: str  # "--mode post_game", "auto: 3 games on ..., none final (14:05 America/New_York)"
    now: dt.datetime
    warehouse: str
    queries: int  # warehouse round trips, the schema read included
    results: tuple[CheckResult, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def overall(self) -> Status:
        worst = max(self.results, key=lambda r: SEVERITY[r.status], default=None)
        if worst is None or SEVERITY[worst.status] == 0:
            return "ok"
        return worst.status

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "mode": self.mode,
            "mode_reason": self.mode_reason,
            "now": self.now.isoformat(),
            "warehouse": self.warehouse,
            "queries": self.queries,
            "overall": self.overall,
            "counts": self.counts(),
            "checks": [r.to_json() for r in self.results],
            "notes": list(self.notes),
        }


def quantity(value: float, unit: str) -> str:
    """A value as the report shows it: shares as percentages, hours with one decimal."""
    if unit == "share":
        percent = value * 100
        return f"{percent:.0f}%" if percent == round(percent) else f"{percent:.1f}%"
    if unit == "hours":
        return f"{value:.1f} h"
    return f"{value:g}"
