"""How the drift job and the backtest are shown: the text report and the JSON documents.

The JSON field lists are documented (and stable) in `predguard.monitors.drift`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from predguard.monitors.model import Verdict

if TYPE_CHECKING:
    from predguard.monitors.drift_backtest import BacktestAlert
    from predguard.monitors.drift_job import DailyRun, Sent

_STATUS = {
    "ok": "OK",
    "below_floor": "BELOW THE FLOOR (not confirmed yet)",
    "breach": "BREACH",
    "drift_warning": "DRIFT WARNING",
    "insufficient_data": "INSUFFICIENT DATA",
}
_REASON = {"cusum": "", "weeks_rule": " (raised by the weeks rule backstop)"}


def pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def daily_json(run: DailyRun) -> dict[str, Any]:
    return {
        "as_of": run.as_of.isoformat(),
        "source": run.source,
        "window": {"start": run.window_start.isoformat(), "end": run.as_of.isoformat()},
        "bytes_processed": run.aggregate.bytes_processed,
        "rows_after_as_of": run.aggregate.rows_after_window,
        "dry_run": run.dry_run,
        "systems": [verdict_json(v) for v in run.verdicts],
        "notifications": [dataclasses.asdict(s) for s in run.sent],
        "retrain": [dataclasses.asdict(r) for r in run.retrain],
        "pending": [dataclasses.asdict(p) for p in run.pending],
    }


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "system_id": v.system_id,
        "status": v.status,
        "firing": sorted(v.firing),
        "hit_rate": v.current.rate,
        "hit_rate_low": v.current.low,
        "hit_rate_high": v.current.high,
        "n": v.current.n,
        "hits": v.current.hits,
        "statistic": v.statistic,
        "threshold": v.threshold,
        "warning_statistic": v.warning_statistic,
        "warning_threshold": v.warning_threshold,
        "baseline_rate": v.baseline_rate,
        "floor": v.floor,
        "breach_since": v.breach_since.isoformat() if v.breach_since else None,
        "below_floor_weeks": v.below_floor_weeks,
        "weeks_rule_firing": v.weeks_rule_firing,
        "breach_reason": v.breach_reason,
        "notes": list(v.notes),
    }


def _against(statistic: str, threshold: float | None, missing: str) -> str:
    return f"{statistic} / threshold {threshold:.2f}" if threshold is not None else f"not judged: {missing}"


def _delivery_state(s: Sent) -> str:
    if s.sent is None:
        return "would send"
    if s.sent:
        return "sent"
    if s.retryable:
        return f"not sent ({s.error}); kept in the outbox for the next run"
    return f"not sent ({s.error}); dead-lettered, not retried (kept in the outbox's dead letters, not lost)"


def render_text(run: DailyRun) -> str:
    size = "" if run.aggregate.bytes_processed is None else f", {run.aggregate.bytes_processed:,} bytes processed"
    lines = [f"drift as of {run.as_of} — {run.source} (window {run.window_start} to {run.as_of}{size})"]
    for v in run.verdicts:
        c = v.current
        since = f" since {v.breach_since}" if v.breach_since else ""
        since += _REASON.get(v.breach_reason or "", "")
        lines += [
            "",
            f"{v.system_id}: {_STATUS.get(v.status, v.status.upper())}{since}",
            f"  hit rate    {pct(c.rate)} [{pct(c.low)}, {pct(c.high)}], n = {c.n}" + ("" if c.sufficient else " (few: see the interval)"),
            f"  breach      {_against(f'CUSUM {v.statistic:.2f}', v.threshold, 'no graded predictions yet')} (floor {v.floor:.0%})",
            f"  warning     {_against(f'{v.warning_statistic:.2f}', v.warning_threshold, 'no baseline yet')} (baseline {pct(v.baseline_rate)})",
            f"  weeks rule  {v.below_floor_weeks} consecutive week(s) below the floor" + (" — firing" if v.weeks_rule_firing else ""),
        ]
        lines += [f"  note        {note}" for note in v.notes]
    if run.notifications or run.sent:
        lines.append("")
        for s in run.sent:
            lines.append(f"{s.kind} {s.system_id}: {_delivery_state(s)}")
    for p in run.pending:
        lines.append(
            f"{p.kind} {p.system_id}: PENDING — another run claimed it at {p.claimed_at} and its fate is unknown; "
            f"a run after {p.retry_after} sends it (or finds it already posted)"
        )
    for r in run.retrain:
        lines.append(f"retrain {r.system_id} via {r.how}: {'ok' if r.ok else 'FAILED'} ({r.detail})")
    return "\n".join(lines) + "\n"


def backtest_json(source: str, start: str, end: str, alerts: Sequence[BacktestAlert]) -> dict[str, Any]:
    return {
        "source": source,
        "from": start,
        "to": end,
        "alerts": [{**dataclasses.asdict(a), "date": a.date.isoformat()} for a in alerts],
    }


def backtest_text(source: str, start: str, end: str, alerts: Sequence[BacktestAlert]) -> str:
    lines = [
        f"backtest {start} to {end} — {source}: {len(alerts)} alert(s)\n",
        f"(each day sees the grades known that day: the table's graded_at, else the day after the game; "
        f"the alert state starts empty on {start})\n",
    ]
    lines += [f"{a.date}  {a.system_id:<20} {a.kind:<14} {a.detail}\n" for a in alerts]
    return "".join(lines)
