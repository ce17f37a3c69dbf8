"""The import closure of an image's entrypoints, and the findings it yields.

Breadth-first from the entry modules and scripts, so every chain is a shortest one. Each module
is visited once (cycles end there); each file is parsed once per process (imports.parse_file).
A first-party module that is missing from the image is reported (PG101) and still followed
through the repository, so one run names everything the image lacks.
"""
from __future__ import annotations

import logging
import os
import re
import time
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from predguard.hooks.entrypoints import EntryPlan
from predguard.hooks.codes import new_finding
from predguard.hooks.model import Finding, Image
from predguard.hooks.python import resolve as _resolve
from predguard.hooks.python.imports import ImportRef, ParsedFile, parse_file
from predguard.hooks.python.resolve import Located, Resolver
from predguard.paths import display_path

_OFFICIAL_PYTHON = re.compile(r"^(?:docker\.io/)?(?:library/)?python(?::|@|$)")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExternalImport:
    """An import of the closure that is not first-party code (standard library or third-party)."""

    module: str  # the dotted module the statement loads ("google.cloud" for `from google.cloud import storage`)
    names: tuple[str, ...]  # `from module import names`: maybe submodules (storage)
    file: Path  # the importing file
    line: int
    column: int
    chain: tuple[str, ...]  # import chain from the entry to the importing module
    optional: bool  # guarded by `except ImportError`
    suppressed: frozenset[str]  # codes a `# predguard: ignore[...]` on the line silences ("*" = all)


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]  # PG101, PG103, PG104, sorted by file, line, column
    closure: frozenset[Path]  # absolute paths of the repository files in the import closure
    third_party: dict[str, tuple[Path, int, int]]  # top-level name -> (importing file, line, column); required imports only
    entry: EntryPlan
    external: tuple[ExternalImport, ...] = ()  # every stdlib/third-party import, in breadth-first order (PG102)


@dataclass(frozen=True)
class _Node:
    name: str  # dotted module name, or the image path of a script
    file: Path  # on disk
    is_package: bool
    chain: tuple[str, ...]  # shortest import chain from an entry, ending with this node
    script: bool = False


def check_image(
    image: Image,
    plan: EntryPlan,
    *,
    root: Path,
    service: str | None,
    first_party: Collection[str] | None = None,
) -> CheckResult:
    """Every first-party module `plan`'s entries (predguard.hooks.entrypoints) import, and what the image lacks of them."""
    started = time.perf_counter()
    _resolve.clear_caches()  # the tree may have changed since the last check in this process
    walk = _Walk(image, root, service, plan, Resolver(image, plan.sys_path, tuple(first_party or ())))
    walk.run()
    _log.debug(
        "import closure checked",
        extra={"dockerfile": walk.dockerfile, "entry": plan.origin, "files": len(walk.closure),
               "seconds": round(time.perf_counter() - started, 4)},
    )
    findings = sorted(
        [*plan.problems, *walk.findings()],
        key=lambda f: (f.file, f.line, f.column, f.code, f.module or ""),
    )
    return CheckResult(tuple(findings), frozenset(walk.closure), dict(walk.third_party), plan, tuple(walk.external))


class _Walk:
    def __init__(self, image: Image, root: Path, service: str | None, plan: EntryPlan, resolver: Resolver) -> None:
        self.image = image
        self.root = Path(os.path.abspath(root))
        self.service = service
        self.plan = plan
        self.resolver = resolver
        self.dockerfile = display_path(image.dockerfile, self.root)
        self.queue: deque[_Node] = deque()
        self.seen: set[str] = set()
        self.closure: set[Path] = set()
        self.third_party: dict[str, tuple[Path, int, int]] = {}
        self.external: list[ExternalImport] = []
        self._missing: dict[str, Finding] = {}  # module -> PG101 (the first error wins over warnings)
        self._broken: dict[Path, Finding] = {}  # file -> PG104
        self._first_party: set[str] = set()  # top-level names that resolved to repository code

    # --- entries ---------------------------------------------------------------------------

    def run(self) -> None:
        elsewhere = []  # entry modules that are not first-party code (python -m http.server, -m celery ...)
        for module in self.plan.modules:
            if not self._enter_module(module):
                elsewhere.append(module)
        for script in self.plan.scripts:
            self._enter_script(script)
        if elsewhere and not self.queue and not self._missing:
            self._elsewhere(elsewhere)
        while self.queue:
            self._visit(self.queue.popleft())
        for top in self._first_party & self.third_party.keys():
            del self.third_party[top]  # a bare namespace dir that turned out to hold first-party modules
        self.external = [e for e in self.external if e.module.split(".")[0] not in self._first_party]

    def _enter_module(self, module: str) -> bool:
        """Start from `module`; False when it is not first-party code (stdlib or third-party)."""
        located = self.resolver.locate(module)
        anchor = (self.dockerfile, self.plan.line, 1, None)
        if located.kind in ("image", "repo", "namespace"):
            self._require(located, (module,), anchor, optional=False)
            if located.is_package and module in self.plan.run_as_main:  # `python -m pkg` runs pkg/__main__.py
                main = self.resolver.locate(f"{module}.__main__")
                if main.kind in ("image", "repo"):
                    self._require(main, (f"{module}.__main__",), anchor, optional=False)
        elif located.kind in ("stdlib", "third_party"):
            return False
        elif located.kind == "fails":
            self._report_fails(module, (module,), anchor, located.why or "")
        elif located.kind != "opaque":
            self._entry_problem(f"entrypoint module {module} is neither in the image nor in the repository")
        return True

    def _elsewhere(self, modules: list[str]) -> None:
        """The image runs someone else's module: which of our code it loads cannot be told, so
        nothing is checked (guessing "every copied file" was wrong far more often than right)."""
        names = ", ".join(modules)
        self._missing[f"<entry>{names}"] = new_finding(
            "PG103",
            severity="warning",
            dockerfile=self.dockerfile,
            message=f"the entrypoint runs {names}, which is not code of this repository, so which of its modules "
            f"run cannot be told ({self.plan.origin}); nothing is checked for this image "
            "(set the service's `entrypoints` in [tool.predguard] to check it)",
            file=self.dockerfile,
            line=self.plan.line,
            column=1,
            service=self.service,
        )

    def _enter_script(self, script: str) -> None:
        image_file = self.image.files.get(script)
        if image_file is not None:
            source = image_file.source
        else:
            in_repo = self.resolver.locate_file(script)
            if in_repo is None:
                self._entry_problem(f"entrypoint script {script} is neither in the image nor in the repository")
                return
            source, fix = in_repo
            self._report_missing(script, (script,), (self.dockerfile, self.plan.line, 1, None), False,
                                 f"the entrypoint script {script} is not copied into the image of {self.dockerfile}", fix)
        self._enqueue(_Node(script, Path(os.path.abspath(source)), False, (script,), script=True))

    def _entry_problem(self, message: str) -> None:
        # A RUN step (`git clone`, a download) or a base image other than the official Python
        # one may have put it there: then we cannot tell, and say so as a warning.
        unseen = self.image.runs or not _OFFICIAL_PYTHON.match(self.image.base or "")
        if unseen:
            message += "; a RUN step or the base image may provide it, which predguard cannot see"
        self._missing[f"<entry>{message}"] = new_finding(
            "PG103",
            severity="warning" if unseen else None,
            dockerfile=self.dockerfile,
            message=f"{message} ({self.plan.origin})",
            file=self.dockerfile,
            line=self.plan.line,
            column=1,
            service=self.service,
        )

    # --- the walk --------------------------------------------------------------------------

    def _enqueue(self, node: _Node) -> None:
        key = node.file.as_posix() if node.script else node.name
        if key in self.seen:
            return
        self.seen.add(key)
        self.queue.append(node)

    def _visit(self, node: _Node) -> None:
        self.closure.add(node.file)
        parsed = parse_file(node.file)
        if parsed.problem is not None:
            self._report_broken(node, parsed)
            return
        package = self._package_of(node)
        for ref in parsed.imports:
            anchor = (node.file, ref.line, ref.column, parsed)
            if ref.level and not package:
                where = "runs as a script" if node.script else "is a top-level module"
                # What fails to load is the importing file itself (named as the image runs it).
                relative = f"{'.' * ref.level}{ref.module}"
                self._report_fails(self._unit_name(node), (*node.chain, relative), anchor,
                                   f"the relative import of {relative} in {display_path(node.file, self.root)}, which {where} in the "
                                   f"image of {self.dockerfile}, fails with 'attempted relative import with no known parent package'",
                                   whole=True)
                continue
            for index, target in enumerate(self._targets(ref, package)):
                located = self.resolver.locate(target)
                if located.kind == "fails":
                    self._report_fails(target, (*node.chain, target), anchor, located.why or "")
                    continue
                if index == 0 and located.kind in ("stdlib", "third_party"):
                    self.external.append(ExternalImport(
                        target, ref.names, node.file, ref.line, ref.column, node.chain, ref.optional,
                        parsed.suppressions.get(ref.line, frozenset()),
                    ))
                self._require(located, (*node.chain, target), anchor, optional=ref.optional)
                top = target.split(".")[0]
                if located.kind in ("image", "repo"):
                    self._first_party.add(top)
                elif located.kind == "third_party" and not ref.optional:
                    self.third_party.setdefault(top, (node.file, ref.line, ref.column))

    def _package_of(self, node: _Node) -> str | None:
        if node.script:
            return None  # a script runs as __main__: no package for relative imports
        return node.name if node.is_package else node.name.rpartition(".")[0]

    def _targets(self, ref: ImportRef, package: str | None) -> list[str]:
        """Modules an import statement loads: the named module, and submodules named by `from ... import`."""
        if ref.level:
            if package is None:
                return []
            base_parts = package.split(".") if package else []
            if ref.level - 1 > len(base_parts) or (ref.level - 1 == len(base_parts) and not ref.module):
                return []  # beyond the top-level package: fails at run time whatever the image holds
            base_parts = base_parts[: len(base_parts) - (ref.level - 1)]
            base = ".".join([*base_parts, ref.module] if ref.module else base_parts)
        else:
            base = ref.module
        if not base:
            return []
        targets = [base]
        for name in ref.names:
            if name == "*":
                continue
            candidate = f"{base}.{name}"
            # `from pkg import name`: a submodule when one exists (in the image or the repo), else an attribute.
            if self.resolver.locate(candidate).kind in ("image", "repo", "opaque"):
                targets.append(candidate)
        return targets

    def _require(
        self,
        located: Located,
        chain: tuple[str, ...],
        anchor: tuple[Path | str, int, int, ParsedFile | None],
        *,
        optional: bool,
    ) -> None:
        """Follow `located` (and its enclosing packages) and report what the image lacks."""
        for missing in located.missing_inits:
            self._report_missing(
                missing.package,
                (*chain[:-1], missing.package),
                anchor,
                optional,
                f"{missing.package} is a package in the repository, but its __init__.py is not copied into "
                f"the image of {self.dockerfile}",
                missing.fix,
            )
        for parent, init in located.parents:
            if init is not None:
                if parent not in self.seen:
                    self._enqueue(_Node(parent, Path(os.path.abspath(init)), True, (*chain[:-1], parent)))
        if located.kind == "repo":
            what = "is the entrypoint" if len(chain) == 1 else "is imported"
            self._report_missing(
                located.module,
                chain,
                anchor,
                optional,
                f"{located.module} {what} but not copied into the image of {self.dockerfile}",
                located.fix,
            )
        if located.kind in ("image", "repo") and located.file is not None and located.module not in self.seen:
            self._enqueue(_Node(located.module, Path(os.path.abspath(located.file)), located.is_package, chain))

    def _report_missing(
        self,
        module: str,
        chain: tuple[str, ...],
        anchor: tuple[Path | str, int, int, ParsedFile | None],
        optional: bool,
        message: str,
        fix: str | None,
    ) -> None:
        where, line, column, parsed = anchor
        file = where if isinstance(where, str) else display_path(where, self.root)
        if parsed is not None and parsed.suppressed(line, "PG101"):
            return
        if module in self._missing:
            return  # keep the first (shortest-chain) report
        if optional:
            # First-party code is in the repository: its absence from the image is a packaging
            # mistake whatever the `except` around the import does (it only hides the failure).
            message += " (the import is guarded by try/except, which hides the failure at run time: the feature silently stops working)"
        self._missing[module] = new_finding(
            "PG101",
            dockerfile=self.dockerfile,
            message=message,
            file=file,
            line=line,
            column=column,
            service=self.service,
            module=module,
            chain=chain,
            fix=fix,
        )

    def _unit_name(self, node: _Node) -> str:
        """A module's dotted name; a script's path relative to WORKDIR when under it (as it is run)."""
        if not node.script:
            return node.name
        workdir = (self.image.workdir or "/").rstrip("/") + "/"
        return node.name[len(workdir):] if node.name.startswith(workdir) else node.name

    def _report_fails(
        self, module: str, chain: tuple[str, ...], anchor: tuple[Path | str, int, int, ParsedFile | None], why: str,
        *, whole: bool = False,
    ) -> None:
        """PG107 at the import line. `module` is what fails to load; `whole`: `why` is the full message."""
        where, line, column, parsed = anchor
        if parsed is not None and parsed.suppressed(line, "PG107"):
            return
        key = f"<fails>{module}@{display_path(where, self.root) if isinstance(where, Path) else where}:{line}"
        self._missing.setdefault(key, new_finding(
            "PG107",
            dockerfile=self.dockerfile,
            message=why if whole else f"{module} cannot be imported: {why}",
            file=where if isinstance(where, str) else display_path(where, self.root),
            line=line,
            column=column,
            service=self.service,
            module=module,
            chain=chain,
        ))

    def _report_broken(self, node: _Node, parsed: ParsedFile) -> None:
        problem = parsed.problem
        assert problem is not None
        if parsed.suppressed(problem.line, "PG104") or node.file in self._broken:
            return
        shown = display_path(node.file, self.root)
        self._broken[node.file] = new_finding(
            "PG104",
            dockerfile=self.dockerfile,
            message=f"{shown} {problem.message}; its imports cannot be checked",
            file=shown,
            line=problem.line,
            column=problem.column,
            service=self.service,
            module=None if node.script else node.name,
            chain=node.chain,
        )

    def findings(self) -> list[Finding]:
        return [*self._dedupe_fixes(list(self._missing.values())), *self._broken.values()]

    @staticmethod
    def _dedupe_fixes(findings: list[Finding]) -> list[Finding]:
        """Several missing modules of one missing directory share one COPY line: report it once,
        at the shortest chain (an error wins over a warning)."""
        best: dict[str, Finding] = {}
        kept: list[Finding] = []
        for finding in findings:
            if finding.code != "PG101" or finding.fix is None:
                kept.append(finding)
                continue
            best.setdefault(finding.fix, finding)
        return kept + list(best.values())
