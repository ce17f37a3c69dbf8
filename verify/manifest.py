"""The imports manifest: every module a service needs, derived from its code.

From the hook's import closure (deferred imports included): each first-party module the
entrypoints reach — present in the image or not, since the manifest says what the code needs —
and each third-party top-level package the closure imports. An import guarded by
`except ImportError` marks its module optional. Standard-library modules are left out.
Paths and order are stable, so a committed manifest can be compared with a fresh one.
"""
from __future__ import annotations

import json
import os
import posixpath
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from predguard.paths import display_path
from predguard.hooks.python.imports import ImportRef, parse_file
from predguard.verify.analysis import ServiceAnalysis
from predguard.verify.startup import MANIFEST_VERSION, Module

_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names) | {"__main__", "__future__"}
GENERATED_BY = "predguard imports-manifest"


@dataclass(frozen=True)
class Manifest:
    source: str  # the Dockerfile or entries it was derived from
    entrypoints: tuple[str, ...]
    modules: tuple[Module, ...]

    def names(self) -> list[str]:
        return [m.name for m in self.modules]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "generated_by": GENERATED_BY,
            "source": self.source,
            "entrypoints": list(self.entrypoints),
            "modules": [
                {"name": m.name, "kind": m.kind, "optional": m.optional, "imported_from": m.imported_from}
                for m in self.modules
            ],
        }

    def render(self, fmt: str) -> str:
        if fmt == "json":  # one module a line: small diffs when the code changes
            data = self.to_json()
            head = {k: v for k, v in data.items() if k != "modules"}
            entries = ",\n".join("  " + json.dumps(m) for m in data["modules"])
            return json.dumps(head)[:-1] + ',\n "modules": [\n' + entries + "\n]}\n"
        lines = [f"# {GENERATED_BY} from {self.source}; one module a line, ?name = optional"]
        for m in self.modules:
            where = f"  # {m.kind}, from {m.imported_from}" if m.imported_from else f"  # {m.kind}"
            lines.append(f"{'?' if m.optional else ''}{m.name}{where}")
        return "\n".join(lines) + "\n"


def build_manifest(analysis: ServiceAnalysis) -> Manifest:
    namer = _ModuleNamer(analysis)
    first_party: dict[str, Path] = {}  # module -> its file
    scripts: list[Path] = []  # closure files run as scripts (gunicorn.conf.py, main.py): not modules
    closure = sorted(analysis.result.closure)
    # A file under two sys.path roots has two names (/app/svc/app.py: `svc.app` and, run from
    # /app/svc, `app`); keep the one the code imports it by (or the entry's), else the first.
    wanted = set(analysis.result.entry.modules) | {
        target for file in closure for ref in parse_file(file).imports if not ref.level
        for target in _targets(ref, None, ())}
    for file in closure:
        names = namer.names_of(file)
        if names:
            first_party.setdefault(next((n for n in names if n in wanted), names[0]), file)
        else:
            scripts.append(file)
    for finding in analysis.missing:  # a missing module the walk could not map to a file
        if finding.module:
            first_party.setdefault(finding.module, Path())
    tops = {name.split(".")[0] for name in first_party} | namer.image_tops()

    refs: dict[str, list[tuple[bool, str]]] = {}  # module -> (optional, "file:line") of each import of it
    third_party: dict[str, list[tuple[bool, str]]] = {}
    readable = [(name, file) for name, file in sorted(first_party.items()) if file.name]
    for name, file in [*readable, *((None, script) for script in scripts)]:
        # A script runs as __main__, outside any package: its relative imports reach nothing.
        package = None if name is None else name if file.name == "__init__.py" else name.rpartition(".")[0]
        where = display_path(file, analysis.root)
        for ref in parse_file(file).imports:
            for target in _targets(ref, package, first_party):
                spot = (ref.optional, f"{where}:{ref.line}")
                top = target.split(".")[0]
                if top in tops:  # what the code imports, even where the image resolves it elsewhere (shadowing)
                    refs.setdefault(target, []).append(spot)
                elif top not in _STDLIB:
                    third_party.setdefault(top, []).append(spot)

    entries = set(analysis.result.entry.modules)
    names = sorted(first_party.keys() | refs.keys())
    modules = [_module(name, "first_party", refs.get(name, []), required=name in entries) for name in names]
    modules += [_module(name, "third_party", spots, required=False) for name, spots in third_party.items()]
    workdir = (analysis.image.workdir or "/").rstrip("/") + "/"
    # A script under WORKDIR is named relative to it (the check runs there, in the image and in a
    # dry build alike); any other by its absolute image path.
    modules += [Module(script[len(workdir):] if script.startswith(workdir) else script, kind="script")
                for script in analysis.result.entry.scripts]
    order = {"first_party": 0, "third_party": 1, "script": 2}
    modules.sort(key=lambda m: (order.get(m.kind, 3), m.name))
    entry_names = (*analysis.result.entry.modules, *analysis.result.entry.scripts)
    return Manifest(analysis.source, tuple(entry_names), tuple(modules))


def _module(name: str, kind: str, spots: list[tuple[bool, str]], *, required: bool) -> Module:
    # Only a third-party import can be optional (a degraded feature when the package is absent).
    # First-party code is the service's own: a guarded import of it that fails is the incident
    # itself (predictions silently stop), so it stays required, as the hook's PG101 says.
    optional = kind == "third_party" and bool(spots) and not required and all(opt for opt, _ in spots)
    # The first required import names where it comes from (an optional one if there is no other).
    chosen = next((w for opt, w in spots if not opt), spots[0][1] if spots else None)
    return Module(name, optional=optional, imported_from=chosen, kind=kind)


def _targets(ref: ImportRef, package: str | None, known: Iterable[str]) -> list[str]:
    """Absolute names an import statement loads: the module and `from`-imported submodules."""
    if ref.level:
        if package is None:
            return []
        parts = package.split(".") if package else []
        if ref.level - 1 > len(parts):
            return []
        parts = parts[: len(parts) - (ref.level - 1)]
        base = ".".join([*parts, ref.module] if ref.module else parts)
    else:
        base = ref.module
    if not base:
        return []
    known = set(known)
    return [base, *(f"{base}.{n}" for n in ref.names if n != "*" and f"{base}.{n}" in known)]


class _ModuleNamer:
    """Module names of closure files, by where they land (or would land) on the image's sys.path."""

    def __init__(self, analysis: ServiceAnalysis) -> None:
        self.sys_path = analysis.sys_path
        self.files = analysis.image.files
        self.scripts = {os.path.abspath(analysis.image.files[s].source) for s in analysis.result.entry.scripts
                        if s in analysis.image.files}  # run as __main__, never imported by name
        self.by_source: dict[str, list[str]] = {}
        self.dir_map: dict[str, str] = {}  # context directory -> image directory it is copied to
        for image_path, image_file in analysis.image.files.items():
            source = os.path.abspath(image_file.source)
            self.by_source.setdefault(source, []).append(image_path)
            if not image_path.endswith(".py"):
                continue  # `COPY x/requirements.txt ./` says nothing about where x/'s modules go
            src_dir, img_dir = os.path.dirname(source), posixpath.dirname(image_path)
            name_src, name_img = os.path.basename(source), posixpath.basename(image_path)
            while name_src == name_img and src_dir not in self.dir_map:
                self.dir_map[src_dir] = img_dir
                name_src, name_img = os.path.basename(src_dir), posixpath.basename(img_dir)
                src_dir, img_dir = os.path.dirname(src_dir), posixpath.dirname(img_dir)
                if img_dir == "/" or not name_src:
                    break

    def image_tops(self) -> set[str]:
        """Top-level names the image itself provides on its sys.path (modules, packages, namespaces)."""
        tops = set()
        for image_path in self.files:
            for directory in self.sys_path:
                prefix = directory.rstrip("/") + "/"
                if image_path.startswith(prefix):
                    first = image_path[len(prefix):].split("/")[0]
                    name = first[:-3] if first.endswith(".py") else first
                    if name.isidentifier() and (first.endswith(".py") or "/" in image_path[len(prefix):]):
                        tops.add(name)
        return tops

    def names_of(self, file: Path) -> list[str]:
        """Every name `file` imports as, in sys.path order ([] for a script or a non-module)."""
        source = os.path.abspath(file)
        if source in self.scripts:
            return []
        candidates = self.by_source.get(source) or self._would_land(source)
        return list(dict.fromkeys(n for image_path in candidates for n in self._module_names(image_path)))

    def _would_land(self, source: str) -> list[str]:
        """Where a file the image lacks would be, had its directory been copied like its siblings."""
        rest: list[str] = []
        directory = source
        while True:
            directory, name = os.path.split(directory)
            rest.insert(0, name)
            if directory in self.dir_map:
                return [posixpath.join(self.dir_map[directory], *rest)]
            if not name:
                return []

    def _module_names(self, image_path: str) -> list[str]:
        if not image_path.endswith(".py"):
            return []
        names = []
        for directory in self.sys_path:
            prefix = directory.rstrip("/") + "/"
            if image_path.startswith(prefix):
                parts = image_path[len(prefix):-3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if parts and all(p.isidentifier() for p in parts):
                    names.append(".".join(parts))
        return names




def compare(committed: list[Module], fresh: Manifest) -> list[str]:
    """What makes a committed manifest stale: modules added, removed, or changed optionality."""
    old = {m.name: m.optional for m in committed}
    new = {m.name: m.optional for m in fresh.modules}
    problems = [f"missing {name} (the code now imports it)" for name in sorted(new.keys() - old.keys())]
    problems += [f"lists {name}, which the code no longer imports" for name in sorted(old.keys() - new.keys())]
    problems += [f"{name} should be {'optional' if new[name] else 'required'}"
                 for name in sorted(old.keys() & new.keys()) if old[name] != new[name]]
    return problems
