"""GitHub Actions workflow commands: one `::error file=...,line=...,col=...,title=CODE::message`
(or `::warning`) per finding, escaped per GitHub's rules (toolkit/core `command.ts`): in the
message `%`, CR and LF; in property values also `:` and `,`."""
from __future__ import annotations

from predguard.hooks.model import Finding
from predguard.hooks.reporters import Report
from predguard.hooks.reporters.text import _fix_text, summary


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, fix_after: int | None = None) -> str:
    kind = {"error": "error", "warning": "warning"}.get(finding.severity, "notice")
    properties = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (("file", finding.file), ("line", finding.line), ("col", finding.column), ("title", finding.code))
    )
    message = finding.message
    if finding.chain:
        message += "\nchain: " + " -> ".join(finding.chain)
    if finding.fix:
        message += "\nfix: " + _fix_text(finding, fix_after)
    return f"::{kind} {properties}::{escape_data(message)}"


def render(report: Report, *, color: bool = False) -> str:
    lines = [annotation(f, report.fix_after.get(f)) for f in report.findings]
    lines.append(summary(report))  # plain lines show in the job log
    return "\n".join(lines) + "\n"
