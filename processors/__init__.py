"""Run time: mode-aware processors that skip same-day empty data and keep real failures failures."""
from __future__ import annotations

from predguard.processors.base import Outcome, Processor, ProcessorResult, RunContext, Skip
from predguard.processors.errors import NoDataError, PermanentError, TransientError
from predguard.processors.modes import ModePolicy, ProcessingMode

__all__ = [
    "ModePolicy",
    "NoDataError",
    "Outcome",
    "PermanentError",
    "ProcessingMode",
    "Processor",
    "ProcessorResult",
    "RunContext",
    "Skip",
    "TransientError",
]
