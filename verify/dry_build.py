"""`predguard dry-build DOCKERFILE [--root DIR] [--mode import|spec] [--python EXE] [--keep DIR] [--format text|json]`

Builds the final stage's Python tree without Docker — the hook's Dockerfile model applied to a
temporary directory: every COPY/ADD from the context (.dockerignore honoured, stages and
`COPY --from` followed), WORKDIR and ENV as the image has them — then imports every module the
code needs (its manifest, derived from the code) in an isolated interpreter (`python -I`) whose
sys.path is the image's import roots in the runner's own order (the script's directory or the
working directory first, as python, gunicorn and uvicorn put it, then PYTHONPATH), followed by
that interpreter's standard library and installed third-party packages. Shadowing and
relative-import failures therefore reproduce as they would in the image.

It is the empirical cross-check of the static analysis: the modules it cannot import are the
PG101 findings of `check-dockerfiles`.

Exit codes: 0 every module imports, 1 at least one does not, 2 usage or input error.
"""
from __future__ import annotations

import argparse
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from predguard.arguments import ArgumentParser
from predguard.errors import EXIT_FINDINGS, EXIT_OK, InputError, run_cli
from predguard.paths import display_path
from predguard.verify import startup
from predguard.verify.analysis import ServiceAnalysis, analyse_dockerfile
from predguard.verify.manifest import Manifest, build_manifest

PROG = "predguard dry-build"
_CHILD_TIMEOUT = 300.0
# Runs in the isolated child (argv: checker file, manifest, mode, JSON list of roots): load the
# stdlib-only checker from its file (so nothing of ours is put on sys.path), put the image's roots
# first, verify, print the report as JSON lines. The real-build tests run it inside images too.
CHILD_PROGRAM = """\
import importlib.util, json, os, sys
checker_file, manifest_file, mode, roots = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
spec = importlib.util.spec_from_file_location("_predguard_startup", checker_file)
checker = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = checker
spec.loader.exec_module(checker)
modules = checker.load_manifest(manifest_file)
sys.path[:0] = roots
report = checker.verify_imports(modules, mode=mode, manifest=manifest_file)
checker.log_report(report, sys.stdout)
"""


@dataclass(frozen=True)
class DryBuild:
    dockerfile: str
    tree: Path  # the materialised final stage (removed after the run unless --keep)
    workdir: str
    sys_path: tuple[str, ...]  # image paths, in the runner's order
    files: int
    opaque: tuple[str, ...]  # image directories filled by what cannot be seen (RUN output, COPY --from=<image>)
    manifest: Manifest
    report: startup.Report
    static_missing: tuple[str, ...]  # the hook's PG101 modules, for the cross-check
    script_sources: dict[str, str] = field(default_factory=dict)  # script as named in the manifest -> repository path

    @property
    def failed_modules(self) -> tuple[str, ...]:
        return tuple(f.module for f in self.report.errors)

    def to_json(self) -> dict[str, Any]:
        failures = []
        for failure in self.report.failures:
            entry = failure.to_json()
            if failure.module in self.script_sources:  # the script's file in the repository
                entry["file"] = self.script_sources[failure.module]
            failures.append(entry)
        return {
            "dockerfile": self.dockerfile,
            "workdir": self.workdir,
            "sys_path": list(self.sys_path),
            "files": self.files,
            "opaque_dirs": list(self.opaque),
            "mode": self.report.mode,
            "failures": failures,
            "summary": self.report.summary(),
            "static_missing": list(self.static_missing),
        }


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[1], allow_abbrev=False)
    parser.add_argument("dockerfile", type=Path, metavar="DOCKERFILE")
    parser.add_argument("--root", type=Path, default=Path("."), metavar="DIR", help="repository root (default: .)")
    parser.add_argument("--mode", choices=startup.MODES, default="import", help="import (default) or spec")
    parser.add_argument("--python", default=sys.executable, metavar="EXE",
                        help="interpreter whose third-party packages stand in for the image's (default: this one)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="materialise the tree here and keep it (must not exist)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.root.is_dir():
        raise InputError("not a directory", where="--root")
    if args.keep is not None and args.keep.exists():
        raise InputError("already exists; give a new directory", where="--keep")
    result = dry_build(args.dockerfile, args.root, mode=args.mode, python=args.python, keep=args.keep)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return EXIT_OK if result.report.ok else EXIT_FINDINGS


def dry_build(dockerfile: Path, root: Path, *, mode: str = "import", python: str = sys.executable,
              keep: Path | None = None) -> DryBuild:
    analysis = analyse_dockerfile(dockerfile, root)
    manifest = build_manifest(analysis)
    if not manifest.modules:
        raise InputError(f"no modules to verify from {analysis.source} (is the entrypoint right?)", where=str(dockerfile))
    with _tree(keep) as tree:
        files = materialise(analysis, tree)
        report = _verify_in_child(analysis, manifest, tree, mode, python)
    image = analysis.image
    return DryBuild(
        dockerfile=analysis.source, tree=tree, workdir=image.workdir or "/",
        sys_path=analysis.sys_path, files=files, opaque=image.opaque_dirs, manifest=manifest,
        report=report, static_missing=tuple(f.module for f in analysis.missing if f.module),
        script_sources=_script_sources(analysis, manifest),
    )


def _script_sources(analysis: ServiceAnalysis, manifest: Manifest) -> dict[str, str]:
    workdir = analysis.image.workdir or "/"
    found = {}
    for module in manifest.modules:
        if module.kind == "script":
            image_file = analysis.image.files.get(posixpath.join(workdir, module.name))
            if image_file is not None:
                found[module.name] = display_path(image_file.source, analysis.root)
    return found


@contextmanager
def _tree(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True)
        yield keep.resolve()
        return
    tree = Path(tempfile.mkdtemp(prefix="predguard-dry-build-"))
    try:
        yield tree
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def materialise(analysis: ServiceAnalysis, tree: Path) -> int:
    """Write the final stage's files from the context under `tree` (image path /a/b -> tree/a/b)."""
    image = analysis.image
    for image_path, image_file in image.files.items():
        target = _inside(tree, image_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(image_file.source, target)  # follows links: the build copies what they point at
        except OSError as exc:
            raise InputError(f"cannot copy into the dry-build tree: {exc.strerror or exc}", where=str(image_file.source)) from None
    for directory in (image.workdir or "/", *image.opaque_dirs):
        _inside(tree, directory).mkdir(parents=True, exist_ok=True)
    return len(image.files)


def _inside(tree: Path, image_path: str) -> Path:
    return tree.joinpath(*[p for p in image_path.split("/") if p not in ("", ".", "..")])


def _verify_in_child(analysis: ServiceAnalysis, manifest: Manifest, tree: Path, mode: str, python: str) -> startup.Report:
    modules = [m for m in manifest.modules if m.kind != "third_party"]  # third-party ones come from `python`, not the image
    manifest_file = tree.parent / f"{tree.name}.manifest.json"
    manifest_file.write_text(json.dumps({"version": startup.MANIFEST_VERSION, "modules": [
        {"name": str(_inside(tree, m.name)) if m.kind == "script" and m.name.startswith("/") else m.name,
         "optional": m.optional, "imported_from": m.imported_from, "kind": m.kind} for m in modules]}))
    roots = [str(_inside(tree, d)) for d in analysis.sys_path]
    cwd = _inside(tree, analysis.image.workdir or "/")
    env = {k: v for k, v in analysis.image.env.items() if k != "PYTHONPATH"}  # -I ignores it; its dirs are in `roots`
    env.update({k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if k in os.environ})
    argv = [python, "-I", "-c", CHILD_PROGRAM, startup.__file__, str(manifest_file), mode, json.dumps(roots)]
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=_CHILD_TIMEOUT)
    except FileNotFoundError:
        raise InputError("interpreter not found", where=f"--python {python}") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"the isolated interpreter did not finish within {_CHILD_TIMEOUT:.0f} s", where=str(analysis.source)) from None
    finally:
        manifest_file.unlink(missing_ok=True)
    return _report_from(proc, tree, mode, analysis.source)


def _report_from(proc: subprocess.CompletedProcess[str], tree: Path, mode: str, source: str) -> startup.Report:
    try:
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        summary = lines[-1]
        failures = tuple(_failure(entry, tree) for entry in lines[:-1])
    except (ValueError, IndexError):
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"the isolated interpreter failed (exit {proc.returncode}): {detail}", where=source) from None
    return startup.Report(mode, int(summary["checked"]), failures, float(summary["seconds"]))


def _failure(entry: dict[str, Any], tree: Path) -> startup.Failure:
    def image_path(text: str | None) -> str | None:  # tree/app/x.py:3 -> /app/x.py:3
        prefix = str(tree)
        return "/" + text[len(prefix):].lstrip(os.sep) if text and text.startswith(prefix) else text

    return startup.Failure(
        module=str(entry["module"]).replace(str(tree), ""), error=str(entry["error"]).replace(str(tree), ""), optional=bool(entry.get("optional")),
        imported_from=entry.get("imported_from"), missing=entry.get("missing"), raised_at=image_path(entry.get("raised_at")),
    )


def render_text(result: DryBuild) -> str:
    lines = [f"dry build of {result.dockerfile}: {result.files} files, WORKDIR {result.workdir}, "
             f"sys.path {', '.join(result.sys_path) or '(none)'}"]
    if result.opaque:
        lines.append(f"  not modelled (filled by RUN or other images): {', '.join(result.opaque)}")
    lines.append(startup.render_text(result.report).rstrip("\n"))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
