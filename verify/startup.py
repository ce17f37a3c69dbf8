"""Start-up import verification: does this interpreter import every module the service needs?

Runs inside every service image, so it needs the standard library only (a test checks).

    report = verify_imports(["predictions.worker.data_loaders", ...], mode="spec")
    verify_or_exit(manifest="imports-manifest.json")    # logs every failure, then exits 1

Two modes:

- ``spec`` asks the import system's finders (``sys.meta_path``, each part of a dotted name in
  its parent package's ``__path__``) whether each module can be found, without running any
  module code — not even the parent packages' ``__init__`` (``importlib.util.find_spec`` would
  import them) — fast enough for every start-up. A module (or package ``__init__``) that raises
  at import time passes in this mode.
- ``import`` really imports each module, so it also reports errors raised at import time
  (a ``KeyError`` on a missing setting, a failing relative import, a missing third-party
  dependency of a first-party module). Use it at image build time, where the cost is paid once.

Every module is tried — never stopping at the first failure — and each failure is one JSON line
(``severity``, ``module``, ``error``, ``imported_from`` where the manifest knows it), followed by
one summary line with the time taken. Modules marked optional in the manifest (their imports are
guarded by ``except ImportError``) are reported as warnings and do not fail the check.

The manifest (``predguard imports-manifest`` writes it from the code) is JSON, or text with one
module a line (``?name`` marks an optional one, ``#`` starts a comment, ``path/x.py`` — relative to
the working directory, or absolute — is a file the runner executes as a script: import mode runs it
under another name than ``__main__``).

Run as ``python -m predguard.verify.startup --manifest FILE [--mode spec|import] [--format text|json]``:
exit 0 all importable, 1 failures, 2 a missing, corrupt or empty manifest or a bad module name.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NoReturn

MANIFEST_VERSION = 1
MODES = ("spec", "import")
MANIFEST_ENV = "PREDGUARD_IMPORTS_MANIFEST"
EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


class ManifestError(ValueError):
    """A manifest or module list that cannot be used: one line saying what and where."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(f"{where}: {message}")
        self.message = message
        self.where = where


@dataclass(frozen=True)
class Module:
    """One module the service needs."""

    name: str  # dotted module name; for kind "script", the absolute path of a file run as a script
    optional: bool = False  # a third-party module every import of which is guarded by `except ImportError`
    imported_from: str | None = None  # "file:line" of an import statement that needs it
    kind: str = "first_party"  # "first_party" | "third_party" | "script"


@dataclass(frozen=True)
class Failure:
    module: str
    error: str  # "ModuleNotFoundError: No module named 'predictions.worker'"
    optional: bool = False
    imported_from: str | None = None
    missing: str | None = None  # the name Python could not find (ModuleNotFoundError.name)
    raised_at: str | None = None  # "file:line" where an import-time error was raised (import mode)

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "severity": "WARNING" if self.optional else "ERROR",
            "message": f"cannot import {self.module}: {self.error}",
            "module": self.module,
            "error": self.error,
            "imported_from": self.imported_from,
            "optional": self.optional,
        }
        if self.missing:
            entry["missing"] = self.missing
        if self.raised_at:
            entry["raised_at"] = self.raised_at
        return entry


@dataclass(frozen=True)
class Report:
    mode: str
    checked: int
    failures: tuple[Failure, ...]  # optional ones included (they are warnings)
    seconds: float
    manifest: str | None = None

    @property
    def errors(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if not f.optional)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        errors = self.errors
        warned = len(self.failures) - len(errors)
        if errors:
            names = ", ".join(f.module for f in errors)
            message = f"start-up import check failed: {len(errors)} of {self.checked} modules cannot be imported: {names}"
        else:
            message = f"start-up import check passed: {self.checked} modules importable"
        if warned:
            message += f" ({warned} optional module{'s' if warned != 1 else ''} missing)"
        return {
            "severity": "ERROR" if errors else "INFO",
            "message": message,
            "mode": self.mode,
            "checked": self.checked,
            "failed": len(errors),
            "optional_missing": warned,
            "seconds": round(self.seconds, 6),
            "manifest": self.manifest,
        }


@dataclass
class _Checker:
    mode: str
    failures: list[Failure] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)  # spec mode: name -> spec (None: not found)

    def check(self, module: Module) -> None:
        try:
            if module.kind == "script":
                self._script(module)
            elif self.mode == "spec":
                problem = _find(module.name, self.found)
                if problem is not None:
                    self._fail(module, f"ModuleNotFoundError: {problem[0]}", missing=problem[1])
            else:
                importlib.import_module(module.name)
        except ModuleNotFoundError as exc:
            self._fail(module, _describe(exc), missing=exc.name, raised_at=self._raised_at(exc, module))
        except (Exception, SystemExit) as exc:  # import-time errors of any kind are the finding
            self._fail(module, _describe(exc), raised_at=self._raised_at(exc, module))

    def _script(self, module: Module) -> None:
        """A file the runner executes as a script (`python app.py`, a gunicorn config): spec mode
        checks that it exists; import mode runs it under a name other than `__main__` (so an
        `if __name__ == "__main__":` block does not start the server), with its directory first on
        sys.path as the interpreter would put it — a relative import then fails as it would."""
        if not os.path.isfile(module.name):
            self._fail(module, f"FileNotFoundError: no such script {module.name!r}")
            return
        if self.mode == "spec":
            return
        spec = importlib.util.spec_from_file_location("__predguard_script__", module.name)
        if spec is None or spec.loader is None:
            self._fail(module, f"ImportError: cannot load {module.name!r} as Python")
            return
        loaded = importlib.util.module_from_spec(spec)
        script_dir = os.path.dirname(os.path.abspath(module.name))
        sys.path.insert(0, script_dir)
        sys.modules[spec.name] = loaded
        try:
            spec.loader.exec_module(loaded)
        finally:
            sys.modules.pop(spec.name, None)
            sys.path.remove(script_dir)

    def _fail(self, module: Module, error: str, *, missing: str | None = None, raised_at: str | None = None) -> None:
        self.failures.append(Failure(module.name, error, module.optional, module.imported_from, missing, raised_at))

    @staticmethod
    def _raised_at(exc: BaseException, module: Module) -> str | None:
        """The innermost frame outside the import machinery: where the module's code failed."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if not f.filename.startswith("<frozen ") and f.filename != __file__
                  and os.path.basename(os.path.dirname(f.filename)) != "importlib"]
        if not frames:
            return None
        last = frames[-1]
        return f"{last.filename}:{last.lineno}"


def _find(name: str, found: dict[str, Any]) -> tuple[str, str] | None:
    """Find `name` the way the import system would — every finder on sys.meta_path, each part in
    its parent package's __path__ — without importing anything, not even the parent packages
    (importlib.util.find_spec would run their __init__). None when found, else (message, missing
    name) worded as Python words ModuleNotFoundError. `found` remembers specs between calls, so a
    package shared by many modules is looked up once."""
    parts = name.split(".")
    path: list[str] | None = None
    for index in range(len(parts)):
        current = ".".join(parts[: index + 1])
        loaded = sys.modules.get(current)
        if loaded is not None:
            locations = getattr(loaded, "__path__", None)
        else:
            if current not in found:
                found[current] = next((spec for finder in sys.meta_path if hasattr(finder, "find_spec")
                                       if (spec := finder.find_spec(current, path, None)) is not None), None)
            spec = found[current]
            if spec is None:
                return f"No module named {current!r}", current
            locations = spec.submodule_search_locations
        if index + 1 < len(parts):
            if locations is None:
                child = ".".join(parts[: index + 2])
                return f"No module named {child!r}; {current!r} is not a package", child
            path = list(locations)
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def verify_imports(modules: Iterable[str | Module], *, mode: str = "import", manifest: str | None = None) -> Report:
    """Try every module in `modules` (names or `Module`s) and report every failure.

    Raises ManifestError for an unknown mode, an empty list or a name that is not a dotted
    module name — before trying anything.
    """
    if mode not in MODES:
        raise ManifestError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}", "mode")
    wanted = [m if isinstance(m, Module) else Module(m) for m in modules]
    if not wanted:
        raise ManifestError("no modules to verify", manifest or "modules")
    for module in wanted:
        _check_name(module.name, manifest or "modules", script=module.kind == "script")
    started = time.perf_counter()
    checker = _Checker(mode)
    for module in wanted:
        checker.check(module)
    return Report(mode, len(wanted), tuple(checker.failures), time.perf_counter() - started, manifest)


def _check_name(name: str, where: str, *, script: bool = False) -> None:
    if script:
        if not (isinstance(name, str) and name.endswith(".py") and name.strip() == name and "\0" not in name):
            raise ManifestError(f"{name!r} is not the path of a .py script", where)
        return
    if not isinstance(name, str) or not _DOTTED.match(name):
        raise ManifestError(f"{name!r} is not a dotted module name", where)


# --- manifest -----------------------------------------------------------------------------


def load_manifest(path: str | os.PathLike[str]) -> list[Module]:
    """The modules listed in a manifest file (JSON or text). ManifestError when it is missing,
    unreadable, corrupt, empty, or names something that is not a module."""
    where = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ManifestError("manifest not found", where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read the manifest: {exc}", where) from None
    modules = _parse_json(text, where) if text.lstrip().startswith("{") else _parse_text(text, where)
    if not modules:
        raise ManifestError("the manifest lists no modules", where)
    return modules


def _parse_json(text: str, where: str) -> list[Module]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", where) from None
    if not isinstance(data, dict) or not isinstance(data.get("modules"), list):
        raise ManifestError('expected a JSON object with a "modules" list', where)
    if data.get("version") != MANIFEST_VERSION:
        raise ManifestError(f"unsupported manifest version {data.get('version')!r} (expected {MANIFEST_VERSION})", where)
    modules = []
    for index, item in enumerate(data["modules"]):
        spot = f"{where}: modules[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ManifestError('each module must be an object with a "name" string', spot)
        kind = str(item.get("kind", "first_party"))
        _check_name(item["name"], spot, script=kind == "script")
        imported_from = item.get("imported_from")
        modules.append(Module(
            item["name"],
            optional=bool(item.get("optional", False)),
            imported_from=imported_from if isinstance(imported_from, str) else None,
            kind=kind,
        ))
    return modules


def _parse_text(text: str, where: str) -> list[Module]:
    modules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        optional = line.startswith("?")
        name = line[1:].strip() if optional else line
        script = name.endswith(".py")  # a path; a module named `py` would be written without it
        _check_name(name, f"{where}:{number}", script=script)
        modules.append(Module(name, optional=optional, kind="script" if script else "first_party"))
    return modules


# --- reporting and exit -------------------------------------------------------------------


def log_report(report: Report, stream: IO[str] | None = None) -> None:
    """One JSON line per failure, then one summary line (Cloud Logging reads `severity`)."""
    out = stream or sys.stderr
    for failure in report.failures:
        out.write(json.dumps(failure.to_json()) + "\n")
    out.write(json.dumps(report.summary()) + "\n")
    out.flush()


def render_text(report: Report) -> str:
    lines = []
    for failure in report.failures:
        label = "warning (optional)" if failure.optional else "error"
        where = f" (imported from {failure.imported_from})" if failure.imported_from else ""
        lines.append(f"{label}: cannot import {failure.module}{where}: {failure.error}")
    lines.append(f"{report.summary()['message']} [{report.mode} mode, {report.seconds * 1000:.1f} ms]")
    return "\n".join(lines) + "\n"


def verify_or_exit(
    modules: Iterable[str | Module] | None = None,
    *,
    manifest: str | os.PathLike[str] | None = None,
    mode: str = "import",
    stream: IO[str] | None = None,
) -> Report:
    """Verify `modules` (or the manifest's, default `$PREDGUARD_IMPORTS_MANIFEST`); on any failure
    log every one of them and a summary, then exit 1. A bad manifest exits 2. Returns the report
    when everything imports (the summary is logged then too)."""
    out = stream or sys.stderr
    try:
        if modules is None:
            path = manifest if manifest is not None else os.environ.get(MANIFEST_ENV)
            if not path:
                raise ManifestError(f"no modules and no manifest given (pass manifest= or set ${MANIFEST_ENV})", "verify_or_exit")
            report = verify_imports(load_manifest(path), mode=mode, manifest=os.fspath(path))
        else:
            report = verify_imports(modules, mode=mode)
    except ManifestError as exc:
        _exit_input(str(exc), out)
    log_report(report, out)
    if not report.ok:
        sys.exit(EXIT_FAILED)
    return report


def _exit_input(message: str, out: IO[str]) -> NoReturn:
    out.write(json.dumps({"severity": "ERROR", "message": f"start-up import check cannot run: {message}"}) + "\n")
    out.flush()
    sys.exit(EXIT_INPUT)


# --- command line (stdlib only: usable in any image) -------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--manifest", metavar="FILE", help=f"manifest to verify (default: ${MANIFEST_ENV})")
    source.add_argument("--module", dest="modules", action="append", metavar="MODULE",
                        help="a module to verify (repeatable) instead of a manifest")
    parser.add_argument("--mode", choices=MODES, default="import", help="spec: find without running code; import: really import (default)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or one JSON object a line")


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Verify what `args` names and print the report; ManifestError propagates (exit 2)."""
    stdout = out or sys.stdout
    if args.modules:
        report = verify_imports(args.modules, mode=args.mode)
    else:
        path = args.manifest or os.environ.get(MANIFEST_ENV)
        if not path:
            raise ManifestError(f"give --manifest FILE, --module NAME or set ${MANIFEST_ENV}", "arguments")
        report = verify_imports(load_manifest(path), mode=args.mode, manifest=path)
    if args.format == "json":
        log_report(report, stdout)
    else:
        stdout.write(render_text(report))
        stdout.flush()
    return EXIT_OK if report.ok else EXIT_FAILED


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ManifestError(message, "arguments")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m predguard.verify.startup", description="Verify that every module in a manifest imports.")
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except ManifestError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
