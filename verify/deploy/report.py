"""The verification report as text, JSON or JUnit XML (one test case per check)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from predguard.verify.deploy.outcome import ERROR, FAIL, INCONCLUSIVE
from predguard.verify.deploy.run import Result

FORMATS = ("text", "json", "junit")
_MARK = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}


def render(result: Result, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2) + "\n"
    if fmt == "junit":
        return junit(result)
    return text(result)


def text(result: Result) -> str:
    lines = []
    for service in result.services:
        state = f"ready after {service.ready_after_s:.2f} s ({service.readiness_attempts} attempt(s))" if service.ready else "never ready"
        lines.append(f"{service.name} ({service.url}): {state}")
        for o in service.outcomes:
            latency = f" [{o.latency_ms:.0f} ms]" if o.latency_ms is not None else ""
            lines.append(f"  {_MARK[o.outcome]:<12} {o.check}: {o.reason}{latency}")
            for line in o.evidence.get("matches", [])[:5]:
                lines.append(f"               | {line}")
    counts = result.counts()
    lines.append(f"verdict: {result.verdict.upper()} ({counts['pass']} passed, {counts['fail']} failed, "
                 f"{counts['inconclusive']} inconclusive, {counts['error']} errors{'; strict' if result.strict else ''}) "
                 f"in {result.seconds:.2f} s")
    if result.rollback is not None:
        r = result.rollback
        status = f"exit {r.exit_code}" if r.exit_code is not None else "timed out"
        lines.append(f"rollback: {r.command} -> {status}{'' if r.outcome == 'pass' else ' (ROLLBACK FAILED)'}")
        lines += [f"  | {line}" for line in r.output.splitlines()]
    return "\n".join(lines) + "\n"


def junit(result: Result) -> str:
    counts = result.counts()
    suites = ET.Element("testsuites", name="predguard verify-deploy")
    suite = ET.SubElement(suites, "testsuite", name="predguard verify-deploy", tests=str(len(result.outcomes)),
                          failures=str(counts[FAIL] + (counts[INCONCLUSIVE] if result.strict else 0)),
                          errors=str(counts[ERROR]), skipped=str(0 if result.strict else counts[INCONCLUSIVE]),
                          time=f"{result.seconds:.3f}", timestamp=result.started_at)
    for o in result.outcomes:
        case = ET.SubElement(suite, "testcase", classname=o.service, name=o.check,
                             time=f"{(o.latency_ms or 0) / 1000:.3f}")
        body = json.dumps(o.evidence, indent=1)
        if o.outcome == FAIL or (o.outcome == INCONCLUSIVE and result.strict):
            ET.SubElement(case, "failure", message=o.reason, type=o.outcome).text = body
        elif o.outcome == ERROR:
            ET.SubElement(case, "error", message=o.reason, type=o.outcome).text = body
        elif o.outcome == INCONCLUSIVE:
            ET.SubElement(case, "skipped", message=f"inconclusive: {o.reason}")
    if result.rollback is not None:
        ET.SubElement(suite, "system-out").text = f"rollback: {result.rollback.command} -> exit {result.rollback.exit_code}\n{result.rollback.output}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
