"""`predguard verify-imports [--manifest FILE | --entry MODULE ...] [--mode spec|import] [--format text|json]`

Imports (or, in spec mode, finds) every module of the manifest in this interpreter and reports
every one that fails — as a Dockerfile `RUN` step it fails the build, before the server starts it
stops a broken image from serving. With --entry the manifest is derived on the spot from the
code under --root (the working directory by default), as `predguard imports-manifest` would.

Exit codes: 0 all importable, 1 at least one required module fails, 2 usage or input error
(a missing, corrupt or empty manifest, a name that is not a dotted module name).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from predguard.arguments import ArgumentParser
from predguard.errors import InputError, run_cli
from predguard.verify import startup

PROG = "predguard verify-imports"


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[1], allow_abbrev=False)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--manifest", metavar="FILE", help=f"manifest to verify (default: ${startup.MANIFEST_ENV})")
    source.add_argument("--entry", action="append", metavar="MODULE", help="derive the manifest from this entry module (repeatable)")
    parser.add_argument("--root", type=Path, default=Path("."), metavar="DIR", help="where --entry code lives (default: .)")
    parser.add_argument("--mode", choices=startup.MODES, default="import",
                        help="import (default): really import; spec: find without running module code")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or JSON lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.entry:
            from predguard.verify.imports_manifest import derive

            modules = list(derive(None, args.entry, args.root).modules)
            report = startup.verify_imports(modules, mode=args.mode, manifest=f"--entry {' '.join(args.entry)}")
            return _emit(report, args.format)
        return startup.run(argparse.Namespace(manifest=args.manifest, modules=None, mode=args.mode, format=args.format))
    except startup.ManifestError as exc:
        raise InputError(exc.message, where=exc.where) from None


def _emit(report: startup.Report, fmt: str) -> int:
    if fmt == "json":
        startup.log_report(report, sys.stdout)
    else:
        sys.stdout.write(startup.render_text(report))
    return startup.EXIT_OK if report.ok else startup.EXIT_FAILED


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
