"""One reporter per output format, all with the same interface: `render(report, *, color=False) -> str`.

A Report is what check-dockerfiles found: the findings (after suppression) and, for every
Dockerfile checked, how it was checked (context and why, entrypoints, status).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from predguard.hooks.model import Finding

FORMATS = ("text", "json", "sarif", "github")


@dataclass(frozen=True)
class DockerfileReport:
    path: str  # relative to --root (POSIX)
    service: str
    context: str | None  # relative to --root ("." for the root itself); None when it could not be determined
    context_reason: str  # e.g. "configured in pyproject.toml", "inferred: every COPY source exists there"
    entrypoints: tuple[str, ...] = ()
    status: str = "ok"  # "ok" | "findings" | "skipped" | "error"
    reason: str | None = None  # why it was skipped (status "skipped")
    error: str | None = None  # the one-line input error when status == "error"
    suppressed: int = 0  # findings silenced by pragmas


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    dockerfiles: tuple[DockerfileReport, ...]
    # Where a finding's `fix` goes: the Dockerfile line it should follow (text output only).
    fix_after: dict[Finding, int] = field(default_factory=dict)
    changed_files: int | None = None  # FILES given on the command line (None: whole-tree run)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "note")


def get_renderer(name: str) -> Callable[..., str]:
    if name not in FORMATS:
        raise ValueError(name)
    render: Callable[..., str] = importlib.import_module(f"predguard.hooks.reporters.{name}").render
    return render
