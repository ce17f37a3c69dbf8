"""The result of one check: pass, fail, inconclusive or error, with its evidence."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, INCONCLUSIVE, ERROR = "pass", "fail", "inconclusive", "error"


@dataclass(frozen=True)
class Outcome:
    service: str
    check: str
    outcome: str  # pass | fail | inconclusive | error
    reason: str  # one line for humans
    attempts: int = 1
    latency_ms: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)  # status, body excerpt, log lines, error (redacted)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "check": self.check,
            "outcome": self.outcome,
            "reason": self.reason,
            "attempts": self.attempts,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "evidence": self.evidence,
        }
