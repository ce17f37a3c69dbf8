"""A local project installed with `pip install .` / `-e DIR` / `DIR[extra]`: its name, dependencies
(PEP 621, Poetry, setup.cfg, or a literal setup.py) and the top-level packages it makes importable.

An unparsable pyproject.toml or setup.cfg is an InputError naming the file (exit 2): the image
build would fail on it too. Dependencies computed by setup.py code are *unknown*, said so.
"""
from __future__ import annotations

import ast
import configparser
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from predguard.errors import InputError
from predguard.hooks.installs.fs import StageFiles
from predguard.hooks.installs.model import SourceFile
from predguard.hooks.installs.names import normalise

_TXT = re.compile(r"""["']([\w./-]*requirements[\w.-]*\.(?:txt|in))["']""")
_NOT_PACKAGES = frozenset({"setup", "conftest", "tests", "test", "docs", "examples", "build", "dist", "noxfile", "tasks"})


@dataclass
class Project:
    directory: str  # image path
    where: str  # the file that declared the dependencies (repository path)
    name: str | None = None
    requires: list[str] = field(default_factory=list)
    extras: dict[str, list[str]] = field(default_factory=dict)  # normalised extra -> requirement strings
    requirement_files: list[str] = field(default_factory=list)  # image paths holding dependencies (setuptools dynamic, setup.py reading a file)
    packages: set[str] = field(default_factory=set)
    unknown: str | None = None  # why the dependencies cannot be read


def read_project(directory: str, files: StageFiles) -> Project | None:
    """The project in image directory `directory`; None when it holds no pyproject.toml, setup.cfg or setup.py."""
    pyproject = files.find(f"{directory.rstrip('/')}/pyproject.toml")
    setup_cfg = files.find(f"{directory.rstrip('/')}/setup.cfg")
    setup_py = files.find(f"{directory.rstrip('/')}/setup.py")
    if pyproject is None and setup_cfg is None and setup_py is None:
        return None
    first = pyproject or setup_cfg or setup_py
    assert first is not None
    project = Project(directory=directory, where=first.shown)
    dynamic = True  # until a source declares the dependencies statically
    if pyproject is not None:
        dynamic = _read_pyproject(project, load_toml(pyproject), directory)
    if dynamic and setup_cfg is not None:
        dynamic = _read_setup_cfg(project, setup_cfg, directory)
    if dynamic and setup_py is not None:
        dynamic = _read_setup_py(project, setup_py, directory, files)
    if dynamic and (pyproject is not None and setup_py is None and setup_cfg is None):
        dynamic = False  # a pyproject.toml without [project] dependencies and nothing else: none declared
    if dynamic:
        project.unknown = f"the dependencies of {project.where} are computed at build time"
    project.packages |= _top_level_packages(directory, files)
    return project


def load_toml(file: SourceFile) -> dict[str, Any]:
    try:
        return tomllib.loads(file.source.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse it to read what the image installs: {exc}", where=file.shown) from None
    except OSError as exc:
        raise InputError(f"cannot read it: {exc.strerror or exc}", where=file.shown) from None


def _read_pyproject(project: Project, data: dict[str, Any], directory: str) -> bool:
    """Fill from pyproject.toml; True while the dependencies are still to be found elsewhere."""
    table = data.get("project")
    poetry = data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    if isinstance(table, dict):
        project.name = table.get("name") if isinstance(table.get("name"), str) else None
        project.requires += _strings(table.get("dependencies"))
        optional = table.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, reqs in optional.items():
                project.extras[normalise(extra)] = _strings(reqs)
        dynamic = table.get("dynamic") or []
        if "dependencies" in dynamic or "optional-dependencies" in dynamic:
            setuptools_dynamic = data.get("tool", {}).get("setuptools", {}).get("dynamic", {})
            if isinstance(setuptools_dynamic, dict) and isinstance(setuptools_dynamic.get("dependencies"), dict):
                for name in _strings(setuptools_dynamic["dependencies"].get("file")):
                    project.requirement_files.append(f"{directory.rstrip('/')}/{name}")
                return False
            return "dependencies" in dynamic
        if "dependencies" in table or poetry is None:
            return False
    if isinstance(poetry, dict):
        project.name = project.name or (poetry.get("name") if isinstance(poetry.get("name"), str) else None)
        deps = poetry.get("dependencies")
        optional_names: set[str] = set()
        if isinstance(deps, dict):
            for dep, spec in deps.items():
                if dep.lower() == "python":
                    continue
                if isinstance(spec, dict) and spec.get("optional"):
                    optional_names.add(normalise(dep))
                    continue
                project.requires.append(dep)
        extras = poetry.get("extras")
        if isinstance(extras, dict):
            for extra, names in extras.items():
                project.extras[normalise(extra)] = _strings(names)
        for include in poetry.get("packages") or []:
            if isinstance(include, dict) and isinstance(include.get("include"), str):
                project.packages.add(include["include"].split("/")[0].split(".")[0])
        return False
    return True


def _read_setup_cfg(project: Project, file: SourceFile, directory: str) -> bool:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(file.source.read_text(encoding="utf-8"), source=file.shown)
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse it to read what the image installs: {' '.join(str(exc).split())}", where=file.shown) from None
    if parser.has_option("metadata", "name"):
        project.name = project.name or parser.get("metadata", "name")
    if not parser.has_option("options", "install_requires") and not parser.has_section("options.extras_require"):
        return True
    value = parser.get("options", "install_requires", fallback="")
    if value.strip().startswith("file:"):
        for name in value.strip()[5:].split(","):
            project.requirement_files.append(f"{directory.rstrip('/')}/{name.strip()}")
    else:
        project.requires += [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]
    if parser.has_section("options.extras_require"):
        for extra, reqs in parser.items("options.extras_require"):
            project.extras[normalise(extra)] = [r.strip() for r in reqs.splitlines() if r.strip()]
    return False


def _read_setup_py(project: Project, file: SourceFile, directory: str, files: StageFiles) -> bool:
    try:
        text = file.source.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
        return True
    assigned = {
        target.id: node.value
        for node in tree.body if isinstance(node, ast.Assign)
        for target in node.targets if isinstance(target, ast.Name)
    }
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", None)) == "setup"):
            continue
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        name = _literal(keywords.get("name"), assigned)
        if isinstance(name, str):
            project.name = project.name or name
        if "install_requires" not in keywords:
            return False  # setup() without dependencies
        requires = _literal(keywords["install_requires"], assigned)
        extras = _literal(keywords.get("extras_require"), assigned) if "extras_require" in keywords else {}
        if isinstance(requires, (list, tuple)) and all(isinstance(r, str) for r in requires):
            project.requires += list(requires)
            if isinstance(extras, dict):
                for extra, reqs in extras.items():
                    if isinstance(extra, str) and isinstance(reqs, (list, tuple)):
                        project.extras[normalise(extra)] = [r for r in reqs if isinstance(r, str)]
            return False
        # The common `install_requires=open("requirements.txt").read().splitlines()`.
        named = [f"{directory.rstrip('/')}/{m}" for m in _TXT.findall(text)]
        readable = [n for n in named if files.find(n) is not None]
        if readable:
            project.requirement_files += readable
            return False
        return True
    return True


def _literal(node: ast.expr | None, assigned: dict[str, ast.expr]) -> object:
    if node is None:
        return None
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _top_level_packages(directory: str, files: StageFiles) -> set[str]:
    base = directory.rstrip("/") + "/"
    names: set[str] = set()
    for path in files.under(directory):
        parts = path[len(base):].split("/")
        if parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        if len(parts) == 1 and parts[0].endswith(".py"):
            names.add(parts[0][:-3])
        elif len(parts) >= 2 and parts[-1].endswith(".py"):
            names.add(parts[0])
    return {n for n in names if n.isidentifier() and n not in _NOT_PACKAGES}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
