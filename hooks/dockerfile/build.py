"""Dockerfile + build context -> `predguard.hooks.model.Image`: stages, ARG/ENV/WORKDIR, and the files each
COPY/ADD puts where, propagated through `FROM <stage>` and `COPY --from=<stage>`."""
from __future__ import annotations

import posixpath
import re
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from predguard.hooks.dockerfile import dockerignore, imagefs, lexer
from predguard.hooks.dockerfile.instructions import parse_arg, parse_command, parse_env, parse_flags, parse_json_array, run_text
from predguard.hooks.dockerfile.lexer import Instruction
from predguard.hooks.dockerfile.variables import Env, expand
from predguard.hooks.model import Command, CopySource, Finding, Image, ImageFile, StageStep, StageView
from predguard.errors import InputError
from predguard.paths import display_path

_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)")
_TAR = re.compile(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$", re.IGNORECASE)
_HEREDOC_WORD = re.compile(r"^\d*<<-?(.+)$")
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
    workdir: str | None = None
    entrypoint: Command | None = None
    cmd: Command | None = None
    copies: list[CopySource] = field(default_factory=list)
    runs: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    depends_on: set[int] = field(default_factory=set)
    steps: list[StageStep] = field(default_factory=list)  # RUN and COPY/ADD in order, for the install model

    def add_step(self, line: int, run: str | None = None, copy: CopySource | None = None) -> None:
        env = {k: v for k, v in self.expansion_env().items() if v is not None}
        self.steps.append(StageStep(line=line, run=run, copy=copy, workdir=self.workdir, env=env))

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
    dockerfile: Path
    context: Path
    rel_dockerfile: str
    escape: str
    build_args: Mapping[str, str]
    index: imagefs.ContextIndex
    ignore_name: str
    context_shown: str
    stages: list[Stage] = field(default_factory=list)
    global_args: dict[str, str | None] = field(default_factory=dict)
    global_problems: list[Finding] = field(default_factory=list)

    # -- findings -------------------------------------------------------------------------------

    def finding(self, stage: Stage | None, code: str, severity: str, instr: Instruction, token: str | None, message: str, fix: str | None) -> None:
        line, column = locate(instr, token)
        found = Finding(code=code, severity=severity, dockerfile=self.rel_dockerfile, message=message, file=self.rel_dockerfile, line=line, column=column, fix=fix)
        (stage.problems if stage else self.global_problems).append(found)

    def expand(self, stage: Stage | None, instr: Instruction, word: str, env: Env, base_vars: bool) -> str:
        result = expand(word, env, self.escape)
        for name in result.undefined:
            if name in PLATFORM_ARGS or (base_vars and name in BASE_IMAGE_VARIABLES):
                continue
            self.finding(
                stage, "PG106", "warning", instr, "${" + name if "${" + name in "\n".join(instr.lines) else "$" + name,
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
        stage = Stage(index=len(self.stages), name=name, line=instr.line, parent=parent, base=image)
        if parent is not None:
            stage.files = dict(parent.files)
            stage.dirs = set(parent.dirs)
            stage.opaque = list(parent.opaque)
            stage.env = dict(parent.env)
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
        stage.args.update(values)

    def do_env(self, stage: Stage, instr: Instruction) -> None:
        env = stage.expansion_env()
        # one substitution snapshot per instruction: expand every value, then assign
        values = [(name, self.expand(stage, instr, value, env, base_vars=True)) for name, value in parse_env(instr.value, self.escape)]
        stage.env.update(values)

    def do_workdir(self, stage: Stage, instr: Instruction) -> None:
        path = self.expand(stage, instr, instr.value.strip(), stage.expansion_env(), base_vars=True)
        stage.workdir = image_abspath(stage.workdir, path)
        stage.add_dir(stage.workdir)

    def do_copy(self, stage: Stage, instr: Instruction) -> None:
        flags, rest = parse_flags(instr.value)
        env = stage.expansion_env()
        values: dict[str, list[str]] = {}
        for name, value in flags:
            values.setdefault(name, []).append(self.expand(stage, instr, value, env, base_vars=True) if value is not None else "true")
        exec_form = parse_json_array(rest)
        raw_words = exec_form if exec_form is not None else rest.split()
        if len(raw_words) < 2:
            self.finding(stage, "PG105", "error", instr, None, f"{instr.keyword} needs at least one source and a destination", f"write '{instr.keyword} <src>... <dest>'")
            return
        heredocs = iter(instr.heredocs)
        sources: list[tuple[str, str, str | None]] = []  # (raw token, expanded, heredoc name)
        for raw in raw_words[:-1]:
            m = _HEREDOC_WORD.match(raw) if exec_form is None else None
            doc = next(heredocs, None) if m else None
            if doc is not None:
                sources.append((raw, raw, doc.name))
            else:
                sources.append((raw, self.expand(stage, instr, raw, env, base_vars=True), None))
        dest_raw = self.expand(stage, instr, raw_words[-1], env, base_vars=True)
        dest = image_abspath(stage.workdir, dest_raw)
        parents = values.get("parents", ["false"])[-1].lower() != "false"
        excludes = tuple(values.get("exclude", ()))
        from_ref = values.get("from", [None])[-1]
        wildcard = any(imagefs.has_wildcard(src) for _, src, _ in sources)
        dest_is_dir = (
            dest_raw.endswith("/") or dest_raw in (".", "..") or dest_raw.endswith("/.") or len(sources) > 1 or wildcard or parents or dest in stage.dirs
        )
        stage.copies.append(CopySource(line=instr.line, sources=tuple(src for _, src, _ in sources), dest=dest, from_stage=from_ref))
        stage.add_step(instr.line, copy=stage.copies[-1])

        if from_ref is not None:
            self.copy_from(stage, instr, from_ref, [src for _, src, _ in sources], dest, dest_is_dir, parents)
            return
        for raw, src, doc_name in sources:
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
            self.finding(stage, "PG105", "error", instr, raw, message, fix)
        elif result.status == "empty-wildcard":
            message = f"{kw} source '{src}' matches nothing in the build context {context} (BuildKit copies nothing and says nothing)"
            self.finding(stage, "PG105", "warning", instr, raw, message, "correct the pattern or remove it")
        elif result.status == "symlink-loop":
            self.finding(stage, "PG105", "error", instr, raw, f"{kw} source '{src}' is a symlink loop in the build context {context}", "point the symlink at a real file or directory")
        elif result.status == "outside":
            self.finding(stage, "PG105", "error", instr, raw, f"{kw} source '{src}' is a symlink leading outside the build context {context}", "copy the target into the context, or build from a wider context")
        elif result.status == "not-a-file":
            self.finding(stage, "PG105", "error", instr, raw, f"{kw} source '{src}' is neither a file nor a directory", "copy a regular file or directory")
        else:
            message = f"{kw} source '{src}' does not exist in the build context {context}"
            fix = "correct the path (COPY sources are relative to the build context, not to the Dockerfile) or configure the service's context in [tool.predguard]"
            self.finding(stage, "PG105", "error", instr, raw, message, fix)

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


def load_image(dockerfile: Path, context: Path, *, root: Path, build_args: Mapping[str, str] | None = None, target: str | None = None) -> Image:
    rel = display_path(dockerfile, root)
    text = lexer.read_dockerfile(dockerfile, rel)
    lexed = lexer.lex(text, rel)
    if not any(i.keyword == "FROM" for i in lexed.instructions):
        raise InputError("no FROM instruction: empty or not a Dockerfile", where=rel)
    if not context.is_dir():
        raise InputError(f"build context '{display_path(context, root)}' is not a directory", where=rel)
    ignore = dockerignore.load(dockerfile, context, root)
    ignore_name = display_path(ignore.path, root) if ignore.path else ".dockerignore"
    builder = Builder(
        dockerfile=dockerfile, context=context, rel_dockerfile=rel, escape=lexed.escape, build_args=dict(build_args or {}),
        index=imagefs.ContextIndex.shared(context.resolve(), ignore), ignore_name=ignore_name, context_shown=display_path(context, root),
    )
    builder.run(lexed.instructions)
    final = _final_stage(builder.stages, target, rel)
    closure = _closure(builder.stages, final)
    problems = list(builder.global_problems)
    runs: list[tuple[int, str]] = []
    for stage in builder.stages:
        if stage.index in closure:
            problems.extend(stage.problems)
            runs.extend(stage.runs)
    problems.sort(key=lambda f: (f.line, f.column, f.code))
    return Image(
        dockerfile=dockerfile, context=context, stage=final.label, files=dict(sorted(final.files.items())), workdir=final.workdir,
        env=dict(final.env), entrypoint=final.entrypoint, cmd=final.cmd, copies=tuple(final.copies), opaque_dirs=tuple(final.opaque),
        runs=tuple(sorted(set(runs))), problems=tuple(problems), ignored_codes=dict(lexed.ignored_codes),
        stages=tuple(_view(stage) for stage in builder.stages), final_index=final.index,
    )


def _view(stage: Stage) -> StageView:
    return StageView(
        index=stage.index, name=stage.name, base=stage.base, parent=stage.parent.index if stage.parent else None,
        line=stage.line, files=stage.files, opaque_dirs=tuple(stage.opaque), steps=tuple(stage.steps),
    )


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
