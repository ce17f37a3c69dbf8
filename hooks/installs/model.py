"""What an image installs, as the install model sees it (types shared by its modules)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Installed:
    """One distribution an install step puts into the image."""

    name: str  # PEP 503 normalised
    where: str  # "predictions/worker/requirements.txt:3", "Dockerfile:12", "uv.lock"
    extras: frozenset[str] = frozenset()
    no_deps: bool = False  # `--no-deps` (or a lock file): its dependencies are not installed with it
    locked: bool = False  # listed by a lock file (the lock holds the complete set)


@dataclass(frozen=True)
class Unknown:
    """Something an install step does that cannot be read statically."""

    reason: str  # "pip install -r $REQS: the variable is not set"
    where: str  # "Dockerfile:9" / "requirements.txt:4"


@dataclass(frozen=True)
class FixTarget:
    """Where a missing distribution is declared for this image: the line to add goes there."""

    kind: str  # "requirements" | "pyproject" | "pipfile" | "dockerfile"
    path: str  # repository path of the file
    line: int | None = None  # the Dockerfile RUN line for kind "dockerfile"


@dataclass
class InstallSet:
    """What one install location (site-packages, a venv, a --prefix, a wheel directory) holds."""

    distributions: dict[str, Installed] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)  # importable names known directly (a local project's packages, apt's python3-X)
    unknown: list[Unknown] = field(default_factory=list)
    requirement_files: list[str] = field(default_factory=list)  # repository paths, in install order
    declared: list[FixTarget] = field(default_factory=list)  # where the install steps take their lists from

    def add(self, item: Installed) -> None:
        known = self.distributions.get(item.name)
        if known is None:
            self.distributions[item.name] = item
        else:  # the union of extras; deps are installed if any step installs them
            self.distributions[item.name] = Installed(
                item.name, known.where, known.extras | item.extras, known.no_deps and item.no_deps, known.locked or item.locked
            )

    def merge(self, other: InstallSet) -> None:
        for item in other.distributions.values():
            self.add(item)
        self.modules |= other.modules
        self.unknown += [u for u in other.unknown if u not in self.unknown]
        self.requirement_files += [f for f in other.requirement_files if f not in self.requirement_files]
        self.declared += [d for d in other.declared if d not in self.declared]

    def copy(self) -> InstallSet:
        fresh = InstallSet()
        fresh.merge(self)
        return fresh


@dataclass(frozen=True)
class SourceFile:
    """A file read from the image, located on disk."""

    image_path: str
    source: Path
    shown: str  # repository-relative path, for messages
