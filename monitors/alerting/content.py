"""What an alert says, decided once: Slack Block Kit, the plain-text fallback and the terminal
all render this same content, so the three can never tell different stories."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from predguard.monitors.model import AlertKind, AnyNotification, Interval, Notification, PeriodRate, ReportNotification, Verdict

Severity = Literal["critical", "warning", "info", "ok"]
TREND_WEEKS = 8
_SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Content:
    """One alert message, as plain text pieces (renderers add markup and escaping)."""

    kind: str  # the Notification kind
    rule: str  # the alert it is about (a reminder or resolved names its rule via the fingerprint)
    severity: Severity
    title: str
    fields: tuple[tuple[str, str], ...]  # (label, value), in display order
    trend: str
    action: str
    notes: tuple[str, ...]
    context: str
    trend_label: str = "Weekly trend"
    label: str = ""  # the terminal's tag; empty: from the severity


def build_content(n: AnyNotification) -> Content:
    if isinstance(n, ReportNotification):
        m = n.message
        return Content(n.kind, "validation", m.severity, m.title, m.fields, m.summary, m.action, m.notes, m.context, m.summary_label, m.label)
    v = n.verdict
    rule = alert_rule(n)
    return Content(
        kind=n.kind,
        rule=rule,
        severity=_severity(n.kind, rule),
        title=_title(n, rule),
        fields=_fields(v, rule),
        trend=trend_line(v.weekly),
        action=_action(n, rule),
        notes=v.notes,
        context=f"predguard drift · as of {v.as_of.isoformat()} · alert {n.fingerprint}",
    )


_RULES: dict[str, AlertKind] = {"breach": "breach", "drift_warning": "drift_warning"}


def alert_rule(n: Notification) -> AlertKind:
    """The alert a notification is about: its own kind, or the rule named in its fingerprint."""
    rule = _RULES.get(n.kind) or _RULES.get(n.fingerprint.split(":", 1)[0])
    if rule is not None:
        return rule
    return "drift_warning" if n.verdict.status == "drift_warning" else "breach"


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def interval_text(iv: Interval) -> str:
    if iv.n == 0 or iv.rate is None:
        return "no graded predictions"
    text = f"{percent(iv.rate)} ({iv.hits} of {iv.n} graded"
    if iv.low is not None and iv.high is not None:
        text += f", Wilson interval {percent(iv.low)}–{percent(iv.high)}"
    text += ")"
    if not iv.sufficient:
        text += ", too few to judge"
    return text


def trend_line(weekly: tuple[PeriodRate, ...], weeks: int = TREND_WEEKS) -> str:
    """A sparkline of the last weeks plus first → last, e.g. `▇▆▅▃▂▁  69.2% → 48.3% over 6 weeks`.

    Weeks with too few graded predictions show as `·` and are left out of the endpoints: they
    are not evidence either way.
    """
    recent = weekly[-weeks:]
    judged = [p for p in recent if p.interval.sufficient and p.interval.rate is not None]
    if not judged:
        return "not enough graded predictions for a weekly trend"
    rates = {id(p): p.interval.rate for p in judged if p.interval.rate is not None}
    low, high = min(rates.values()), max(rates.values())
    span = (high - low) or 1.0
    spark = "".join(
        _SPARK[round((rates[id(p)] - low) / span * (len(_SPARK) - 1))] if id(p) in rates else "·" for p in recent
    )
    first, last = judged[0], judged[-1]
    weeks_apart = (last.start - first.start).days // 7 + 1
    text = f"{spark}  {percent(first.interval.rate)} (week of {first.start.isoformat()}) → "
    text += f"{percent(last.interval.rate)} (week of {last.start.isoformat()}), {weeks_apart} weeks"
    skipped = len(recent) - len(judged)
    if skipped:
        text += f"; {skipped} week{'s' if skipped > 1 else ''} with too few graded predictions (·)"
    return text


def _severity(kind: str, rule: AlertKind) -> Severity:
    if kind == "resolved":
        return "ok"
    return "critical" if rule == "breach" else "warning"


def _title(n: Notification, rule: AlertKind) -> str:
    v = n.verdict
    what = (
        f"hit rate below {percent(v.floor)}"
        if rule == "breach"
        else f"hit rate dropping from its baseline {percent(v.baseline_rate)}"
    )
    if n.kind == "resolved":
        recovered = (
            f"above the {percent(v.floor)} floor"
            if rule == "breach"
            else f"towards its baseline {percent(v.baseline_rate)}"
        )
        return f"Resolved: {v.system_id} hit rate recovered {recovered} (now {percent(v.current.rate)})"
    if n.kind == "reminder":
        return f"Still firing: {v.system_id} {what}"
    return f"{v.system_id}: {what}"


def _fields(v: Verdict, rule: AlertKind) -> tuple[tuple[str, str], ...]:
    fields = [
        ("Model", v.system_id),
        ("Current hit rate", interval_text(v.current)),
        ("Floor / baseline", f"{percent(v.floor)} / {percent(v.baseline_rate)}"),
        ("Below the floor", _below_text(v)),
    ]
    if rule == "breach":
        evidence = f"CUSUM {v.statistic:.2f} (threshold {_threshold(v.threshold)})"
        if v.breach_reason == "weeks_rule":
            evidence = f"the team weeks rule fired first (backstop); {evidence}"
        fields.append(("Evidence", evidence))
    else:
        fields.append(
            ("Evidence", f"drop statistic {v.warning_statistic:.2f} (threshold {_threshold(v.warning_threshold)})")
        )
    fields.append(("Team weeks rule", "firing" if v.weeks_rule_firing else "not firing"))
    return tuple(fields)


def _threshold(value: float | None) -> str:
    return "none yet" if value is None else f"{value:.2f}"


def _below_text(v: Verdict) -> str:
    parts = []
    if v.breach_since is not None:
        days = (v.as_of - v.breach_since).days
        parts.append(f"breach since {v.breach_since.isoformat()} ({_days(days)})")
    weeks = v.below_floor_weeks
    parts.append(f"{weeks} complete week{'' if weeks == 1 else 's'} in a row")
    return "; ".join(parts)


def _days(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"


def _action(n: Notification, rule: AlertKind) -> str:
    v = n.verdict
    if n.kind == "resolved":
        return (
            "Nothing to do: a sequential test confirmed the recovery (not one good day). "
            "If a fix was deployed, note it in this thread so the next breach has a lead."
        )
    since = v.breach_since or _first_week_below(v.weekly, v.floor, v.below_floor_weeks) or v.as_of
    window_from = (since - dt.timedelta(days=28)).isoformat()
    steps = (
        f"Check what changed for {v.system_id} around {since.isoformat()}: model version, features, "
        "upstream data and grading. "
        + (
            "Consider retraining or rolling back to the last good model. "
            if rule == "breach"
            else "It is not below the floor yet: investigate before it is. "
        )
        + f"Replay the history with `predguard drift backtest --from {window_from} --to {v.as_of.isoformat()}` "
        "(same source as the daily job)."
    )
    if n.kind == "reminder":
        steps = "This alert is still firing and nobody has resolved it. " + steps
    return steps


def _first_week_below(weekly: tuple[PeriodRate, ...], floor: float, count: int) -> dt.date | None:
    if count <= 0 or len(weekly) < count:
        return None
    return weekly[-count].start
