"""SARIF 2.1.0 (OASIS), as GitHub code scanning and other viewers read it: one run, the rule
catalogue of hooks/codes.py as `tool.driver.rules`, one result per finding located at the file
and region it points at, with the Dockerfile as a related location."""
from __future__ import annotations

import json

from predguard.hooks.codes import RULES, rule_for
from predguard.hooks.model import Finding
from predguard.hooks.reporters import Report
from predguard import __version__

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def _rule(code: str) -> dict[str, object]:
    rule = rule_for(code)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": _LEVEL.get(rule.severity, "error")},
    }


def _location(uri: str, line: int | None = None, column: int | None = None) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
    if line and line >= 1:
        physical["region"] = {"startLine": line, "startColumn": max(column or 1, 1)}
    return {"physicalLocation": physical}


def _result(finding: Finding, rule_index: int) -> dict[str, object]:
    text = finding.message
    if finding.chain:
        text += "\nchain: " + " -> ".join(finding.chain)
    if finding.fix:
        text += "\nfix: " + finding.fix
    result: dict[str, object] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _LEVEL.get(finding.severity, "error"),
        "message": {"text": text},
        "locations": [_location(finding.file, finding.line, finding.column)],
        "partialFingerprints": {"predguard/v1": f"{finding.code}:{finding.dockerfile}:{finding.module or finding.file}"},
        "properties": {"dockerfile": finding.dockerfile, "service": finding.service, "module": finding.module,
                       "chain": list(finding.chain), "fix": finding.fix},
    }
    if finding.file != finding.dockerfile:
        related = _location(finding.dockerfile)
        related.update({"id": 1, "message": {"text": "the Dockerfile whose image lacks it"}})
        result["relatedLocations"] = [related]
    return result


def document(report: Report) -> dict[str, object]:
    codes = list(RULES) + sorted({f.code for f in report.findings} - set(RULES))
    index = {code: i for i, code in enumerate(codes)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "predguard",
                "version": __version__,
                "rules": [_rule(code) for code in codes],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the --root directory"}}},
            "results": [_result(f, index[f.code]) for f in report.findings],
        }],
    }


def render(report: Report, *, color: bool = False) -> str:
    return json.dumps(document(report), indent=2) + "\n"
