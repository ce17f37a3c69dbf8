"""`predguard check-dockerfiles [FILES...] [--root DIR] [--format F] [--config FILE]`

Checks that each Dockerfile's image contains every first-party module its service imports.
Without FILES it checks every Dockerfile under --root; with FILES (as pre-commit passes the
changed paths) only the Dockerfiles those files can affect (predguard.hooks.discovery.affects).

Exit codes: 0 no error-severity finding (warnings alone do not fail), 1 at least one error,
2 a usage/configuration/input error (one line on stderr per problem, never a traceback).
A Dockerfile that cannot be modelled is reported with status "error" while the others are still
checked, and the run exits 2.

Data flow per Dockerfile, each step called here in turn: config + discovery -> (context, reason) via
predguard.hooks.dockerfile.find_context -> Image via predguard.hooks.dockerfile.load_image -> EntryPlan via
predguard.hooks.entrypoints.plan_entrypoints -> CheckResult via predguard.hooks.python.check_image ->
Dockerfile pragmas applied -> one Report -> predguard.hooks.reporters.<format>.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import logging
import os
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from predguard.hooks import discovery
from predguard.hooks.codes import lowered
from predguard.hooks.config import Config, ServiceConfig, load_config
from predguard.hooks.model import CopySource, Finding, Image
from predguard.hooks.reporters import FORMATS, DockerfileReport, Report, get_renderer
from predguard.arguments import ArgumentParser
from predguard.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, InputError, run_cli
from predguard.paths import display_path

if TYPE_CHECKING:  # the Dockerfile model and the import analysis load only when something is checked
    from predguard.hooks import replay
    from predguard.hooks.dockerfile.build import Interpreted
    from predguard.hooks.python.closure import CheckResult

PROG = "predguard check-dockerfiles"
log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[1].replace(" (predguard.hooks.discovery.affects)", ""),
        epilog="exit status: 0 no errors (warnings alone do not fail), 1 error findings, 2 usage/config/input error. "
        "Configuration: [tool.predguard] in <root>/pyproject.toml (keys: README, 'Configuration').",
        allow_abbrev=False,
    )
    parser.add_argument("files", nargs="*", metavar="FILES", help="changed files: check only the Dockerfiles they can affect")
    parser.add_argument("--root", default=".", metavar="DIR", help="repository root to search for Dockerfiles (default: .)")
    parser.add_argument("--format", default="text", choices=FORMATS, help="output format (default: text)")
    parser.add_argument("--config", metavar="FILE", help="TOML file with [tool.predguard] (default: <root>/pyproject.toml)")
    parser.add_argument("--cache-dir", metavar="DIR", help="where to keep per-file scans between runs "
                        "(default: $PREDGUARD_CACHE_DIR, else <root>/.predguard_cache)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache (also: PREDGUARD_NO_CACHE=1)")
    return parser


@dataclasses.dataclass(frozen=True)
class _Outcome:
    report: DockerfileReport
    findings: tuple[Finding, ...] = ()
    fix_after: dict[Finding, int] = dataclasses.field(default_factory=dict)
    closure: frozenset[Path] = frozenset()  # repository files the import analysis read
    fallback: bool = False  # no entrypoint resolved: every copied non-test .py file was an entry
    copied: tuple[Path, ...] = ()  # context files and directories the image copies (the whole context if unsure)


def _encode_run(dockerfiles: Sequence[Path], contexts: dict[Path, _Context | _NoContext], outcomes: dict[Path, _Outcome]) -> list[Any]:
    """A run's outcomes as JSON values, for its record (predguard.hooks.replay)."""
    out: list[Any] = []
    for df in dockerfiles:
        context, outcome = contexts[df], outcomes.get(df)
        item: dict[str, Any] = {
            "dockerfile": os.fspath(df),
            "context": ({"error": str(context.error), "configured": context.configured} if isinstance(context, _NoContext)
                        else {"path": os.fspath(context.path), "reason": context.reason}),
        }
        out.append(item)
        if outcome is None:
            continue  # not checked by the runs this record describes (a commit's run checks what it selects)
        findings = list(outcome.findings)
        item.update({
            "report": dataclasses.asdict(outcome.report),
            "findings": [dataclasses.asdict(f) for f in findings],
            "fix_after": [[findings.index(f), line] for f, line in outcome.fix_after.items()],
            "closure": sorted(map(os.fspath, outcome.closure)),
            "fallback": outcome.fallback,
            "copied": [os.fspath(p) for p in outcome.copied],
        })
    return out


_Saved = tuple[list[Path], dict[Path, "_Context | _NoContext"], dict[Path, _Outcome]]


def _decode_run(value: Any) -> _Saved | None:
    """_encode_run's value back, or None for anything malformed (then everything is checked)."""
    def tuples(fields: dict[str, Any]) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}

    dockerfiles: list[Path] = []
    contexts: dict[Path, _Context | _NoContext] = {}
    outcomes: dict[Path, _Outcome] = {}
    try:
        for item in value:
            df = Path(item["dockerfile"])
            raw = item["context"]
            contexts[df] = (_NoContext(InputError(str(raw["error"])), bool(raw["configured"])) if "error" in raw
                            else _Context(Path(raw["path"]), str(raw["reason"]), None))
            dockerfiles.append(df)
            if "report" not in item:
                continue
            findings = tuple(Finding(**tuples(f)) for f in item["findings"])
            outcomes[df] = _Outcome(DockerfileReport(**tuples(item["report"])), findings,
                                    {findings[i]: int(line) for i, line in item["fix_after"]},
                                    frozenset(map(Path, item["closure"])), bool(item["fallback"]), tuple(map(Path, item["copied"])))
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return dockerfiles, contexts, outcomes


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = Path(args.root)
    try:
        is_dir = root.is_dir()
    except OSError as exc:  # e.g. a parent without search permission
        raise InputError(f"cannot read {args.root} ({exc.strerror or exc})", where="--root") from None
    if not is_dir:
        raise InputError(f"not a directory: {args.root}", where="--root")
    root = root.resolve()
    default_config = root / "pyproject.toml"
    config = load_config(Path(args.config) if args.config else default_config if default_config.is_file() else None)

    changed = [_absolute(f) for f in args.files]
    config_changed = config.source is not None and config.source.resolve() in changed
    if changed and not config_changed and not any(map(discovery.could_affect_an_image, changed)):
        outcomes: list[_Outcome] = []  # e.g. only docs changed: answer before modelling anything
    else:
        cache_dir = None if args.no_cache or os.environ.get("PREDGUARD_NO_CACHE") else _cache_dir(args.cache_dir, root)
        with _run_scope(cache_dir):
            outcomes = _outcomes(root, config, [] if config_changed else changed)
    changed_count = len(changed) if args.files else None
    findings = tuple(sorted((f for o in outcomes for f in o.findings),
                            key=lambda f: (f.dockerfile, f.file, f.line, f.column, f.code, f.module or "")))
    report = Report(
        findings=findings,
        dockerfiles=tuple(o.report for o in outcomes),
        fix_after={k: v for o in outcomes for k, v in o.fix_after.items()},
        changed_files=changed_count,
    )
    color = args.format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    sys.stdout.write(get_renderer(args.format)(report, color=color))
    sys.stdout.flush()

    failed = [o.report for o in outcomes if o.report.status == "error"]
    for item in failed:
        print(f"{PROG}: error: {item.error}", file=sys.stderr)
    if failed:
        return EXIT_INPUT
    return EXIT_FINDINGS if report.errors else EXIT_OK


# Look-ups kept in memory by modules (module, function that forgets them): what an earlier run in
# this process saw may have changed since, and a look-up served from memory would be missing from
# this run's record. A fresh process has loaded none of them.
_PER_RUN_MEMORY = (("predguard.hooks.python.imports", "clear_cache"), ("predguard.hooks.python.resolve", "clear_caches"),
                   ("predguard.hooks.dockerfile.context", "forget_files"), ("predguard.hooks.dockerfile.gitignore", "forget_patterns"),
                   ("predguard.hooks.installs.elsewhere", "forget_declarations"))


@contextlib.contextmanager
def _run_scope(cache_dir: Path | None) -> Iterator[None]:
    """What one run shares: the persistent cache (predguard.hooks.cache) and the record of what the
    run reads (predguard.hooks.replay)."""
    from predguard.hooks import cache, replay

    for name, forget in _PER_RUN_MEMORY:
        module = sys.modules.get(name)
        if module is not None:
            getattr(module, forget)()
    _RESOLVED.clear()
    recording = replay.recording(cache_dir) if cache_dir is not None else contextlib.nullcontext()
    with cache.using(cache_dir), recording:
        yield


def _sharing() -> contextlib.AbstractContextManager[None]:
    """Checks in this block share one listing per build context (the tree does not change meanwhile)."""
    from predguard.hooks.dockerfile.imagefs import sharing

    return sharing()


def _outcomes(root: Path, config: Config, changed: Sequence[Path]) -> list[_Outcome]:
    """Every Dockerfile's outcome (or, with `changed`, those the changes can affect): replayed from
    the last run's record where nothing it read has changed (predguard.hooks.replay), else checked."""
    from predguard.hooks import replay

    key = f"{root}\n{config.source or ''}"
    recorder = replay.active()
    if recorder is not None and config.source is not None:
        recorder.file(os.path.abspath(config.source))  # read before the recording began
    record = replay.load(key) if recorder is not None else None
    verdict = replay.validate(record, root, _rescan, [os.fspath(c) for c in changed]) if record is not None else None
    saved = _decode_run(record.results) if record is not None and verdict is not None and verdict.valid else None
    if verdict is not None and not verdict.valid:
        log.debug("the last run's record is stale (%s): checking", verdict.reason)
    if record is None or saved is None or verdict is None:
        with _sharing():
            dockerfiles = _dockerfiles(root, config)
            contexts: dict[Path, _Context | _NoContext] = {df: _context(df, root, config) for df in dockerfiles}
            outcomes: dict[Path, _Outcome] = {}

            def check(df: Path) -> _Outcome:
                if df not in outcomes:
                    outcomes[df] = _checked(df, root, config, contexts[df])
                return outcomes[df]

            selected = _affected_outcomes(dockerfiles, contexts, changed, root, config, check) if changed else list(map(check, dockerfiles))
        if recorder is not None:  # a record of the images this run checked (all, without FILES): the next runs start from it
            replay.save(key, recorder, _encode_run(dockerfiles, contexts, outcomes))
        return selected
    return _replayed(key, record, verdict, saved, root, config, changed)


def _replayed(key: str, record: replay.Record, verdict: replay.Verdict, saved: _Saved, root: Path, config: Config,
              changed: Sequence[Path]) -> list[_Outcome]:
    """The recorded outcomes, checking the images the record has none for when they are wanted, the
    images a changed import scan can affect and, when the commit's own files explain what changed
    (verdict.explained), every image its FILES select."""
    from predguard.hooks import replay

    dockerfiles, contexts, outcomes = saved
    checked: dict[Path, _Outcome] = {}
    with contextlib.ExitStack() as scope:
        shared: list[bool] = []

        def share() -> None:  # the Dockerfile model loads only when something is modelled
            if not shared:
                scope.enter_context(_sharing())
                shared.append(True)

        def check(df: Path) -> _Outcome:
            if df not in checked:
                share()
                contexts[df] = _context(df, root, config)
                checked[df] = _checked(df, root, config, contexts[df])
            return checked[df]

        if verdict.explained:  # a Dockerfile may have come or gone
            share()
            dockerfiles = _dockerfiles(root, config)
            for df in dockerfiles:
                if df not in contexts:
                    contexts[df] = _context(df, root, config)
        rescanned = {_resolved(Path(p)) for p in verdict.rescanned}
        for df in dockerfiles:
            if df in outcomes and outcomes[df].closure & rescanned:
                check(df)  # a Python file it imports now imports something else
        fresh = {*outcomes, *checked}  # their selection records are as fresh as the record just validated
        if changed:
            pick = check if verdict.explained else (lambda df: checked.get(df) or outcomes.get(df) or check(df))
            selected = _affected_outcomes(dockerfiles, contexts, changed, root, config, pick, fresh)
        else:
            selected = [checked.get(df) or outcomes.get(df) or check(df) for df in dockerfiles]
    kept = {df: found for df in dockerfiles if (found := checked.get(df) or outcomes.get(df)) is not None}
    log.debug("reused the last run's results: %d Dockerfiles replayed, %d checked again",
              len(kept) - len(checked), len(checked))
    recorder = replay.active()
    if (checked or verdict.explained) and recorder is not None:
        replay.save(key, recorder, _encode_run(dockerfiles, contexts, kept), previous=record, verdict=verdict)
    else:
        replay.refresh(key, record)
    return selected


def _rescan(path: Path) -> tuple[os.stat_result, object] | None:
    """A Python file's stat and scan now, as the persistent cache stores scans (None: unreadable)."""
    from predguard.hooks.python import imports

    try:
        st = path.stat()
    except OSError:
        return None
    return st, imports.to_json(imports.parse_file(path))


def _cache_dir(option: str | None, root: Path) -> Path:
    if option:
        return Path(option)
    from predguard.hooks.cache import default_directory

    return default_directory(root)


def _dockerfiles(root: Path, config: Config) -> list[Path]:
    found = discovery.find_dockerfiles(root, config.exclude, default_excludes=config.default_excludes)
    # Configured services count even where the name does not look like a Dockerfile.
    extra = [s.dockerfile for s in config.services if s.dockerfile not in found and discovery.is_within(s.dockerfile, root)]
    return sorted({*found, *extra})


def _absolute(name: str) -> Path:
    path = Path(os.path.abspath(name))
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare it as written
        return path


@dataclasses.dataclass(frozen=True)
class _NoContext:
    error: InputError
    configured: bool  # the configuration names a context that is not there: every run must say so


def _affected_outcomes(
    dockerfiles: Sequence[Path],
    contexts: dict[Path, _Context | _NoContext],
    changed: Sequence[Path],
    root: Path,
    config: Config,
    outcome: Callable[[Path], _Outcome],
    fresh: Collection[Path] = (),
) -> list[_Outcome]:
    """Check the Dockerfiles the changed files can affect; the others are not checked at all.

    Dockerfiles, .dockerignore files and requirement/project files select by path
    (discovery.affects). A changed Python module selects by real dependency when the image's last
    check left a fresh record (predguard.hooks.incremental: in the closure, deleted in the context,
    or a new name the closure imports). Without one (first run, --no-cache, files changed since),
    by path: any Python file in the context; one outside it only if the import closure, which can
    reach files outside the context (a missing module is still followed), holds it.
    """
    from predguard.hooks import incremental

    stats = incremental.Stats()
    changed_names = {os.fspath(c) for c in changed}
    modules = [c for c in changed if incremental.is_module(c)]
    others = [c for c in changed if not incremental.is_module(c)]
    outcomes: list[_Outcome] = []
    for df in dockerfiles:
        context = contexts[df]
        if isinstance(context, _NoContext):
            if any(_affects(c, df, context) for c in changed):
                outcomes.append(outcome(df))
            continue
        if any(_affects(c, df, context) for c in others):
            outcomes.append(outcome(df))
            continue
        if not modules:
            continue
        deps = incremental.load(df)
        if deps is not None and (df in fresh or incremental.fresh(deps, changed_names, stats)):
            if any(incremental.affects(deps, c, context.path) for c in modules):
                outcomes.append(outcome(df))
        elif any(_affects(c, df, context) for c in modules):
            outcomes.append(outcome(df))
        elif any(not discovery.is_within(c, context.path) for c in modules):
            checked = outcome(df)
            if checked.report.status != "error" and checked.closure.intersection(changed):
                outcomes.append(checked)
    return outcomes


def _affects(changed: Path, dockerfile: Path, context: _Context | _NoContext) -> bool:
    if isinstance(context, _NoContext):
        # Without a context, judge by the Dockerfile's own directory (where an unreadable one is fixed).
        return context.configured or discovery.affects(changed, dockerfile, dockerfile.parent)
    return discovery.affects(changed, dockerfile, context.path)


@dataclasses.dataclass(frozen=True)
class _Context:
    path: Path  # the build context directory
    reason: str  # why it was chosen, for users
    dockerfile: Interpreted | None  # the Dockerfile, read once for both context discovery and the image (None: replayed)


def _context(dockerfile: Path, root: Path, config: Config) -> _Context | _NoContext:
    """The build context of `dockerfile` and why it was chosen, or the InputError that says why
    there is none. The Dockerfile is interpreted here, once."""
    from predguard.hooks.dockerfile import find_context, interpret

    service = config.service_for(dockerfile)
    configured = (service.context if service else None) or config.context
    if configured is not None and not configured.is_dir():
        where = str(config.source) if config.source else display_path(dockerfile, root)
        error = InputError(f"build context of {display_path(dockerfile, root)} is not a directory: {configured}", where=where)
        return _NoContext(error, configured=True)
    build_args = {**config.build_args, **(service.build_args if service else {})}
    try:
        interpreted = interpret(dockerfile, root=root, build_args=build_args, target=service.target if service else None)
        context, reason = find_context(dockerfile, root, configured, interpreted=interpreted)
    except InputError as exc:
        return _NoContext(exc, configured=False)
    if configured is not None and config.source is not None:
        reason = f"configured in {config.source.name}"
    return _Context(context.resolve(), reason, interpreted)


def _checked(dockerfile: Path, root: Path, config: Config, context: _Context | _NoContext) -> _Outcome:
    """_check, and what it read kept for the next commit's selection (predguard.hooks.incremental)."""
    outcome = _check(dockerfile, root, config, context)
    if outcome.report.status != "error":
        from predguard.hooks import incremental

        incremental.record(dockerfile, outcome.closure, outcome.fallback, outcome.copied)
    return outcome


def _check(dockerfile: Path, root: Path, config: Config, context: _Context | _NoContext) -> _Outcome:
    from predguard.hooks.dockerfile import place
    from predguard.hooks.entrypoints import plan_entrypoints
    from predguard.hooks.python import check_image
    from predguard.hooks.pythonless import no_python

    service_config = config.service_for(dockerfile) or ServiceConfig(dockerfile=dockerfile)
    service = service_config.name or (dockerfile.parent.name if dockerfile.parent != root else root.name)
    if isinstance(context, _NoContext):
        return _Outcome(DockerfileReport(path=display_path(dockerfile, root), service=service, context=None,
                                         context_reason="unknown", status="error", error=str(context.error)))
    assert context.dockerfile is not None, "a replayed context is never checked"
    context_dir, reason = context.path, context.reason
    base = DockerfileReport(path=display_path(dockerfile, root), service=service, context=display_path(context_dir, root), context_reason=reason)
    try:
        image = place(context.dockerfile, context_dir)
        plan = plan_entrypoints(image, override=service_config.entrypoints, root=root, service=service)
        skip = None if service_config.entrypoints else no_python(image, plan)
        if skip is not None:
            return _Outcome(dataclasses.replace(base, status="skipped", reason=skip))
        result = check_image(image, plan, root=root, service=service, first_party=sorted(config.first_party) if config.first_party else None)
        third_party = _third_party(image, result, root, config, base.path, service)
    except InputError as exc:
        return _Outcome(dataclasses.replace(base, status="error", error=str(exc)))

    raw = [*image.problems, *result.findings, *third_party]
    if image.assumed:  # a conclusion that rests on what an unknown base image provides is not certain
        because = f"assuming the base image {image.base} has {', '.join(image.assumed)}"
        raw = [lowered(f, "warning", because) if f.severity == "error" and f.code in ("PG101", "PG107") else f for f in raw]
    kept = [dataclasses.replace(f, service=f.service or service) for f in raw if not _suppressed(f, image, base.path)]
    kept = list(dict.fromkeys(kept))  # an engine may report the same problem twice
    entry = result.entry
    report = dataclasses.replace(
        base,
        entrypoints=(*entry.modules, *entry.scripts),
        status="findings" if kept else "ok",
        suppressed=len(raw) - len([f for f in raw if not _suppressed(f, image, base.path)]),
    )
    fix_after = {f: line for f in kept if (line := _fix_anchor(f, image.copies)) is not None}
    return _Outcome(report, tuple(kept), fix_after, frozenset(map(_resolved, result.closure)), result.entry.unknown,
                    _copied_roots(image, context_dir))


def _copied_roots(image: Image, context: Path) -> tuple[Path, ...]:
    """What the final stage copies from the context: each source up to its first wildcard. A stage
    copied in with `COPY --from` may hold context files too: then the whole context, to be safe."""
    from predguard.hooks.dockerfile.imagefs import clean_source, has_wildcard

    roots: list[Path] = []
    for copy in image.copies:
        if copy.from_stage is not None:
            return (context,)
        for source in copy.sources:
            parts = clean_source(source).split("/")
            fixed = [p for p in itertools.takewhile(lambda part: not has_wildcard(part), parts)]
            roots.append(context.joinpath(*fixed) if fixed and fixed != [""] else context)
    return tuple(dict.fromkeys(roots))


_RESOLVED: dict[Path, Path] = {}  # per run (cleared by _run_scope): images share most of their closure


def _resolved(path: Path) -> Path:
    real = _RESOLVED.get(path)
    if real is None:
        real = _RESOLVED[path] = path.resolve()
    return real


def _third_party(image: Image, result: CheckResult, root: Path, config: Config, dockerfile: str, service: str) -> list[Finding]:
    """PG102: what the image installs (its RUN steps) against the closure's third-party imports."""
    from predguard.hooks.installs import DistributionIndex, check_third_party, read_installs

    config_name = config.source.name if config.source else "pyproject.toml"
    view = read_installs(image, root, dockerfile=dockerfile, base_packages=config.base_packages, config_name=config_name)
    index = DistributionIndex(config.module_map, config.dependency_map)
    return check_third_party(result.external, view, index, root=root, service=service)


def _suppressed(finding: Finding, image: Image, dockerfile: str) -> bool:
    """Dockerfile pragmas: key 0 (before the first FROM) silences the code for every finding of
    this Dockerfile; a line key silences findings pointing at that Dockerfile line."""
    def hit(codes: frozenset[str]) -> bool:
        return "*" in codes or finding.code in codes

    if hit(image.ignored_codes.get(0, frozenset())):
        return True
    return finding.file == dockerfile and hit(image.ignored_codes.get(finding.line, frozenset()))


def _fix_anchor(finding: Finding, copies: Sequence[CopySource]) -> int | None:
    """The final stage's COPY from the context that a `COPY src dest` fix belongs after: the one
    whose source shares the longest path prefix with the fix's source (the last one on ties)."""
    if not finding.fix or not finding.fix.startswith(("COPY ", "ADD ")):
        return None
    words = [w for w in finding.fix.split()[1:] if not w.startswith("--")]
    if len(words) < 2:
        return None
    wanted = PurePosixPath(words[0].lstrip("./")).parts
    best: tuple[int, int] | None = None
    for copy in copies:
        if copy.from_stage is not None:
            continue
        shared = max((_common(wanted, PurePosixPath(s.lstrip("./")).parts) for s in copy.sources), default=0)
        if best is None or shared >= best[0]:
            best = (shared, copy.line)
    return best[1] if best else None


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
