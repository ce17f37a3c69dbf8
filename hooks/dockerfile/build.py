"""Dockerfile + build context -> `predguard.hooks.model.Image`: stages, ARG/ENV/WORKDIR, and the files each
COPY/ADD puts where, propagated through `FROM <stage>` and `COPY --from=<stage>`."""
from __future__ import annotations

import bisect
import posixpath
import re
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import cast

from predguard.hooks.dockerfile import dockerignore, gitignore, imagefs, lexer
from predguard.hooks.dockerfile.instructions import parse_arg, parse_command, parse_env, parse_flags, parse_json_array, run_text
from predguard.hooks.dockerfile.lexer import Instruction
from predguard.hooks.dockerfile.variables import Env, expand
from predguard.hooks.codes import new_finding
from predguard.hooks.model import Command, CopySource, Finding, Image, ImageFile, StageStep, StageView
from predguard.errors import InputError
from predguard.paths import display_path

_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)")
_TAR = re.compile(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$", re.IGNORECASE)
_HEREDOC_WORD = re.compile(r"^\d*<<-?(.+)$")
_VARIABLE_NAME = re.compile(r"\$\{?([A-Za-z_]\w*)")
_USES_HOME = re.compile(r"\$\{?HOME\b")
# Official Python images: their environment is known (root's $HOME is /root).
_OFFICIAL_PYTHON = re.compile(r"^(?:docker\.io/)?(?:library/)?(?:python|pypy)(?::|@|$)")
ROOT_HOME = "/root"
# Set by every python base image: using them is not a mistake we can see statically.
BASE_IMAGE_VARIABLES = frozenset(
    {"PATH", "HOME", "HOSTNAME", "LANG", "LC_ALL", "TERM", "PYTHON_VERSION", "PYTHON_SHA256", "GPG_KEY", "PYTHON_PIP_VERSION", "PYTHON_GET_PIP_URL"}
)
# Builder-expanded instructions that do not change the file system: expanded only to warn (PG106).
EXPANDED_ONLY = frozenset({"EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME"})
# BuildKit's automatic platform ARGs, defined in the global scope.
PLATFORM_ARGS = frozenset(
    {"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"}
)


class EnvHistory:
    """Every value each variable of one stage has had (ENV over ARG; None: `ARG X` without one),
    numbered in order: a RUN or COPY step keeps a snapshot in O(1). Copying the environment per
    step made a Dockerfile with thousands of ENV lines between its RUN lines quadratic."""

    def __init__(self) -> None:
        self.changes = 0
        self.values: dict[str, list[tuple[int, str | None]]] = {}

    def record(self, name: str, value: str | None) -> None:
        self.changes += 1
        self.values.setdefault(name, []).append((self.changes, value))

    def snapshot(self) -> EnvSnapshot:
        return EnvSnapshot(self, self.changes)


class EnvSnapshot(Mapping[str, str]):
    """The variables set (not None) when the snapshot was taken."""

    def __init__(self, history: EnvHistory, at: int) -> None:
        self._history, self._at = history, at

    def __getitem__(self, name: str) -> str:
        entries = self._history.values.get(name)
        if entries:
            index = bisect.bisect_right(entries, self._at, key=itemgetter(0))
            if index and (value := entries[index - 1][1]) is not None:
                return value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._history.values if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __eq__(self, other: object) -> bool:
        return dict(self) == dict(other) if isinstance(other, Mapping) else NotImplemented

    def __repr__(self) -> str:
        return f"EnvSnapshot({dict(self)!r})"


@dataclass
class Stage:
    index: int
    name: str | None
    line: int
    parent: Stage | None  # FROM <stage>
    base: str = ""  # the FROM image as expanded
    files: dict[str, ImageFile] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=lambda: {"/"})
    opaque: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str | None] = field(default_factory=dict)
    history: EnvHistory = field(default_factory=lambda: EnvHistory())
    workdir: str | None = None
    entrypoint: Command | None = None
    cmd: Command | None = None
    copies: list[CopySource] = field(default_factory=list)
    runs: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # found reading the Dockerfile (PG106, malformed COPY)
    placed_problems: list[Finding] = field(default_factory=list)  # found placing files from a context (PG105)
    depends_on: set[int] = field(default_factory=set)
    external_base: str | None = None  # external image this stage starts from (inherited through FROM <stage>)
    uses_home: bool = False  # $HOME expanded with root's /root (the base image may define another)
    steps: list[StageStep] = field(default_factory=list)  # RUN and COPY/ADD in order, for the install model

    def reset_files(self) -> None:
        self.files, self.dirs, self.opaque, self.placed_problems = {}, {"/"}, [], []

    def add_step(self, line: int, run: str | None = None, copy: CopySource | None = None) -> None:
        self.steps.append(StageStep(line=line, run=run, copy=copy, workdir=self.workdir, env=self.history.snapshot()))

    def assign(self, table: dict[str, str] | dict[str, str | None], values: list[tuple[str, str]] | list[tuple[str, str | None]]) -> None:
        """ENV (`table` is self.env) or ARG (self.args) assignments, kept in the history as the value
        each name now expands to: ENV wins over ARG of the same name."""
        table.update(values)  # type: ignore[arg-type]  # each table receives its own kind of values
        for name, _ in values:
            self.history.record(name, self.env[name] if name in self.env else self.args.get(name))

    @property
    def label(self) -> str:
        return self.name or str(self.index)

    def expansion_env(self) -> Env:
        # A live view, not a copy (copying made a Dockerfile with thousands of ENV lines quadratic):
        # ENV wins over ARG of the same name; instructions that assign collect first, then assign.
        # Read through Env (a Mapping) only, so ENV's str values may sit beside ARG's str | None.
        return ChainMap(cast("dict[str, str | None]", self.env), self.args)

    def add_file(self, image_path: str, source: Path, line: int) -> None:
        self.files[image_path] = ImageFile(image_path=image_path, source=source, line=line)
        self.add_dir(posixpath.dirname(image_path))

    def add_dir(self, path: str) -> None:
        while path not in self.dirs:
            self.dirs.add(path)
            path = posixpath.dirname(path)

    def add_opaque(self, path: str) -> None:
        if path not in self.opaque:
            self.opaque.append(path)


@dataclass
class Builder:
    """Reads the instructions once (`run`: stages, ARG/ENV/WORKDIR, CMD, every COPY source
    expanded), recording what depends on the build context as placement steps that `place`
    replays against a context. Context discovery reads `context_sources` of the same run."""

    dockerfile: Path
    rel_dockerfile: str
    escape: str
    build_args: Mapping[str, str]
    root: Path
    stages: list[Stage] = field(default_factory=list)
    global_args: dict[str, str | None] = field(default_factory=dict)
    global_problems: list[Finding] = field(default_factory=list)
    context_sources: list[str] = field(default_factory=list)  # literal (no wildcard) context paths COPY/ADD read
    undefined_reported: set[tuple[int, str]] = field(default_factory=set)  # PG106 once per (stage, variable)
    steps: list[Callable[[], None]] = field(default_factory=list)  # placement, in instruction order
    # Set by `place`:
    context: Path | None = None
    index: imagefs.ContextIndex | None = None
    ignore_name: str = ".dockerignore"
    context_shown: str = "."

    # -- findings -------------------------------------------------------------------------------

    def finding(self, stage: Stage | None, code: str, instr: Instruction, token: str | None, message: str, fix: str | None, *, severity: str | None = None) -> None:
        line, column = locate(instr, token)
        found = new_finding(code, severity=severity, dockerfile=self.rel_dockerfile, message=message, file=self.rel_dockerfile, line=line, column=column, fix=fix)
        if stage is None:
            self.global_problems.append(found)
        else:
            (stage.placed_problems if self.index is not None else stage.problems).append(found)

    def place(self, context: Path, index: imagefs.ContextIndex, ignore_name: str, context_shown: str) -> None:
        """Put the context's files where the recorded COPY/ADD steps put them (replaces any earlier placement)."""
        self.context, self.index, self.ignore_name, self.context_shown = context, index, ignore_name, context_shown
        for stage in self.stages:
            stage.reset_files()
        for step in self.steps:
            step()

    def expand(self, stage: Stage | None, instr: Instruction, word: str, env: Env, base_vars: bool, defining: str | None = None) -> str:
        if base_vars and stage is not None and "HOME" not in env and _USES_HOME.search(word):
            env = {**env, "HOME": ROOT_HOME}  # root's home, unless the base image says otherwise
            stage.uses_home = True
        result = expand(word, env, self.escape)
        for name in result.undefined:
            if name in PLATFORM_ARGS or (base_vars and name in BASE_IMAGE_VARIABLES) or name == defining:
                continue  # `ENV X=a:${X}` appends to what the base image may define
            key = (stage.index if stage is not None else -1, name)
            if key in self.undefined_reported:
                continue  # one warning per variable and stage, at its first use
            self.undefined_reported.add(key)
            self.finding(
                stage, "PG106", instr, "${" + name if "${" + name in "\n".join(instr.lines) else "$" + name,
                f"variable '{name}' is used but no ARG or ENV defines it: it expands to an empty string",
                f"declare it with 'ARG {name}=<default>' (build args only reach declared ARGs) or set 'ENV {name}=...'",
            )
        return result.text

    # -- instructions ---------------------------------------------------------------------------

    def run(self, instructions: tuple[Instruction, ...]) -> None:
        for instr in instructions:
            kw = instr.keyword
            if kw == "FROM":
                self.do_from(instr)
            elif not self.stages:
                if kw == "ARG":
                    self.do_global_arg(instr)
                continue  # anything else before FROM is a BuildKit error; nothing to model
            elif kw == "ARG":
                self.do_arg(self.stages[-1], instr)
            elif kw == "ENV":
                self.do_env(self.stages[-1], instr)
            elif kw == "WORKDIR":
                self.do_workdir(self.stages[-1], instr)
            elif kw in ("COPY", "ADD"):
                self.do_copy(self.stages[-1], instr)
            elif kw == "RUN":
                self.stages[-1].runs.append((instr.line, run_text(instr)))
                self.stages[-1].add_step(instr.line, run=run_text(instr))
            elif kw in ("CMD", "ENTRYPOINT"):
                command = parse_command(instr)
                stage = self.stages[-1]
                if kw == "CMD":
                    stage.cmd = command
                else:
                    stage.entrypoint = command
                    stage.cmd = None  # ENTRYPOINT resets an inherited CMD; a later CMD sets it again
            elif kw in EXPANDED_ONLY:
                stage = self.stages[-1]
                self.expand(stage, instr, instr.value, stage.expansion_env(), base_vars=True)  # for PG106 only
            # ONBUILD runs in child images only; the rest does not change which files land where.

    def do_global_arg(self, instr: Instruction) -> None:
        env = dict(self.global_args)
        for name, default in parse_arg(instr.value, self.escape):
            if name in self.build_args:
                self.global_args[name] = self.build_args[name]
            elif default is not None:
                self.global_args[name] = self.expand(None, instr, default, env, base_vars=False)
            else:
                self.global_args[name] = None

    def do_from(self, instr: Instruction) -> None:
        flags, rest = parse_flags(instr.value)
        words = rest.split()
        if not words:
            raise InputError("FROM without an image", where=f"{self.rel_dockerfile}:{instr.line}")
        image = self.expand(None, instr, words[0], self.global_args, base_vars=False)
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        parent = self.stage_named(image)
        stage = Stage(index=len(self.stages), name=name, line=instr.line, parent=parent, base=image,
                      external_base=parent.external_base if parent else image)
        if parent is not None:
            self.steps.append(lambda: _inherit_files(stage, parent))
            stage.assign(stage.env, list(parent.env.items()))
            stage.workdir = parent.workdir
            stage.entrypoint, stage.cmd = parent.entrypoint, parent.cmd
            stage.depends_on.add(parent.index)
        self.stages.append(stage)

    def stage_named(self, ref: str) -> Stage | None:
        ref = ref.lower()
        for stage in self.stages:
            if stage.name == ref:
                return stage
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def do_arg(self, stage: Stage, instr: Instruction) -> None:
        env = stage.expansion_env()
        values: list[tuple[str, str | None]] = []  # assigned after expanding all: one snapshot per instruction
        for name, default in parse_arg(instr.value, self.escape):
            if name in self.build_args:
                values.append((name, self.build_args[name]))
            elif default is not None:
                values.append((name, self.expand(stage, instr, default, env, base_vars=True)))
            elif name in self.global_args:
                values.append((name, self.global_args[name]))  # `ARG X` re-declares the global default
            else:
                values.append((name, None))
        stage.assign(stage.args, values)

    def do_env(self, stage: Stage, instr: Instruction) -> None:
        env = stage.expansion_env()
        # one substitution snapshot per instruction: expand every value, then assign
        values = [(name, self.expand(stage, instr, value, env, base_vars=True, defining=name))
                  for name, value in parse_env(instr.value, self.escape)]
        stage.assign(stage.env, values)

    def do_workdir(self, stage: Stage, instr: Instruction) -> None:
        path = self.expand(stage, instr, instr.value.strip(), stage.expansion_env(), base_vars=True)
        workdir = stage.workdir = image_abspath(stage.workdir, path)
        self.steps.append(lambda: stage.add_dir(workdir))

    def do_copy(self, stage: Stage, instr: Instruction) -> None:
        flags, rest = parse_flags(instr.value)
        env = stage.expansion_env()
        values: dict[str, list[str]] = {}
        for name, value in flags:
            values.setdefault(name, []).append(self.expand(stage, instr, value, env, base_vars=True) if value is not None else "true")
        exec_form = parse_json_array(rest)
        raw_words = exec_form if exec_form is not None else rest.split()
        if len(raw_words) < 2:
            self.finding(stage, "PG105", instr, None, f"{instr.keyword} needs at least one source and a destination", f"write '{instr.keyword} <src>... <dest>'")
            return
        heredocs = iter(instr.heredocs)
        sources: list[tuple[str, str, str | None]] = []  # (raw token, expanded, heredoc name)
        for raw in raw_words[:-1]:
            m = _HEREDOC_WORD.match(raw) if exec_form is None else None
            doc = next(heredocs, None) if m else None
            if doc is not None:
                sources.append((raw, raw, doc.name))
            elif _valueless_arg(raw, env):
                sources.append((raw, raw, _FROM_OUTSIDE))  # `COPY ${ARG}` with no value: what it names is not ours to see
            else:
                sources.append((raw, self.expand(stage, instr, raw, env, base_vars=True), None))
        dest_raw = self.expand(stage, instr, raw_words[-1], env, base_vars=True)
        dest = image_abspath(stage.workdir, dest_raw)
        parents = values.get("parents", ["false"])[-1].lower() != "false"
        excludes = tuple(values.get("exclude", ()))
        from_ref = values.get("from", [None])[-1]
        stage.copies.append(CopySource(line=instr.line, sources=tuple(src for _, src, _ in sources), dest=dest, from_stage=from_ref))
        stage.add_step(instr.line, copy=stage.copies[-1])
        if from_ref is None:
            self.context_sources.extend(
                clean for raw, src, doc in sources
                if doc is None and not _URL.match(src) and (clean := imagefs.clean_source(src)) and not imagefs.has_wildcard(clean)
            )
        self.steps.append(lambda: self.place_copy(stage, instr, sources, dest_raw, dest, parents, excludes, from_ref))

    def place_copy(
        self, stage: Stage, instr: Instruction, sources: list[tuple[str, str, str | None]], dest_raw: str, dest: str,
        parents: bool, excludes: tuple[str, ...], from_ref: str | None,
    ) -> None:
        wildcard = any(imagefs.has_wildcard(src) for _, src, _ in sources)
        dest_is_dir = (
            dest_raw.endswith("/") or dest_raw in (".", "..") or dest_raw.endswith("/.") or len(sources) > 1 or wildcard or parents or dest in stage.dirs
        )
        if from_ref is not None:
            self.copy_from(stage, instr, from_ref, [src for _, src, _ in sources], dest, dest_is_dir, parents)
            return
        for raw, src, doc_name in sources:
            if doc_name == _FROM_OUTSIDE:
                stage.add_opaque(dest)
                stage.add_dir(dest if dest_is_dir else posixpath.dirname(dest))
                continue
            if doc_name is not None:
                target = posixpath.join(dest, doc_name) if dest_is_dir else dest
                stage.files.pop(target, None)
                stage.add_opaque(target)  # an inline file: present, but not from the context
                continue
            if instr.keyword == "ADD" and (_URL.match(src) or src.endswith(".git")):
                stage.add_opaque(dest)  # a download or git checkout: present, but not from the context
                stage.add_dir(dest if dest_is_dir else posixpath.dirname(dest))
                continue
            self.copy_context(stage, instr, raw, src, dest, dest_is_dir, parents, excludes)

    def copy_context(self, stage: Stage, instr: Instruction, raw: str, src: str, dest: str, dest_is_dir: bool, parents: bool, excludes: tuple[str, ...]) -> None:
        assert self.index is not None  # placement only
        result = imagefs.resolve_source(self.index, src, parents=parents, excludes=excludes)
        kw = instr.keyword
        if result.status != "ok":
            self.report_source(stage, instr, raw, src, result)
            return
        if kw == "ADD" and result.single_file and _TAR.search(src):
            stage.add_opaque(dest if dest_is_dir or dest.endswith("/") else posixpath.dirname(dest))  # unpacked archive
            stage.add_dir(dest)
            return
        stage.add_dir(dest if dest_is_dir or not result.single_file else posixpath.dirname(dest))
        for match in result.matches:
            target = dest if result.single_file and not dest_is_dir else posixpath.normpath(posixpath.join(dest, match.under))
            stage.add_file(target, match.path, instr.line)

    def report_source(self, stage: Stage, instr: Instruction, raw: str, src: str, result: imagefs.SourceResult) -> None:
        kw = instr.keyword
        context = self.context_label()
        if result.status == "ignored" and result.ignored_by is not None:
            pattern = result.ignored_by
            message = f"{kw} source '{src}' is excluded from the build context by {self.ignore_name}:{pattern.line} ('{pattern.text}')"
            fix = f"add '!{imagefs.clean_source(src)}' after line {pattern.line} of {self.ignore_name}, or narrow that pattern"
            self.finding(stage, "PG105", instr, raw, message, fix)
        elif result.status == "empty-wildcard":
            message = f"{kw} source '{src}' matches nothing in the build context {context} (BuildKit copies nothing and says nothing)"
            self.finding(stage, "PG105", instr, raw, message, "correct the pattern or remove it", severity="warning")
        elif result.status == "symlink-loop":
            self.finding(stage, "PG105", instr, raw, f"{kw} source '{src}' is a symlink loop in the build context {context}", "point the symlink at a real file or directory")
        elif result.status == "outside":
            self.finding(stage, "PG105", instr, raw, f"{kw} source '{src}' is a symlink leading outside the build context {context}", "copy the target into the context, or build from a wider context")
        elif result.status == "not-a-file":
            self.finding(stage, "PG105", instr, raw, f"{kw} source '{src}' is neither a file nor a directory", "copy a regular file or directory")
        else:
            expected = self.expected_elsewhere(src)
            if expected:
                self.finding(stage, "PG105", instr, raw, f"{kw} source '{src}' is not in the build context {context}: {expected}", None, severity="note")
                return
            message = f"{kw} source '{src}' does not exist in the build context {context}"
            fix = "correct the path (COPY sources are relative to the build context, not to the Dockerfile) or configure the service's context in [tool.predguard]"
            self.finding(stage, "PG105", instr, raw, message, fix)

    def expected_elsewhere(self, src: str) -> str | None:
        """Why a missing source is expected to appear before `docker build` (None: it is not)."""
        assert self.context is not None
        path = self.context / imagefs.clean_source(src)
        if gitignore.is_ignored(path, self.root):
            return "it is git-ignored, so the pipeline makes or downloads it before the build"
        name = posixpath.basename(imagefs.clean_source(src).rstrip("/"))
        for readme in sorted(self.dockerfile.parent.glob("README*")):
            try:
                if name and name in readme.read_text(encoding="utf-8", errors="replace"):
                    return f"{readme.name} beside the Dockerfile names it (a file fetched before the build)"
            except OSError:
                continue
        return None

    def context_label(self) -> str:
        return f"'{self.context_shown}'"

    def copy_from(self, stage: Stage, instr: Instruction, ref: str, sources: list[str], dest: str, dest_is_dir: bool, parents: bool) -> None:
        source_stage = self.stage_named(ref)
        if source_stage is None or source_stage is stage:
            stage.add_opaque(dest)  # an external image or named context: we cannot see inside
            stage.add_dir(dest if dest_is_dir else posixpath.dirname(dest))
            return
        stage.depends_on.add(source_stage.index)
        for src in sources:
            path = image_abspath("/", src)
            found = False
            for root, image_path in _stage_matches(source_stage, path):
                found = True
                original = source_stage.files[image_path]
                if image_path == root and not dest_is_dir:
                    target = dest
                else:
                    under = image_path.lstrip("/") if parents else (image_path[len(root) + 1 :] if image_path != root else posixpath.basename(image_path))
                    target = posixpath.join(dest, under)
                stage.add_file(target, original.source, instr.line)
            for opaque in source_stage.opaque:
                if opaque == path or opaque.startswith(path.rstrip("/") + "/"):
                    stage.add_opaque(posixpath.normpath(posixpath.join(dest, opaque[len(path) :].lstrip("/"))))
                    found = True
                elif path.startswith(opaque.rstrip("/") + "/"):
                    stage.add_opaque(dest)
                    found = True
            if not found:
                stage.add_opaque(dest)  # made by a RUN (or the base image) of that stage
            stage.add_dir(dest if dest_is_dir else posixpath.dirname(dest))


_FROM_OUTSIDE = "\0outside"  # marks a COPY source only the build's caller can fill


def _valueless_arg(raw: str, env: Env) -> bool:
    """Does `raw` use an `ARG` declared without a default (and given no build arg), with no
    `${X:-word}` fallback? Then only the build's caller knows what it names."""
    return any(
        name in env and env[name] is None and not re.search(r"\$\{" + name + r":?[-=]", raw)
        for name in _VARIABLE_NAME.findall(raw)
    )


def _inherit_files(stage: Stage, parent: Stage) -> None:
    """`FROM <stage>`: the parent's files as they are at this point of the placement."""
    stage.files = dict(parent.files)
    stage.dirs = set(parent.dirs)
    stage.opaque = list(parent.opaque)


def image_abspath(workdir: str | None, path: str) -> str:
    """An image path resolved against WORKDIR (default "/"), normalised ("//x" is "/x" here)."""
    joined = posixpath.normpath(posixpath.join(workdir or "/", path))
    return "/" + joined.lstrip("/")


def _stage_matches(stage: Stage, path: str) -> list[tuple[str, str]]:
    """(matched root, file) pairs for an absolute source path (maybe a wildcard) in a stage."""
    if not imagefs.has_wildcard(path):
        if path in stage.files:
            return [(path, path)]
        prefix = path.rstrip("/") + "/"
        return [(path.rstrip("/"), f) for f in stage.files if f.startswith(prefix)]
    rx = dockerignore.compile_pattern(path.lstrip("/"))
    out = []
    for image_path in stage.files:
        parts = image_path.lstrip("/").split("/")
        for n in range(1, len(parts) + 1):
            candidate = "/".join(parts[:n])
            if rx.match(candidate):
                out.append(("/" + candidate, image_path))
                break
    return out


def locate(instr: Instruction, token: str | None) -> tuple[int, int]:
    """Line and 1-based column of a token in the instruction's own lines (the keyword when absent)."""
    if token:
        # The token as a whole word (shell or JSON form), after the keyword.
        word = re.compile(r"(?<![^\s\"\[,=])" + re.escape(token) + r"(?![^\s\",\]])")
        for offset, text in enumerate(instr.lines):
            start = text.upper().find(instr.keyword) + len(instr.keyword) if offset == 0 else 0
            m = word.search(text, max(start, 0)) or (re.compile(re.escape(token)).search(text, max(start, 0)))
            if m:
                return instr.line + offset, m.start() + 1
    first = instr.lines[0] if instr.lines else ""
    return instr.line, len(first) - len(first.lstrip()) + 1


# -- entry point --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interpreted:
    """A Dockerfile read once: its instructions interpreted, its context-dependent steps recorded.
    Context discovery reads `context_sources`; `place` makes the Image for a chosen context."""

    dockerfile: Path
    root: Path
    rel: str
    builder: Builder
    ignored_codes: dict[int, frozenset[str]]
    target: str | None

    @property
    def context_sources(self) -> list[str]:
        """Literal context paths the COPY/ADD instructions of every stage read, in order, once each."""
        return list(dict.fromkeys(self.builder.context_sources))


def interpret(dockerfile: Path, *, root: Path, build_args: Mapping[str, str] | None = None, target: str | None = None) -> Interpreted:
    """Read and interpret `dockerfile` (InputError when it cannot be read: encoding, heredocs)."""
    rel = display_path(dockerfile, root)
    text = lexer.read_dockerfile(dockerfile, rel)
    lexed = lexer.lex(text, rel)
    builder = Builder(dockerfile=dockerfile, rel_dockerfile=rel, escape=lexed.escape, build_args=dict(build_args or {}), root=root)
    builder.run(lexed.instructions)
    return Interpreted(dockerfile, root, rel, builder, dict(lexed.ignored_codes), target)


def place(interpreted: Interpreted, context: Path) -> Image:
    """The final stage's Image when `interpreted` is built from `context`."""
    dockerfile, root, rel, builder = interpreted.dockerfile, interpreted.root, interpreted.rel, interpreted.builder
    if not builder.stages:
        raise InputError("no FROM instruction: empty or not a Dockerfile", where=rel)
    if not context.is_dir():
        raise InputError(f"build context '{display_path(context, root)}' is not a directory", where=rel)
    final = _final_stage(builder.stages, interpreted.target, rel)
    ignore = dockerignore.load(dockerfile, context, root)
    ignore_name = display_path(ignore.path, root) if ignore.path else ".dockerignore"
    builder.place(context, imagefs.ContextIndex.shared(context.resolve(), ignore), ignore_name, display_path(context, root))
    closure = _closure(builder.stages, final)
    problems = list(builder.global_problems)
    runs: list[tuple[int, str]] = []
    for stage in builder.stages:
        if stage.index in closure:
            problems.extend([*stage.problems, *stage.placed_problems])
            runs.extend(stage.runs)
    problems.sort(key=lambda f: (f.line, f.column, f.code))
    uses_home = any(builder.stages[index].uses_home for index in closure) or _runtime_uses_home(final)
    assumed = ("HOME=/root",) if uses_home and not _OFFICIAL_PYTHON.match(final.external_base or "") else ()
    return Image(
        dockerfile=dockerfile, context=context, stage=final.label, files=dict(sorted(final.files.items())), workdir=final.workdir,
        env=dict(final.env), entrypoint=final.entrypoint, cmd=final.cmd, copies=tuple(final.copies), opaque_dirs=tuple(final.opaque),
        runs=tuple(sorted(set(runs))), problems=tuple(problems), ignored_codes=dict(interpreted.ignored_codes),
        base=final.external_base, assumed=assumed,
        stages=tuple(_view(stage) for stage in builder.stages), final_index=final.index,
    )


def _view(stage: Stage) -> StageView:
    return StageView(
        index=stage.index, name=stage.name, base=stage.base, parent=stage.parent.index if stage.parent else None,
        line=stage.line, files=stage.files, opaque_dirs=tuple(stage.opaque), steps=tuple(stage.steps),
    )


def _runtime_uses_home(stage: Stage) -> bool:
    """Does the command line read $HOME (which the container's environment gives it)?"""
    return any(command is not None and "HOME" not in stage.env and _USES_HOME.search(command.raw)
               for command in (stage.entrypoint, stage.cmd))


def load_image(dockerfile: Path, context: Path, *, root: Path, build_args: Mapping[str, str] | None = None, target: str | None = None) -> Image:
    """`interpret` then `place`, for callers that already know the context."""
    return place(interpret(dockerfile, root=root, build_args=build_args, target=target), context)


def _final_stage(stages: list[Stage], target: str | None, where: str) -> Stage:
    if target is None:
        return stages[-1]
    for stage in stages:
        if stage.name == target.lower():
            return stage
    names = ", ".join(s.name for s in stages if s.name) or "none are named"
    raise InputError(f"target stage '{target}' not found (stages: {names})", where=where)


def _closure(stages: list[Stage], final: Stage) -> set[int]:
    seen: set[int] = set()
    todo = [final.index]
    while todo:
        index = todo.pop()
        if index in seen:
            continue
        seen.add(index)
        todo.extend(stages[index].depends_on)
    return seen
