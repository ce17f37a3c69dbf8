"""Where else in the repository a distribution is declared: the incident was a package listed in
another service's (or the root's) requirements file that this image does not install. Naming that
file, and reusing its pinned line, makes the fix concrete."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from predguard.hooks.installs.names import parse_specifier

_SKIP_DIRS = frozenset({".git", ".hg", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__", "site-packages",
                        "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs"})
_REQUIREMENTS = re.compile(r"(?:^|[-_.])requirements?(?:[-_.].*)?\.(?:txt|in)$|^requirements?[-_.\w]*\.(?:txt|in)$", re.IGNORECASE)
_MAX_FILES = 400  # a monorepo's requirements files; more is noise in a message


@dataclass(frozen=True)
class Declaration:
    file: str  # repository path
    line: int
    text: str  # the requirement as written ("boto3==1.34.0")


_SEEN: dict[Path, dict[str, list[Declaration]]] = {}  # per run: every image with a finding asks (forget_declarations)


def forget_declarations() -> None:
    """Forget the repositories read by earlier runs of this process."""
    _SEEN.clear()


def declarations(root: Path) -> dict[str, list[Declaration]]:
    """Normalised distribution -> the requirement files (and pyproject.toml files) of the repository that list it."""
    if root not in _SEEN:
        _SEEN[root] = _declarations(root)
    return _SEEN[root]


def _declarations(root: Path) -> dict[str, list[Declaration]]:
    found: dict[str, list[Declaration]] = {}
    count = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(directory) / name
            if _REQUIREMENTS.search(name):
                entries = _requirements(path)
            elif name == "pyproject.toml":
                entries = _pyproject(path)
            else:
                continue
            count += 1
            shown = path.relative_to(root).as_posix()
            for dist, line, text in entries:
                found.setdefault(dist, []).append(Declaration(shown, line, text))
            if count >= _MAX_FILES:
                return found
    return found


def _requirements(path: Path) -> list[tuple[str, int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip().rstrip("\\").strip()
        line = re.sub(r"\s+--?hash\S*.*$", "", line)
        if not line or line.startswith("-"):
            continue
        spec = parse_specifier(line)
        if spec is not None and spec.name and spec.reference is None:
            out.append((spec.name, number, line))
    return out


def _pyproject(path: Path) -> list[tuple[str, int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # not installed by the image being checked: its syntax is not this check's business
    project = data.get("project")
    requirements: list[str] = []
    if isinstance(project, dict):
        requirements += [r for r in project.get("dependencies") or [] if isinstance(r, str)]
        for extra in (project.get("optional-dependencies") or {}).values():
            requirements += [r for r in extra if isinstance(r, str)] if isinstance(extra, list) else []
    out = []
    lines = text.splitlines()
    for requirement in requirements:
        spec = parse_specifier(requirement)
        if spec is None or not spec.name:
            continue
        number = next((i for i, line in enumerate(lines, 1) if requirement in line), 1)
        out.append((spec.name, number, requirement))
    return out
