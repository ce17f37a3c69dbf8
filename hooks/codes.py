"""The rule catalogue: every finding code predguard emits, with its name, default severity, the
lower severities it may be reported at (and when), and a one-line description.

Findings are made here (`new_finding`), never with a literal code and severity at the place that
detects them, so behaviour cannot drift from the catalogue. SARIF's `tool.driver.rules` and the
README's rule table (tested against `markdown_table()`) are made from it too.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from predguard.hooks.model import Finding

SEVERITIES = ("error", "warning", "note")  # most to least severe


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # kebab-case, stable (SARIF reportingDescriptor.name)
    severity: str  # default: "error" | "warning"
    summary: str  # one line, no trailing period
    lowered: tuple[str, ...] = ()  # lower severities this rule may be reported at
    lowered_when: str = ""  # one line: when it is reported at a lower severity

    def allows(self, severity: str) -> bool:
        return severity == self.severity or severity in self.lowered


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("PG101", "first-party-module-missing", "error",
             "A first-party module the service imports is not copied into its image",
             ("warning",),
             "warning: the conclusion depends on what an unknown base image defines (its `$HOME`). "
             "A guarded import (`try: ... except ImportError`) is still an error: first-party code belongs in the image"),
        Rule("PG102", "third-party-module-not-installed", "error",
             "A third-party module the service imports is not installed in its image",
             ("warning",),
             "warning: the import is optional, or the image does something predguard cannot read (an unknown base "
             "image, a URL install, a requirements file made by a RUN)"),
        Rule("PG103", "entrypoint-unresolved", "error",
             "The image's entrypoint (CMD/ENTRYPOINT or configured) cannot be resolved to a module in the image",
             ("warning",),
             "warning: what the entrypoint runs cannot be read, or it runs code from outside the repository: "
             "nothing is checked for that image (configure `entrypoints` to check it); or the missing entry may come "
             "from a RUN step or a base image other than the official Python one"),
        Rule("PG104", "unparsable-python-file", "error",
             "A Python file in the import closure cannot be parsed"),
        Rule("PG105", "copy-source-missing", "error",
             "A COPY/ADD source is missing from the build context or excluded by .dockerignore",
             ("warning", "note"),
             "warning: a wildcard that matches nothing; note: the source is git-ignored or named by the README beside "
             "the Dockerfile (made or downloaded before `docker build`)"),
        Rule("PG106", "undefined-variable", "warning",
             "A Dockerfile variable is used but never defined (it expands to an empty string)"),
        Rule("PG107", "import-fails-in-image", "error",
             "An import fails in the image although its code is copied: a package of the same name earlier on "
             "sys.path hides it, a module stands where a package is needed, or a relative import has no parent package",
             ("warning",),
             "warning: the conclusion depends on what an unknown base image defines (its `$HOME`)"),
    )
}


def rule_for(code: str) -> Rule:
    """The rule for `code`; an unknown code (an engine newer than this catalogue) gets a generic entry."""
    return RULES.get(code) or Rule(code, code.lower(), "error", f"predguard finding {code}")


def new_finding(code: str, *, severity: str | None = None, **fields: object) -> Finding:
    """A finding of the catalogued rule `code`, at its default severity unless `severity` names one
    the rule allows (a programming error otherwise: the catalogue is the contract)."""
    rule = RULES[code]
    chosen = severity or rule.severity
    if not rule.allows(chosen):
        raise ValueError(f"{code} is never reported as {chosen!r} (catalogue: {rule.severity}, lowered: {rule.lowered})")
    return Finding(code=code, severity=chosen, **fields)  # type: ignore[arg-type]


def lowered(finding: Finding, severity: str, because: str) -> Finding:
    """`finding` at a lower severity its rule allows, saying why."""
    if not rule_for(finding.code).allows(severity):
        raise ValueError(f"{finding.code} is never reported as {severity!r}")
    return replace(finding, severity=severity, message=f"{finding.message} ({because})")


def markdown_table() -> str:
    """The rule table for the README (`python -c "from predguard.hooks.codes import markdown_table; print(markdown_table())"`)."""
    rows = ["| code | name | default | what it means | lower severity when |", "|---|---|---|---|---|"]
    rows += [f"| `{r.code}` | {r.name} | {r.severity} | {r.summary} | {r.lowered_when or '—'} |" for r in RULES.values()]
    return "\n".join(rows)
