"""Import name -> the distribution that provides it, and distribution -> what it depends on.

Sources, in order of precedence: the user's `module_map` in [tool.predguard]; the RECORD files of
the distributions installed next to predguard (so `google/cloud/storage/` maps to
google-cloud-storage, which `packages_distributions()` lumps under `google`); and the shipped
table hooks/data/module_map.json, made from real wheels' RECORD files by
tools/gen_install_data.py. Lookups take the longest dotted prefix that any source knows.

Dependencies: the shipped hooks/data/dependencies.json (each wheel's unconditional
Requires-Dist) and the user's `dependency_map`. Nothing is resolved over the network.
"""
from __future__ import annotations

import csv
import json
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources

from predguard.hooks.installs.names import normalise

_CODE = (".py", ".so", ".pyd", ".pyc")
_NOT_MODULES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "scripts", "bin", "__pycache__"})


def modules_from_record(paths: Iterable[str]) -> set[str]:
    """The dotted prefixes a distribution's files make importable: a regular package's top, or for
    namespace packages (`google/cloud/`, no __init__.py) the first level that has one."""
    files = [
        p for p in paths
        if p.endswith(_CODE) and not p.startswith(("..", "/")) and ".dist-info/" not in p and ".data/" not in p
        and ".egg-info/" not in p and "__pycache__" not in p
    ]
    packages = {posixpath.dirname(p) for p in files if posixpath.basename(p).split(".", 1)[0] == "__init__"}
    found: set[str] = set()
    for path in files:
        parts = path.split("/")
        module = parts[-1].split(".", 1)[0]
        prefix = None
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in packages:
                prefix = parts[:depth]
                break
        dotted = prefix if prefix is not None else [*parts[:-1], module]
        if all(part.isidentifier() for part in dotted) and dotted[0] not in _NOT_MODULES and dotted[-1] != "__init__":
            found.add(".".join(dotted))
    return found


@cache
def shipped_modules() -> dict[str, tuple[str, ...]]:
    data = json.loads(resources.files("predguard.hooks.data").joinpath("module_map.json").read_text(encoding="utf-8"))
    return {module: tuple(dists) for module, dists in data["modules"].items()}


@cache
def shipped_dependencies() -> dict[str, dict[str, tuple[str, ...]]]:
    """distribution -> {"": unconditional dependencies, extra: what the extra adds}."""
    data = json.loads(resources.files("predguard.hooks.data").joinpath("dependencies.json").read_text(encoding="utf-8"))
    return {dist: {extra: tuple(deps) for extra, deps in extras.items()} for dist, extras in data["dependencies"].items()}


@cache
def installed_modules() -> dict[str, tuple[str, ...]]:
    """module prefix -> distributions, from the RECORD (or top_level.txt) of what is installed next to predguard."""
    table: dict[str, list[str]] = {}
    for dist in metadata.distributions():
        name = _name(dist)
        if not name:
            continue
        record = dist.read_text("RECORD")
        if record:  # read as text: `dist.files` makes a path object per file (most of the cost)
            modules = modules_from_record(row[0].replace("\\", "/") for row in csv.reader(record.splitlines()) if row)
        elif files := dist.files:  # an egg-info's lists
            modules = modules_from_record(str(f).replace("\\", "/") for f in files)
        else:
            modules = set((dist.read_text("top_level.txt") or "").split())
        for module in modules:
            entry = table.setdefault(module, [])
            if normalise(name) not in entry:
                entry.append(normalise(name))
    return {module: tuple(dists) for module, dists in table.items()}


_NAME = re.compile(r"^Name:[ \t]*(\S[^\r\n]*?)[ \t]*$", re.MULTILINE)


def _name(dist: metadata.Distribution) -> str | None:
    """The distribution's Name from its metadata headers (without parsing the whole message)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found = _NAME.search(text.split("\n\n", 1)[0])
    return found.group(1) if found else None


@dataclass(frozen=True)
class Provider:
    prefix: str  # the dotted prefix that matched ("google.cloud.storage")
    distributions: tuple[str, ...]  # normalised; any of them provides it (opencv-python or -headless)
    source: str  # "module_map" | "installed metadata" | "predguard's table"


class DistributionIndex:
    def __init__(self, module_map: Mapping[str, Sequence[str]] | None = None,
                 dependency_map: Mapping[str, Sequence[str]] | None = None, *, use_installed: bool = True) -> None:
        self.user = {m: tuple(normalise(d) for d in dists) for m, dists in (module_map or {}).items()}
        self.user_dependencies = {normalise(d): tuple(normalise(x) for x in deps) for d, deps in (dependency_map or {}).items()}
        self.use_installed = use_installed
        self._known: frozenset[str] | None = None

    def provider(self, module: str) -> Provider | None:
        """The distributions that provide `module`, by the longest known dotted prefix."""
        parts = module.split(".")
        sources = [("module_map", self.user)]
        if self.use_installed:
            sources.append(("installed metadata", installed_modules()))
        sources.append(("predguard's table", shipped_modules()))
        best: Provider | None = None
        for source, table in sources:
            for depth in range(len(parts), 0, -1):
                prefix = ".".join(parts[:depth])
                dists = table.get(prefix)
                if dists:
                    if best is None or depth > len(best.prefix.split(".")):
                        best = Provider(prefix, dists, source)
                    break
            if source == "module_map" and best is not None:
                return best  # the user's word wins outright
        if best is not None and best.source != "predguard's table":
            # Merge alternatives the table knows for the same prefix (opencv-python vs -headless).
            extra = tuple(d for d in shipped_modules().get(best.prefix, ()) if d not in best.distributions)
            best = Provider(best.prefix, best.distributions + extra, best.source)
        return best

    def has_below(self, module: str) -> bool:
        """Whether some source knows a module below `module` (`google` holds google.cloud.storage ...)."""
        prefix = module + "."
        tables: list[Mapping[str, tuple[str, ...]]] = [self.user, shipped_modules()]
        if self.use_installed:
            tables.append(installed_modules())
        return any(key.startswith(prefix) for table in tables for key in table)

    def knows_distribution(self, name: str) -> bool:
        """Whether some source says which modules `name` provides."""
        if self._known is None:
            tables: list[Mapping[str, tuple[str, ...]]] = [self.user, shipped_modules()]
            if self.use_installed:
                tables.append(installed_modules())
            self._known = frozenset(d for table in tables for dists in table.values() for d in dists)
        return name in self._known

    def dependencies(self, name: str, extras: Iterable[str] = ()) -> tuple[tuple[str, ...], str] | None:
        """What `name` (with `extras`) depends on, and which map says so; None when no map knows it."""
        if name in self.user_dependencies:
            return self.user_dependencies[name], "dependency_map"
        shipped = shipped_dependencies().get(name)
        if shipped is None:
            return None
        deps = list(shipped.get("", ()))
        for extra in extras:
            deps += shipped.get(extra, ())
        return tuple(dict.fromkeys(deps)), "predguard's dependency map"
