"""Run time: mode-aware processors that skip same-day empty data and keep real failures failures.

Everything a platform needs to wire a processor service is importable from here:

    from predguard.processors import MarkerRecorder, Outbox, Processor, open_store, push_app

    app = push_app([MyProcessor()], store="bigquery://my-proj/ops", outbox="/var/run/outbox.sqlite3")

The Pub/Sub adapter, stores, markers and phase status are loaded on first use (PEP 562), so
importing the package stays light (no werkzeug or google-cloud-bigquery).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from predguard.processors.base import Outcome, Processor, ProcessorResult, RunContext, Skip
from predguard.processors.errors import NoDataError, PermanentError, TransientError, ValidationError
from predguard.processors.modes import ModePolicy, ProcessingMode

if TYPE_CHECKING:
    from predguard.outbox import Outbox
    from predguard.processors.markers import DeadLetter, MarkerRecorder, RunMarker
    from predguard.processors.phase_status import PhaseReport, evaluate, summary_line
    from predguard.processors.pubsub import PushApp, push_app
    from predguard.processors.stores import Store, open_store
    from predguard.processors.stores.sqlite import SqliteStore

_LAZY = {
    "Outbox": "predguard.outbox",
    "DeadLetter": "predguard.processors.markers",
    "MarkerRecorder": "predguard.processors.markers",
    "RunMarker": "predguard.processors.markers",
    "PhaseReport": "predguard.processors.phase_status",
    "evaluate": "predguard.processors.phase_status",
    "summary_line": "predguard.processors.phase_status",
    "PushApp": "predguard.processors.pubsub",
    "push_app": "predguard.processors.pubsub",
    "Store": "predguard.processors.stores",
    "open_store": "predguard.processors.stores",
    "SqliteStore": "predguard.processors.stores.sqlite",
}

__all__ = [
    "DeadLetter",
    "MarkerRecorder",
    "ModePolicy",
    "NoDataError",
    "Outbox",
    "Outcome",
    "PermanentError",
    "PhaseReport",
    "ProcessingMode",
    "Processor",
    "ProcessorResult",
    "PushApp",
    "RunContext",
    "RunMarker",
    "Skip",
    "SqliteStore",
    "Store",
    "TransientError",
    "ValidationError",
    "evaluate",
    "open_store",
    "push_app",
    "summary_line",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
