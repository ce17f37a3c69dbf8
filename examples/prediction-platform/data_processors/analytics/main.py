"""The analytics service: phase-3 processors behind a Pub/Sub push endpoint.

    gunicorn --workers 2 --threads 4 data_processors.analytics.main:app   # or WEB_CONCURRENCY=2

Settings (environment): LEAGUE_TZ (mode inference), DATA_DIR, PREDGUARD_STORE (run markers
and dead letters: sqlite:///PATH or bigquery://PROJECT/DATASET), PREDGUARD_OUTBOX (the local
outbox file), ANALYTICS_WAREHOUSE (where the example writes its tables).

`app` is built on first access (PEP 562), so importing this module has no side effects.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data_processors.analytics import warehouse
from data_processors.analytics.phase3 import PHASE3
from predguard.processors import (
    MarkerRecorder,
    ModePolicy,
    Outbox,
    Processor,
    PushApp,
    SqliteStore,
    evaluate,
    push_app,
    summary_line,
)
from shared.config import load
from shared.logging_setup import setup

PHASE = 3
_RUNTIME_DIR = Path(tempfile.gettempdir()) / "prediction-platform-analytics"


def build_processors() -> list[Processor]:
    policy = ModePolicy(timezone=load().league_timezone)
    return [cls(mode_policy=policy) for cls in PHASE3]


def create_app() -> PushApp:
    setup()
    return push_app(
        build_processors(),
        store=os.environ.get("PREDGUARD_STORE") or f"sqlite:///{_RUNTIME_DIR / 'runs.sqlite3'}",
        outbox=os.environ.get("PREDGUARD_OUTBOX") or _RUNTIME_DIR / "outbox.sqlite3",
    )


_app: PushApp | None = None


def __getattr__(name: str) -> Any:
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def handler(request: Any) -> Any:
    """functions-framework entry: `functions-framework --target handler --source main.py`."""
    return __getattr__("app").http_function(request)


def demo(
    target_date: date = date(2026, 1, 30),
    *,
    now: datetime | None = None,
    workdir: Path | None = None,
    out: Callable[[str], Any] = print,
) -> int:
    """Run every phase-3 processor on a game day before its games are played, record the runs,
    and print each outcome and the phase-status line. 0 when the phase reads complete."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="analytics-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo(load().league_timezone)
    now = now or datetime.combine(target_date, time(12, 0), tzinfo=tz)  # noon: no game has started
    store = SqliteStore(workdir / "runs.sqlite3")
    recorder = MarkerRecorder(store, Outbox(workdir / "outbox.sqlite3"))
    processors = build_processors()
    previous = os.environ.get(warehouse.WAREHOUSE_ENV)
    os.environ[warehouse.WAREHOUSE_ENV] = previous or str(workdir / "warehouse.sqlite3")
    try:
        for processor in processors:
            result = processor.run(target_date, now=now, recorder=recorder)
            out(f"  {result.processor}: {result.outcome.value} ({result.mode.value}: {result.error or result.reason})")
    finally:
        if previous is None:
            del os.environ[warehouse.WAREHOUSE_ENV]
    # Read as of the same moment: on the game day the skips are complete; the day after, owed.
    report = evaluate(store, PHASE, target_date, [p.name for p in processors], today=processors[0].mode_policy.league_today(now))
    out(summary_line(report))
    return 0 if report.complete else 1
