"""Each reporter's exact output shape, from a Report built of the shared model types."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from predguard.hooks.codes import RULES
from predguard.hooks.model import Finding
from predguard.hooks.reporters import DockerfileReport, Report, get_renderer
from predguard.hooks.reporters import github, sarif, text
from predguard.hooks.reporters import json as json_reporter

PG101 = Finding(
    code="PG101",
    severity="error",
    dockerfile="predictions/coordinator/Dockerfile",
    message="`predictions.worker.data_loaders` is imported but not in the image",
    file="predictions/coordinator/app.py",
    line=29,
    column=5,
    service="coordinator",
    module="predictions.worker.data_loaders",
    chain=("predictions.coordinator.app", "predictions.worker.data_loaders"),
    fix="COPY predictions/worker/ ./predictions/worker/",
)
PG106 = Finding(
    code="PG106", severity="warning", dockerfile="svc/Dockerfile", message="undefined variable: $APP, 50%",
    file="svc/Dockerfile", line=4, column=10, service="svc",
)
DOCKERFILES = (
    DockerfileReport("predictions/coordinator/Dockerfile", "coordinator", ".", "configured in pyproject.toml",
                     ("predictions.coordinator.app",), "findings"),
    DockerfileReport("predictions/worker/Dockerfile", "worker", ".", "configured in pyproject.toml",
                     ("predictions.worker.app",), "ok"),
    DockerfileReport("svc/Dockerfile", "svc", ".", "configured in pyproject.toml", (), "findings"),
)
REPORT = Report(findings=(PG101, PG106), dockerfiles=DOCKERFILES, fix_after={PG101: 13})
CLEAN = Report(findings=(), dockerfiles=DOCKERFILES[1:2])


def test_text_is_ruff_like_with_chain_fix_and_summary() -> None:
    assert text.render(REPORT) == (
        "predictions/coordinator/app.py:29:5: PG101 `predictions.worker.data_loaders` is imported but not in the image\n"
        "  chain: predictions.coordinator.app -> predictions.worker.data_loaders\n"
        "  fix: in predictions/coordinator/Dockerfile, add after line 13: COPY predictions/worker/ ./predictions/worker/\n"
        "svc/Dockerfile:4:10: PG106 undefined variable: $APP, 50%\n"
        "Found 1 error and 1 warning in 2 of 3 Dockerfiles (context: ., configured in pyproject.toml).\n"
    )


def test_text_summaries() -> None:
    assert text.render(CLEAN) == (
        "OK: the Dockerfile copies every module its service imports (context: ., configured in pyproject.toml).\n"
    )
    warnings_only = Report(findings=(PG106,), dockerfiles=DOCKERFILES)
    assert text.summary(warnings_only).endswith("Warnings do not fail the check.")
    assert text.summary(Report((), (), changed_files=2)) == "No Dockerfile is affected by the 2 changed files."
    errored = Report((), (DockerfileReport("a/Dockerfile", "a", None, "unknown", status="error", error="a/Dockerfile: empty"),
                         DOCKERFILES[1]))
    assert text.summary(errored) == (
        "No findings in the 1 of 2 Dockerfiles that could be checked (context: ., configured in pyproject.toml)."
        " 1 Dockerfile could not be checked (see the error lines).")
    mixed = Report((), (DOCKERFILES[1], DockerfileReport("b/Dockerfile", "b", "b", "inferred")))
    assert "contexts: ., configured in pyproject.toml (1); b, inferred (1)" in text.summary(mixed)


def test_text_colour_only_when_asked() -> None:
    assert "\x1b[" not in text.render(REPORT)
    coloured = text.render(REPORT, color=True)
    assert "\x1b[31m" in coloured and "PG101" in coloured


def test_json_contract_is_exact() -> None:
    document = json.loads(json_reporter.render(REPORT))
    assert list(document) == ["version", "findings", "dockerfiles"]
    assert document["version"] == 1
    assert document["findings"][0] == {
        "code": "PG101",
        "severity": "error",
        "dockerfile": "predictions/coordinator/Dockerfile",
        "service": "coordinator",
        "module": "predictions.worker.data_loaders",
        "file": "predictions/coordinator/app.py",
        "line": 29,
        "column": 5,
        "chain": ["predictions.coordinator.app", "predictions.worker.data_loaders"],
        "message": "`predictions.worker.data_loaders` is imported but not in the image",
        "fix": "COPY predictions/worker/ ./predictions/worker/",
        "distribution": None,
    }
    assert document["findings"][1]["module"] is None and document["findings"][1]["chain"] == []
    assert document["dockerfiles"][0] == {
        "path": "predictions/coordinator/Dockerfile", "context": ".",
        "entrypoints": ["predictions.coordinator.app"], "status": "findings",
    }
    assert [d["status"] for d in document["dockerfiles"]] == ["findings", "ok", "findings"]


# The required properties of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json, OASIS) for the objects
# we emit, written out by hand because the schema cannot be fetched offline.
_TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
_LOCATION = {
    "type": "object",
    "properties": {"physicalLocation": {
        "type": "object",
        "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
        "properties": {
            "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string", "format": "uri-reference"}}},
            "region": {"type": "object", "properties": {"startLine": {"type": "integer", "minimum": 1},
                                                        "startColumn": {"type": "integer", "minimum": 1}}},
        },
    }},
}
SARIF_REQUIRED = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "rules": {"type": "array", "items": {
                        "type": "object", "required": ["id"],
                        "properties": {"id": {"type": "string"}, "shortDescription": _TEXT,
                                       "defaultConfiguration": {"type": "object", "properties": {
                                           "level": {"enum": ["none", "note", "warning", "error"]}}}},
                    }}},
                }}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}]},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "locations": {"type": "array", "items": _LOCATION},
                        "relatedLocations": {"type": "array", "items": _LOCATION},
                    },
                }},
            },
        }},
    },
}


def test_sarif_has_the_required_structure_rules_and_regions() -> None:
    document = json.loads(sarif.render(REPORT))
    jsonschema.validate(document, SARIF_REQUIRED)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    first, second = run["results"]
    assert rules[first["ruleIndex"]]["id"] == "PG101" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "predictions/coordinator/app.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 29, "startColumn": 5},
    }
    assert first["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "predictions/coordinator/Dockerfile"
    assert "fix: COPY predictions/worker/ ./predictions/worker/" in first["message"]["text"]
    assert second["ruleId"] == "PG106" and second["level"] == "warning" and "relatedLocations" not in second


def test_sarif_schema_check_can_fail() -> None:
    document = json.loads(sarif.render(REPORT))
    del document["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SARIF_REQUIRED)


def test_github_annotations_are_escaped() -> None:
    lines = github.render(REPORT).splitlines()
    assert lines[0] == (
        "::error file=predictions/coordinator/app.py,line=29,col=5,title=PG101::"
        "`predictions.worker.data_loaders` is imported but not in the image"
        "%0Achain: predictions.coordinator.app -> predictions.worker.data_loaders"
        "%0Afix: in predictions/coordinator/Dockerfile, add after line 13: COPY predictions/worker/ ./predictions/worker/"
    )
    assert lines[1] == "::warning file=svc/Dockerfile,line=4,col=10,title=PG106::undefined variable: $APP, 50%25"
    assert lines[2].startswith("Found 1 error and 1 warning")


def test_github_escaping_rules() -> None:
    assert github.escape_data("50% a:b,c\r\nd") == "50%25 a:b,c%0D%0Ad"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    odd = Finding(code="PG104", severity="error", dockerfile="Dockerfile", message="m", file="dir,with:odd%name.py",
                  line=1, column=1)
    assert github.annotation(odd) == "::error file=dir%2Cwith%3Aodd%25name.py,line=1,col=1,title=PG104::m"


@pytest.mark.parametrize("name", ["text", "json", "sarif", "github"])
def test_every_format_renders_an_empty_report(name: str) -> None:
    assert get_renderer(name)(Report((), ())).endswith("\n")


def test_text_places_only_dockerfile_instruction_fixes() -> None:
    prose = Finding(code="PG105", severity="error", dockerfile="Dockerfile", message="excluded", file="Dockerfile",
                    line=3, column=6, fix="add '!data' after line 6 of .dockerignore")
    out = text.render(Report((prose,), DOCKERFILES[2:], fix_after={prose: 2}))
    assert "  fix: add '!data' after line 6 of .dockerignore\n" in out


def test_the_rule_catalogue_covers_every_code_and_renders_for_the_readme() -> None:
    from predguard.hooks.codes import markdown_table, rule_for

    assert set(RULES) >= {"PG101", "PG102", "PG103", "PG104", "PG105", "PG106"}
    assert all(rule.severity in {"error", "warning"} and not rule.summary.endswith(".") for rule in RULES.values())
    assert rule_for("PG999").name == "pg999"
    table = markdown_table().splitlines()
    assert len(table) == 2 + len(RULES) and table[2].startswith("| `PG101` | first-party-module-missing | error |")


def test_readme_rule_table_is_the_catalogue() -> None:
    from predguard.hooks.codes import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "README's rule table differs from hooks/codes.py: paste markdown_table()"


def test_a_finding_takes_code_and_severity_from_the_catalogue() -> None:
    from predguard.hooks.codes import new_finding

    where = dict(dockerfile="Dockerfile", message="m", file="Dockerfile", line=1, column=1)
    assert new_finding("PG106", **where).severity == "warning"
    assert new_finding("PG105", severity="warning", **where).severity == "warning"
    with pytest.raises(ValueError, match="PG104 is never reported as 'warning'"):
        new_finding("PG104", severity="warning", **where)
