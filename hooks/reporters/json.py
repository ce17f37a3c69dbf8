"""Machine output. The contract other tools read (keep it stable; bump `version` on any change):

    {"version": 1,
     "findings": [{"code", "severity", "dockerfile", "service", "module", "file", "line", "column",
                   "chain", "message", "fix"}],
     "dockerfiles": [{"path", "context", "entrypoints", "status", "reason" (only when skipped)}]}

Paths are POSIX and relative to --root; `status` is "ok" | "findings" | "skipped" | "error";
`severity` is "error" | "warning" | "note".
"""
from __future__ import annotations

import json

from predguard.hooks.reporters import Report

VERSION = 1


def document(report: Report) -> dict[str, object]:
    return {
        "version": VERSION,
        "findings": [finding.to_json() for finding in report.findings],
        "dockerfiles": [
            {"path": d.path, "context": d.context, "entrypoints": list(d.entrypoints), "status": d.status,
             **({"reason": d.reason} if d.status == "skipped" else {})}
            for d in report.dockerfiles
        ],
    }


def render(report: Report, *, color: bool = False) -> str:
    return json.dumps(document(report), indent=2) + "\n"
