"""`predguard imports-manifest (--dockerfile D | --entry MODULE...) [--root DIR] [-o FILE] [--format json|text] [--check FILE]`

Writes the service's imports manifest (predguard.verify.manifest) — every module its code needs,
deferred imports included, optional ones marked — for the image to carry and
`predguard verify-imports` / `verify_or_exit()` to read. With --check FILE it derives the
manifest again and exits 1 when the committed FILE is stale, naming what changed.

Exit codes: 0 written / up to date, 1 stale, 2 usage or input error.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from predguard.arguments import ArgumentParser
from predguard.errors import EXIT_FINDINGS, EXIT_OK, InputError, run_cli
from predguard.verify.analysis import ServiceAnalysis, analyse_dockerfile, analyse_entries
from predguard.verify.manifest import Manifest, build_manifest, compare
from predguard.verify.startup import ManifestError, load_manifest

PROG = "predguard imports-manifest"


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[1], allow_abbrev=False)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dockerfile", type=Path, metavar="D", help="derive from this Dockerfile's entrypoints and image")
    source.add_argument("--entry", action="append", metavar="MODULE", help="derive from this entry module (repeatable), run from --root")
    parser.add_argument("--root", type=Path, default=Path("."), metavar="DIR", help="repository root (default: .)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)")
    parser.add_argument("--format", choices=("json", "text"), help="json (default) or text (default for a .txt output)")
    parser.add_argument("--check", type=Path, metavar="FILE", help="exit 1 if FILE differs from a freshly derived manifest")
    return parser


def derive(dockerfile: Path | None, entries: Sequence[str] | None, root: Path) -> Manifest:
    if not root.is_dir():
        raise InputError("not a directory", where="--root")
    analysis: ServiceAnalysis
    if dockerfile is not None:
        analysis = analyse_dockerfile(dockerfile, root)
    else:
        analysis = analyse_entries(list(entries or ()), root)
    manifest = build_manifest(analysis)
    if not manifest.modules:
        raise InputError(f"no modules found from {analysis.source} (is the entrypoint right?)", where="--dockerfile" if dockerfile else "--entry")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    manifest = derive(args.dockerfile, args.entry, args.root)
    if args.check is not None:
        try:
            committed = load_manifest(args.check)
        except ManifestError as exc:
            raise InputError(exc.message, where=exc.where) from None
        problems = compare(committed, manifest)
        for problem in problems:
            print(f"{args.check}: stale: {problem}")
        if problems:
            print(f"{args.check} is stale; regenerate it with: {PROG} --dockerfile ... -o {args.check}")
            return EXIT_FINDINGS
        print(f"{args.check} is up to date ({len(manifest.modules)} modules)")
        return EXIT_OK
    fmt = args.format or ("text" if args.output and args.output.suffix == ".txt" else "json")
    text = manifest.render(fmt)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", where=str(args.output)) from None
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
