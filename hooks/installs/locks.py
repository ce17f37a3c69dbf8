"""Lock files: the complete set of distributions `uv sync`, `poetry install` and `pipenv install`
put into the image (the lock holds the transitive closure, so nothing is guessed).

Each reader walks the lock's dependency graph from the project's roots for the groups and extras
the command selects. A lock that cannot be parsed is an InputError naming the file (exit 2).
"""
from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from predguard.errors import InputError
from predguard.hooks.installs.model import SourceFile
from predguard.hooks.installs.names import normalise, parse_specifier


@dataclass(frozen=True)
class Selection:
    """Which parts of a project a sync command installs."""

    extras: frozenset[str] = frozenset()  # normalised
    all_extras: bool = False
    groups: frozenset[str] = frozenset()  # extra dependency groups asked for (--with / --group)
    without: frozenset[str] = frozenset()  # groups left out (--without / --no-group / --no-dev -> "dev")
    only: frozenset[str] | None = None  # --only / --only-group: nothing else
    install_project: bool = True


@dataclass
class Locked:
    names: list[str] = field(default_factory=list)  # normalised, in lock order
    project: str | None = None  # the project's own (normalised) name, when the lock says it


def _load(file: SourceFile, kind: str) -> dict[str, Any]:
    try:
        text = file.source.read_text(encoding="utf-8")
        return json.loads(text) if kind == "json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse the lock file to read what the image installs: {exc}", where=file.shown) from None
    except OSError as exc:
        raise InputError(f"cannot read the lock file: {exc.strerror or exc}", where=file.shown) from None


def _packages(data: dict[str, Any], file: SourceFile) -> list[dict[str, Any]]:
    packages = data.get("package", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str) for p in packages):
        raise InputError("not a lock file: [[package]] entries with a name expected", where=file.shown)
    return packages


def _group_selected(group: str, selection: Selection, default: bool) -> bool:
    if selection.only is not None:
        return group in selection.only
    if group in selection.without:
        return False
    return default or group in selection.groups


# -- uv.lock ------------------------------------------------------------------------------------


def read_uv_lock(file: SourceFile, selection: Selection) -> Locked:
    packages = _packages(_load(file, "toml"), file)
    by_name = {normalise(p["name"]): p for p in packages}
    roots = [p for p in packages if isinstance(p.get("source"), dict) and (p["source"].get("editable") == "." or p["source"].get("virtual") == ".")]
    if not roots:
        return Locked([normalise(p["name"]) for p in packages])
    root = roots[0]
    wanted: list[tuple[str, frozenset[str]]] = []
    if selection.only is None or "main" in selection.only:
        wanted += _uv_deps(root.get("dependencies"))
        optional = root.get("optional-dependencies") or {}
        for extra, deps in optional.items():
            if selection.all_extras or normalise(extra) in selection.extras:
                wanted += _uv_deps(deps)
    for group, deps in (root.get("dev-dependencies") or {}).items():
        if _group_selected(normalise(group), selection, default=normalise(group) == "dev"):
            wanted += _uv_deps(deps)
    names = _walk(wanted, lambda name, extras: _uv_children(by_name.get(name), extras))
    project = normalise(root["name"])
    if selection.install_project:
        names.insert(0, project)
    return Locked(names, project)


def _uv_deps(deps: object) -> list[tuple[str, frozenset[str]]]:
    out = []
    for dep in deps if isinstance(deps, list) else []:
        if isinstance(dep, dict) and isinstance(dep.get("name"), str):
            out.append((normalise(dep["name"]), frozenset(normalise(e) for e in dep.get("extra", []) if isinstance(e, str))))
    return out


def _uv_children(package: dict[str, Any] | None, extras: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
    if package is None:
        return []
    children = _uv_deps(package.get("dependencies"))
    for extra, deps in (package.get("optional-dependencies") or {}).items():
        if normalise(extra) in extras:
            children += _uv_deps(deps)
    return children


# -- poetry.lock --------------------------------------------------------------------------------


def read_poetry_lock(file: SourceFile, pyproject: dict[str, Any] | None, selection: Selection) -> Locked:
    packages = _packages(_load(file, "toml"), file)
    by_name = {normalise(p["name"]): p for p in packages}
    poetry = (pyproject or {}).get("tool", {}).get("poetry") if pyproject else None
    project_table = (pyproject or {}).get("project") if pyproject else None
    if not isinstance(poetry, dict) and not isinstance(project_table, dict):
        # No manifest to start from: every non-optional package of the lock (dev ones unless excluded).
        return Locked([
            normalise(p["name"]) for p in packages
            if not p.get("optional") and (p.get("category", "main") == "main" or _group_selected("dev", selection, True))
        ])
    wanted: list[tuple[str, frozenset[str]]] = []
    if selection.only is None or "main" in selection.only:
        wanted += _poetry_roots((poetry or {}).get("dependencies"), selection)
        if isinstance(project_table, dict):
            for text in project_table.get("dependencies") or []:
                spec = parse_specifier(text) if isinstance(text, str) else None
                if spec is not None and spec.name:
                    wanted.append((spec.name, spec.extras))
    groups = dict((poetry or {}).get("group") or {})
    if isinstance((poetry or {}).get("dev-dependencies"), dict):
        groups.setdefault("dev", {"dependencies": poetry["dev-dependencies"]})  # type: ignore[index]
    for group, table in groups.items():
        if not isinstance(table, dict):
            continue
        if _group_selected(normalise(group), selection, default=not table.get("optional", False)):
            wanted += _poetry_roots(table.get("dependencies"), selection)
    names = _walk(wanted, lambda name, extras: _poetry_children(by_name.get(name), extras))
    name = (poetry or {}).get("name") or (project_table or {}).get("name")
    project = normalise(name) if isinstance(name, str) else None
    if project and selection.install_project:
        names.insert(0, project)
    return Locked(names, project)


def _poetry_roots(deps: object, selection: Selection) -> list[tuple[str, frozenset[str]]]:
    out = []
    for name, spec in (deps.items() if isinstance(deps, dict) else []):
        if name.lower() == "python":
            continue
        extras: frozenset[str] = frozenset()
        if isinstance(spec, dict):
            if spec.get("optional") and not selection.all_extras:
                continue  # installed only through an extra: counted below when requested
            extras = frozenset(normalise(e) for e in spec.get("extras", []) if isinstance(e, str))
        out.append((normalise(name), extras))
    return out


def _poetry_children(package: dict[str, Any] | None, extras: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
    if package is None:
        return []
    deps = package.get("dependencies") or {}
    optional_for_extras: set[str] = set()
    for extra, items in (package.get("extras") or {}).items():
        if normalise(extra) in extras:
            for item in items if isinstance(items, list) else []:
                spec = parse_specifier(str(item).split(" (", 1)[0])
                if spec is not None and spec.name:
                    optional_for_extras.add(spec.name)
    out = []
    for name, spec in (deps.items() if isinstance(deps, dict) else []):
        key = normalise(name)
        if isinstance(spec, dict) and spec.get("optional") and key not in optional_for_extras:
            continue
        wanted = frozenset(normalise(e) for e in spec.get("extras", [])) if isinstance(spec, dict) else frozenset()
        out.append((key, wanted))
    return out


# -- Pipfile.lock -------------------------------------------------------------------------------


def read_pipfile_lock(file: SourceFile, dev: bool) -> Locked:
    data = _load(file, "json")
    if not isinstance(data, dict) or not isinstance(data.get("default", {}), dict):
        raise InputError("not a Pipfile.lock: a JSON object with a \"default\" table expected", where=file.shown)
    sections = ["default", "develop"] if dev else ["default"]
    names = [normalise(name) for section in sections for name in (data.get(section) or {})]
    return Locked(names)


def _walk(roots: Iterable[tuple[str, frozenset[str]]], children: Any) -> list[str]:
    """Every package reachable from the roots (an extra reached later is still followed)."""
    seen: dict[str, frozenset[str]] = {}
    todo = list(roots)
    while todo:
        name, extras = todo.pop(0)
        known = seen.get(name)
        if known is not None and extras <= known:
            continue
        merged = extras | (known or frozenset())
        seen[name] = merged
        todo += children(name, merged)
    return list(seen)
