"""The embedded default when no Slack is configured: the alert printed readably, the chart
written as a PNG next to it (file name from the fingerprint, the kind and the date)."""
from __future__ import annotations

import logging
import re
import textwrap
from pathlib import Path
from typing import TextIO

from predguard.monitors.alerting.content import Content, build_content
from predguard.monitors.alerting.delivery import Delivery
from predguard.monitors.model import AnyNotification, Notification

log = logging.getLogger(__name__)
_LABEL = {"critical": "BREACH", "warning": "DRIFT WARNING", "info": "INFO", "ok": "RESOLVED"}
_WIDTH = 100


def chart_path(chart_dir: Path, n: Notification) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", n.fingerprint).strip("_")
    return chart_dir / f"{safe}-{n.kind}-{n.verdict.as_of.isoformat()}.png"


class TerminalNotifier:
    def __init__(self, *, out: TextIO, chart_dir: Path) -> None:
        self.out = out
        self.chart_dir = chart_dir

    def send(self, n: AnyNotification) -> Delivery:
        if not isinstance(n, Notification):  # a report: no chart to draw
            self.out.write(render_terminal(build_content(n), None))
            self.out.flush()
            return Delivery.delivered()
        path = chart_path(self.chart_dir, n)
        warning = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            from predguard.monitors.chart import notification_chart  # matplotlib: only when a chart is drawn

            path.write_bytes(notification_chart(n))
            chart_line = str(path)
        except OSError as exc:
            warning = f"chart not written to {path}: {exc.strerror or exc}"
            chart_line = warning
            log.warning("chart not written", extra={"key": n.key, "path": str(path), "reason": str(exc)})
        self.out.write(render_terminal(build_content(n), chart_line))
        self.out.flush()
        return Delivery.delivered(ts=None, warning=warning)


def render_terminal(content: Content, chart_line: str | None) -> str:
    label = content.label or _LABEL[content.severity]
    if content.kind == "reminder":
        label = "REMINDER"
    rows = [*content.fields, (content.trend_label, content.trend), ("What to do", content.action)]
    if chart_line is not None:
        rows.append(("Chart", chart_line))
    width = max(len(name) for name, _ in rows) + 2
    lines = [f"[{label}] {content.title}"]
    for name, value in rows:
        # Paths stay on one line so they can be copied.
        wrapped = [value] if name == "Chart" else textwrap.wrap(value, _WIDTH - width - 2, break_on_hyphens=False) or [""]
        lines.append(f"  {name.ljust(width)}{wrapped[0]}")
        lines += [f"  {' ' * width}{more}" for more in wrapped[1:]]
    lines += [f"  note: {note}" for note in content.notes]
    lines.append(f"  {content.context}")
    return "\n".join(lines) + "\n\n"
