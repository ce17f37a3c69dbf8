"""The data types that flow between the Dockerfile model, the import analysis and the reporters.

predguard.hooks.dockerfile   Dockerfile + context  ->  Image        (what lands where in the final stage)
predguard.hooks.entrypoints  Image                 ->  EntryPlan    (what runs, and the image's sys.path)
predguard.hooks.python       EntryPlan + Image     ->  Findings     (first-party modules the image lacks)
predguard.hooks.reporters    Findings              ->  text | json | sarif | github

Paths: `image_path` values are absolute POSIX paths inside the image ("/app/shared/config.py");
`source` values are real paths on disk, inside the build context.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ImageFile:
    image_path: str  # absolute POSIX path in the final image
    source: Path  # the file on disk (inside the build context) it was copied from
    line: int  # 1-based Dockerfile line of the COPY/ADD that brought it into the final stage


@dataclass(frozen=True)
class Command:
    """CMD or ENTRYPOINT of the final stage."""

    argv: tuple[str, ...]  # exec form as written; shell form split like a POSIX shell would
    shell: bool  # True for shell form (runs under /bin/sh -c)
    raw: str  # the instruction's text after the keyword, for messages
    line: int  # 1-based


@dataclass(frozen=True)
class CopySource:
    """One COPY/ADD instruction of the final stage, kept to place and phrase fixes."""

    line: int  # 1-based line of the instruction
    sources: tuple[str, ...]  # as written (after variable expansion)
    dest: str  # absolute image path after WORKDIR resolution
    from_stage: str | None  # --from value, if any


@dataclass(frozen=True)
class StageStep:
    """A RUN or COPY/ADD of one stage, in order, as the install model reads it."""

    line: int  # 1-based Dockerfile line
    run: str | None  # RUN: the command text incl. heredoc bodies (not expanded: the shell does that)
    copy: CopySource | None  # COPY/ADD
    workdir: str | None  # WORKDIR when the step runs
    env: Mapping[str, str]  # ARG and ENV values the step sees (unset ARGs left out); read-only


@dataclass(frozen=True)
class StageView:
    """One build stage: where it starts from and what it does, for models that follow RUN steps."""

    index: int
    name: str | None
    base: str  # the FROM image after variable expansion (a stage name when `parent` is set)
    parent: int | None  # index of the stage it is built FROM, if any
    line: int  # the FROM line
    files: dict[str, ImageFile]  # the stage's context files at its end (image path -> file)
    opaque_dirs: tuple[str, ...]
    steps: tuple[StageStep, ...]


@dataclass(frozen=True)
class Finding:
    """One problem. The JSON contract (README: "JSON output") is `Finding.to_json()`."""

    code: str  # stable rule code, e.g. "PG101"
    severity: str  # "error" | "warning"
    dockerfile: str  # path relative to --root
    message: str
    file: str  # the file the finding points at (the importing .py file, or the Dockerfile), relative to --root
    line: int  # 1-based
    column: int  # 1-based
    service: str | None = None  # service name (config, or the Dockerfile's directory name)
    module: str | None = None  # dotted module name, for import findings
    chain: tuple[str, ...] = ()  # import chain from the entrypoint: ("predictions.coordinator.app", "predictions.worker.data_loaders")
    fix: str | None = None  # a concrete fix, e.g. "COPY predictions/worker/ ./predictions/worker/"
    distribution: str | None = None  # PG102: the distribution expected to provide `module` (None: unknown or not applicable)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "dockerfile": self.dockerfile,
            "service": self.service,
            "module": self.module,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "chain": list(self.chain),
            "message": self.message,
            "fix": self.fix,
            "distribution": self.distribution,
        }


@dataclass(frozen=True)
class Image:
    """The final stage of one Dockerfile built from one context, as far as static analysis can see."""

    dockerfile: Path
    context: Path
    stage: str | None  # name (or index as a string) of the final stage / configured target
    files: dict[str, ImageFile]  # image_path -> ImageFile, every regular file that came from the context
    workdir: str | None  # final WORKDIR; None when only the (unknown) base image sets it
    env: dict[str, str]  # final ENV, PYTHONPATH included
    entrypoint: Command | None
    cmd: Command | None
    copies: tuple[CopySource, ...]  # the final stage's COPY/ADD instructions
    opaque_dirs: tuple[str, ...] = ()  # image dirs filled by what we cannot see (COPY --from=<image>, ADD <url>)
    runs: tuple[tuple[int, str], ...] = ()  # (line, command text incl. heredoc bodies) of every RUN in the final stage's ancestry
    problems: tuple[Finding, ...] = ()  # Dockerfile-side findings (PG105 and parse warnings)
    ignored_codes: dict[int, frozenset[str]] = field(default_factory=dict)  # Dockerfile pragmas: line -> codes ("*" = all)
    base: str | None = None  # the external image the final stage starts from (FROM, through FROM <stage>)
    assumed: tuple[str, ...] = ()  # what the analysis assumed an unknown base image provides, e.g. "HOME=/root"
    stages: tuple[StageView, ...] = ()  # every stage, in order (the install model follows RUN and COPY --from)
    final_index: int = -1  # index in `stages` of the stage that is built
