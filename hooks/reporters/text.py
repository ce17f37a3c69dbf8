"""Human output, ruff-like: `path:line:col: CODE message`, then the import chain and the fix,
then one summary line. Colour only when asked (the command asks on a TTY without NO_COLOR)."""
from __future__ import annotations

from collections import Counter

from predguard.hooks.model import Finding
from predguard.hooks.reporters import Report

_BOLD, _RED, _YELLOW, _CYAN, _DIM, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[2m", "\x1b[0m"


def render(report: Report, *, color: bool = False) -> str:
    def paint(text: str, *styles: str) -> str:
        return "".join(styles) + text + _RESET if color else text

    lines: list[str] = []
    for finding in report.findings:
        code_style = _RED if finding.severity == "error" else _YELLOW
        lines.append(
            f"{paint(finding.file, _BOLD)}:{finding.line}:{finding.column}: "
            f"{paint(finding.code, _BOLD, code_style)} {finding.message}"
        )
        if len(finding.chain) > 1 or (finding.chain and finding.module != finding.chain[0]):
            lines.append(f"  {paint('chain:', _DIM)} {' -> '.join(finding.chain)}")
        if finding.fix:
            lines.append(f"  {paint('fix:', _CYAN)} {_fix_text(finding, report.fix_after.get(finding))}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _fix_text(finding: Finding, after: int | None) -> str:
    if not finding.fix or not finding.fix.startswith(("COPY ", "ADD ")):
        return finding.fix or ""
    place = f"after line {after}" if after else "at the end of the final stage"
    return f"in {finding.dockerfile}, add {place}: {finding.fix}"


def summary(report: Report) -> str:
    checked = [d for d in report.dockerfiles if d.status not in ("error", "skipped")]
    skipped = [d for d in report.dockerfiles if d.status == "skipped"]
    failed = [d for d in report.dockerfiles if d.status == "error"]
    total = len(report.dockerfiles)
    if total == 0:
        if report.changed_files is not None:
            return f"No Dockerfile is affected by the {_plural(report.changed_files, 'changed file')}."
        return "No Dockerfiles found."
    with_findings = len({f.dockerfile for f in report.findings})
    errors, warnings, notes = len(report.errors), len(report.warnings), len(report.notes)
    contexts = _contexts(report)
    if errors or warnings or notes:
        counts = " and ".join(p for p in (_plural(errors, "error") if errors else "",
                                           _plural(warnings, "warning") if warnings else "",
                                           _plural(notes, "note") if notes else "") if p)
        text = f"Found {counts} in {with_findings} of {_plural(total, 'Dockerfile')} ({contexts})."
        if not errors:
            text += " Warnings and notes do not fail the check." if notes else " Warnings do not fail the check."
    elif failed:
        text = f"No findings in the {len(checked)} of {_plural(total, 'Dockerfile')} that could be checked"
        text += f" ({contexts})." if checked else "."
    else:
        what = "the Dockerfile copies every module its service imports" if len(checked) == 1 else \
            f"all {len(checked)} Dockerfiles copy every module their services import"
        text = f"OK: {what} ({contexts})."
    if skipped:
        text += f" {_plural(len(skipped), 'Dockerfile')} skipped: no Python in the image."
    if failed:
        text += f" {_plural(len(failed), 'Dockerfile')} could not be checked (see the error lines)."
    suppressed = sum(d.suppressed for d in report.dockerfiles)
    if suppressed:
        text += f" {_plural(suppressed, 'finding')} suppressed by pragmas."
    return text


def _contexts(report: Report) -> str:
    groups = Counter((d.context, d.context_reason) for d in report.dockerfiles if d.context is not None)
    if len(groups) == 1:
        (context, reason), _ = groups.popitem()
        return f"context: {context}, {reason}"
    return "contexts: " + "; ".join(f"{c}, {r} ({n})" for (c, r), n in sorted(groups.items()))


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
