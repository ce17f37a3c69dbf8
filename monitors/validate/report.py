"""The report as text (for people and logs) or JSON (for machines; fields are only ever added)."""
from __future__ import annotations

import json
from typing import Any

from predguard.monitors.validate.kinds import KINDS
from predguard.monitors.validate.model import CheckResult, Report, quantity


def format_value(result: CheckResult) -> str:
    return "—" if result.value is None else quantity(result.value, KINDS[result.kind].unit)


def summary(report: Report) -> str:
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts().items()))
    return f"overall: {report.overall} ({counts})"


def render_text(report: Report) -> str:
    lines = [
        f"predguard validate — {report.day}, {report.mode} ({report.mode_reason})",
        f"{report.warehouse} · {len(report.results)} checks · {report.queries} warehouse round trips",
        "",
    ]
    rows = [("status", "check", "value", "threshold", "evidence")]
    for r in report.results:
        detail = "; ".join(part for part in (r.evidence, r.reason) if part)
        rows.append((r.status, r.name, format_value(r), r.threshold, detail))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    lines += [f"note: {note}" for note in report.notes]
    lines += ["", summary(report)]
    return "\n".join(lines) + "\n"


def render_json(report: Report, extra: dict[str, Any] | None = None) -> str:
    return json.dumps({**report.to_json(), **(extra or {})}, indent=2, default=str) + "\n"
