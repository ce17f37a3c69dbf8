"""The rule catalogue: every finding code predguard emits, with its name, default severity and
a one-line description. SARIF's `tool.driver.rules` and the README's rule table are made from it,
so a code is documented in one place only."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str  # kebab-case, stable (SARIF reportingDescriptor.name)
    severity: str  # default: "error" | "warning"
    summary: str  # one line, no trailing period


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("PG101", "first-party-module-missing", "error",
             "A first-party module the service imports is not copied into its image"),
        Rule("PG102", "third-party-module-not-installed", "error",
             "A third-party module the service imports is not installed in its image"),
        Rule("PG103", "entrypoint-unresolved", "error",
             "The image's entrypoint (CMD/ENTRYPOINT or configured) cannot be resolved to a module in the image"),
        Rule("PG104", "unparsable-python-file", "error",
             "A Python file in the import closure cannot be parsed"),
        Rule("PG105", "copy-source-missing", "error",
             "A COPY/ADD source is missing from the build context or excluded by .dockerignore"),
        Rule("PG106", "undefined-variable", "warning",
             "A Dockerfile variable is used but never defined (it expands to an empty string)"),
    )
}


def rule_for(code: str) -> Rule:
    """The rule for `code`; an unknown code (an engine newer than this catalogue) gets a generic entry."""
    return RULES.get(code) or Rule(code, code.lower(), "error", f"predguard finding {code}")


def markdown_table() -> str:
    """The rule table for the README (`python -c "from predguard.hooks.codes import markdown_table; print(markdown_table())"`)."""
    rows = ["| code | name | default | what it means |", "|---|---|---|---|"]
    rows += [f"| `{r.code}` | {r.name} | {r.severity} | {r.summary} |" for r in RULES.values()]
    return "\n".join(rows)
