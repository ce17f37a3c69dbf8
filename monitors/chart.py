"""The alert chart: daily and weekly hit rate with Wilson bands, the floor, the baseline and
alert markers, as PNG bytes.

matplotlib's object API on the Agg canvas (no pyplot, so no global figure state and no GUI
backend); `metadata={"Software": None}` drops the version stamp, so the same verdict always
gives the same bytes — the outbox and the tests can compare them.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from predguard.monitors.model import Notification, PeriodRate, Verdict

_DAILY = "#9aa5b1"
_WEEKLY = "#1f5fa8"
_FLOOR = "#c62828"
_BASELINE = "#2e7d32"
_MARKER = "#6a1b9a"


def render_chart(verdict: Verdict, markers: Sequence[tuple[dt.date, str]] = ()) -> bytes:
    fig = Figure(figsize=(9, 4.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    _plot_periods(ax, verdict.daily, color=_DAILY, label="daily", line=False)
    _plot_periods(ax, verdict.weekly, color=_WEEKLY, label="weekly", line=True, offset_days=3.5)

    ax.axhline(verdict.floor, color=_FLOOR, linestyle="--", linewidth=1.3, label=f"floor {verdict.floor:.0%}")
    if verdict.baseline_rate is not None:
        ax.axhline(
            verdict.baseline_rate, color=_BASELINE, linestyle=":", linewidth=1.2,
            label=f"baseline {verdict.baseline_rate:.1%}",
        )
    for day, label in markers:
        ax.axvline(date2num(day), color=_MARKER, linewidth=1.0, alpha=0.8)
        near_right_edge = day >= verdict.as_of - dt.timedelta(days=7)  # label on the left, inside the axes
        ax.annotate(
            label, xy=(day, 1.0), xycoords=("data", "axes fraction"), xytext=(-3 if near_right_edge else 3, -12),
            textcoords="offset points", fontsize=8, color=_MARKER, ha="right" if near_right_edge else "left",
        )

    ax.set_ylim(*_y_limits(verdict))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    locator = AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_ylabel("hit rate")
    ax.set_title(f"{verdict.system_id} — hit rate as of {verdict.as_of.isoformat()}", fontsize=11, loc="left")
    fig.legend(loc="outside lower center", fontsize=8, ncols=4, frameon=False)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def notification_chart(n: Notification) -> bytes:
    """The chart a notification carries: the one it was given, else one drawn from its verdict."""
    if n.chart_png is not None:
        return n.chart_png
    return render_chart(n.verdict, default_markers(n))


def default_markers(n: Notification) -> list[tuple[dt.date, str]]:
    v = n.verdict
    markers: list[tuple[dt.date, str]] = []
    if v.breach_since is not None:
        markers.append((v.breach_since, "breach"))
    if n.kind == "resolved":
        markers.append((v.as_of, "resolved"))
    elif n.kind == "drift_warning":
        markers.append((v.as_of, "drift warning"))
    return markers


def _plot_periods(ax, periods: Sequence[PeriodRate], *, color: str, label: str, line: bool, offset_days: float = 0) -> None:  # type: ignore[no-untyped-def]
    """Rates with their Wilson band; periods with too few predictions are drawn hollow."""
    known = [p for p in periods if p.interval.rate is not None]
    if not known:
        return
    x = [dt.datetime.combine(p.start, dt.time()) + dt.timedelta(days=offset_days) for p in known]
    rate = [p.interval.rate for p in known]
    low = [p.interval.low if p.interval.low is not None else p.interval.rate for p in known]
    high = [p.interval.high if p.interval.high is not None else p.interval.rate for p in known]
    # A band from a handful of predictions spans most of the axis and says nothing: leave it out.
    sufficient = [p.interval.sufficient for p in known]
    ax.fill_between(x, low, high, where=sufficient, color=color, alpha=0.18 if line else 0.12, linewidth=0)
    if line:
        ax.plot(x, rate, color=color, linewidth=2.0, label=f"{label} (Wilson band)")
    solid = [(xi, r) for xi, r, p in zip(x, rate, known, strict=True) if p.interval.sufficient]
    hollow = [(xi, r) for xi, r, p in zip(x, rate, known, strict=True) if not p.interval.sufficient]
    if solid:
        ax.scatter(*zip(*solid, strict=True), s=14 if not line else 28, color=color, zorder=3,
                   label=None if line else f"{label} (Wilson band)")
    if hollow:
        ax.scatter(*zip(*hollow, strict=True), s=14 if not line else 28, facecolors="none", edgecolors=color,
                   zorder=3, label=f"{label}: too few to judge")


def _y_limits(v: Verdict) -> tuple[float, float]:
    values = [v.floor] + ([v.baseline_rate] if v.baseline_rate is not None else [])
    for p in (*v.daily, *v.weekly):
        bounds = (p.interval.low, p.interval.high) if p.interval.sufficient else (p.interval.rate,)
        values += [x for x in bounds if x is not None]
    low, high = min(values), max(values)
    return max(0.0, low - 0.05), min(1.0, high + 0.05)
