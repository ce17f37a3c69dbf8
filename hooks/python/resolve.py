"""Where a dotted module name comes from: the image, the repository only, the standard
library, or a third-party distribution.

Resolution in the image follows Python's PathFinder/FileFinder over the image's sys.path: per
directory, a regular package (`x/__init__.py`) wins, then a module file (`x.py`, `x.pyc`,
extension modules), else the directory is a PEP 420 namespace portion and the search goes on.

A name the image lacks is looked up in the repository (the build context on disk): below the
repository directory the nearest image package was copied from (an image package's `__init__.py`
names its source), or, for a top-level name, in the source roots of each sys.path directory
(context directories whose files landed under it), the configured first-party roots and the
context root. Found there, it is first-party and missing — and the resolver phrases the COPY
line that brings in the smallest missing piece.
"""
from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from predguard.hooks import replay
from predguard.hooks.python.imports import parse_file
from predguard.hooks.model import Image, ImageFile

_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names) | {"__main__"}
_BINARY_SUFFIXES = (".so", ".pyd")


@dataclass(frozen=True)
class MissingInit:
    """A package whose `__init__.py` exists in the repository but not in the image."""

    package: str
    source: Path  # the repository's __init__.py
    fix: str


@dataclass(frozen=True)
class Located:
    module: str
    kind: str  # "image" | "repo" | "namespace" | "opaque" | "stdlib" | "third_party" | "unresolved" | "fails"
    file: Path | None = None  # the file on disk to read for this module (None: namespace, binary, elsewhere)
    is_package: bool = False
    fix: str | None = None  # kind "repo": the COPY line that brings the module in
    parents: tuple[tuple[str, Path | None], ...] = ()  # enclosing packages and their __init__.py on disk (if any)
    missing_inits: tuple[MissingInit, ...] = ()  # enclosing packages whose __init__.py the image lacks
    why: str | None = None  # kind "fails": why CPython cannot import it in the image


@dataclass(frozen=True)
class _Step:
    kind: str  # "package" | "module" | "namespace" | "binary" | "opaque"
    image_dirs: tuple[str, ...] = ()  # package / namespace directories in the image
    file: ImageFile | None = None  # __init__.py or module file
    root: str = ""  # the sys.path directory the top-level name was found in


@dataclass
class Resolver:
    """Resolves names for one image; results are cached for the image's whole check."""

    image: Image
    sys_path: tuple[str, ...]
    first_party: Sequence[str] = ()
    _files: frozenset[str] = field(init=False)
    _children: dict[str, set[str]] = field(init=False)
    _dir_sources: dict[str, list[Path]] = field(init=False)
    _cache: dict[str, Located] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Plain strings and early exits: this runs over every file of every image (thousands when
        # the context is the repository root), so pathlib objects here cost more than the check.
        self._files = frozenset(self.image.files)
        self._children = {}
        self._dir_sources = {}
        context = os.path.abspath(self.image.context).rstrip(os.sep) + os.sep
        mapped: set[tuple[str, str]] = set()
        for image_path, image_file in self.image.files.items():
            directory, name = posixpath.split(image_path)
            while True:
                children = self._children.get(directory)
                if children is None:
                    children = self._children[directory] = set()
                elif name in children:
                    break  # seen before: its parents are recorded already
                children.add(name)
                if directory == "/":
                    break
                directory, name = posixpath.split(directory)
            self._map_source_dirs(image_path, os.path.abspath(image_file.source), context, mapped)

    def _map_source_dirs(self, image_path: str, source: str, context: str, mapped: set[tuple[str, str]]) -> None:
        """Pair each image directory above `image_path` with the context directory it mirrors."""
        image_dir, name = posixpath.split(image_path)
        source_dir, source_name = os.path.split(source)
        while name and name == source_name:
            if not (source_dir + os.sep).startswith(context):
                return
            if (image_dir, source_dir) in mapped:
                return  # the same walk upwards was done for a sibling
            mapped.add((image_dir, source_dir))
            known = self._dir_sources.setdefault(image_dir, [])
            candidate = Path(source_dir)
            if candidate not in known:
                known.append(candidate)
            if image_dir == "/":
                return
            image_dir, name = posixpath.split(image_dir)
            source_dir, source_name = os.path.split(source_dir)

    # --- public ------------------------------------------------------------------------------

    def locate(self, module: str) -> Located:
        found = self._cache.get(module)
        if found is None:
            found = self._cache[module] = self._locate(module)
        return found

    def locate_file(self, image_path: str) -> tuple[Path, str] | None:
        """A file the image lacks, found in the repository directory its image directory mirrors:
        (repository file, the COPY line that brings it in)."""
        directory, name = posixpath.split(image_path)
        for source_dir in self._dir_sources.get(directory, []):
            candidate = source_dir / name
            if _is_file(candidate):
                return candidate, self._copy_line(candidate, image_path, is_dir=False)
        return None

    def relative_to_workdir(self, image_path: str, is_dir: bool) -> str:
        workdir = self.image.workdir or "/"
        suffix = "/" if is_dir else ""
        if posixpath.commonpath([workdir, image_path]) == workdir and workdir != "/":
            return "./" + posixpath.relpath(image_path, workdir) + suffix
        return image_path + suffix

    # --- image side --------------------------------------------------------------------------

    def _image_steps(self, parts: list[str]) -> list[_Step]:
        steps: list[_Step] = []
        search = [(directory, directory) for directory in self.sys_path]  # (dir, its sys.path root)
        for index, part in enumerate(parts):
            step = self._find_in(search, part)
            if step is None:
                break
            steps.append(step)
            if step.kind in ("module", "binary", "opaque") or index == len(parts) - 1:
                break
            search = [(directory, step.root) for directory in step.image_dirs]
        return steps

    def _find_in(self, search: list[tuple[str, str]], part: str) -> _Step | None:
        portions: list[str] = []
        root = ""
        for directory, sys_root in search:
            base = posixpath.join(directory, part)
            if self._opaque(base):
                return _Step("opaque", root=sys_root)
            init = self.image.files.get(base + "/__init__.py")
            if init is not None:
                return _Step("package", (base,), init, sys_root)
            for suffix in (".py", ".pyc"):
                module_file = self.image.files.get(base + suffix)
                if module_file is not None:
                    return _Step("module", (), module_file, sys_root)
            names = self._children.get(directory, set())
            if any(n.startswith(part + ".") and n.endswith(_BINARY_SUFFIXES) for n in names):
                return _Step("binary", root=sys_root)
            if base in self._children:
                portions.append(base)
                root = root or sys_root
        return _Step("namespace", tuple(portions), None, root) if portions else None

    def _opaque(self, image_path: str) -> bool:
        return any(
            image_path == opaque or image_path.startswith(opaque.rstrip("/") + "/") for opaque in self.image.opaque_dirs
        )

    # --- locating -----------------------------------------------------------------------------

    def _locate(self, module: str) -> Located:
        parts = module.split(".")
        if not all(part.isidentifier() for part in parts):
            return Located(module, "unresolved")
        steps = self._image_steps(parts)
        if steps and steps[-1].kind == "opaque":
            return Located(module, "opaque")
        parents, missing_inits = self._parents(parts, steps)
        if len(steps) == len(parts):
            last = steps[-1]
            if last.kind == "namespace":
                init = self._repo_init(last.image_dirs)
                if init is not None:  # the repository makes it a regular package: its __init__ is missing
                    fix = self._copy_line(init, posixpath.join(last.image_dirs[0], "__init__.py"), is_dir=False)
                    return Located(module, "repo", init, True, fix, tuple(parents), tuple(missing_inits))
                return Located(module, "namespace", None, True, None, tuple(parents), tuple(missing_inits))
            source = last.file.source if last.file is not None else None
            return Located(module, "image", source, last.kind == "package", None, tuple(parents), tuple(missing_inits))
        if steps and steps[-1].kind == "module" and steps[-1].file is not None:
            # `import a.b` where the image's `a` is a module file: "'a' is not a package".
            name = ".".join(parts[: len(steps)])
            return Located(module, "fails", why=f"'{name}' is not a package in the image: {steps[-1].file.image_path} is a "
                           f"module, so {module} cannot be imported (copy the package directory, not its files)")
        if steps and steps[-1].kind == "binary":
            return Located(module, "unresolved")
        hidden = self._shadowed(parts, steps)
        if hidden is not None:
            return hidden
        if not steps and parts[0] in _STDLIB:
            return Located(module, "stdlib")
        return self._locate_in_repo(module, parts, steps, parents, missing_inits)

    def _shadowed(self, parts: list[str], steps: list[_Step]) -> Located | None:
        """`a.b` that the image holds under a later sys.path entry, hidden by an earlier regular
        package or module `a` (CPython takes the first one and never looks further)."""
        if not steps or steps[0].kind not in ("package", "module") or len(parts) < 2:
            return None
        winner = steps[0].root
        relative = "/".join(parts)
        for directory in self.sys_path:
            if directory == winner:
                continue
            base = posixpath.join(directory, relative)
            if base + ".py" in self._files or base + "/__init__.py" in self._files:
                top = posixpath.join(winner, parts[0])
                hidden = posixpath.join(directory, parts[0])
                return Located(".".join(parts), "fails", why=f"{top} (first on sys.path) hides {hidden}, which holds "
                               f"{'.'.join(parts)}: CPython imports the first package named {parts[0]} and never looks further")
        return None

    def _parents(self, parts: list[str], steps: list[_Step]) -> tuple[list[tuple[str, Path | None]], list[MissingInit]]:
        """Enclosing packages resolved in the image, and those whose __init__.py is only in the repo."""
        parents: list[tuple[str, Path | None]] = []
        missing: list[MissingInit] = []
        for index, step in enumerate(steps[: len(parts) - 1]):
            name = ".".join(parts[: index + 1])
            if step.kind == "package" and step.file is not None:
                parents.append((name, step.file.source))
            elif step.kind == "namespace":
                init = self._repo_init(step.image_dirs)
                parents.append((name, init))
                if init is not None:
                    fix = self._copy_line(init, posixpath.join(step.image_dirs[0], "__init__.py"), is_dir=False)
                    missing.append(MissingInit(name, init, fix))
        return parents, missing

    def _repo_init(self, image_dirs: tuple[str, ...]) -> Path | None:
        """The repository's `__init__.py` of a directory the image holds without one, when it
        matters. An empty, comment- or docstring-only one does not: without it the directory
        imports as a namespace package and every import from it works the same."""
        for image_dir in image_dirs:
            for source_dir in self._dir_sources.get(image_dir, []):
                init = source_dir / "__init__.py"
                if _is_file(init) and not _trivial(init):
                    return init
        return None

    def _locate_in_repo(
        self,
        module: str,
        parts: list[str],
        steps: list[_Step],
        parents: list[tuple[str, Path | None]],
        missing_inits: list[MissingInit],
    ) -> Located:
        absent = len(steps)  # parts[absent:] are not in the image at all
        for image_base, disk_base, require_regular in self._repo_candidates(parts, steps):
            disk = _disk_steps(disk_base, parts[absent:])
            if disk is None:
                continue
            kinds = [kind for kind, _ in disk]
            if kinds[-1] == "namespace" and (absent == 0 or require_regular):
                continue  # a bare directory is no evidence of a first-party module
            if require_regular and "namespace" in kinds:
                continue
            return self._missing(module, parts, absent, image_base, disk, parents, missing_inits)
        if absent == 0 or all(step.kind == "namespace" for step in steps):
            return Located(module, "third_party")
        return Located(module, "unresolved")

    def _repo_candidates(self, parts: list[str], steps: list[_Step]) -> list[tuple[str, Path, bool]]:
        """(image dir, repository dir, only-regular-packages) pairs to look for parts[len(steps):]."""
        candidates: list[tuple[str, Path, bool]] = []
        if steps:
            last = steps[-1]
            if last.kind == "package" and last.file is not None:
                candidates.append((last.image_dirs[0], Path(os.path.abspath(last.file.source)).parent, False))
            for image_dir in last.image_dirs:
                candidates += [(image_dir, source, False) for source in self._dir_sources.get(image_dir, [])]
            return candidates
        for directory in self.sys_path:
            candidates += [(directory, source, False) for source in self._dir_sources.get(directory, [])]
        primary = self.sys_path[0] if self.sys_path else (self.image.workdir or "/")
        context = Path(os.path.abspath(self.image.context))
        if parts[0] in self.first_party:
            candidates += [(primary, context, False), (primary, context / "src", False)]
        candidates.append((primary, context, True))
        return candidates

    def _missing(
        self,
        module: str,
        parts: list[str],
        absent: int,
        image_base: str,
        disk: list[tuple[str, Path]],
        parents: list[tuple[str, Path | None]],
        missing_inits: list[MissingInit],
    ) -> Located:
        kind, path = disk[-1]
        is_package = kind in ("package", "namespace")
        # The smallest COPY: the module's own package directory when that directory is missing too
        # (the deepest package absent from the image), else the single module file.
        copy_index = len(disk) - 1 if is_package else len(disk) - 2
        parents = list(parents)
        missing_inits = list(missing_inits)
        for index, (step_kind, step_path) in enumerate(disk[: len(disk) - 1]):
            name = ".".join(parts[: absent + index + 1])
            init = step_path / "__init__.py" if step_kind == "package" else None
            parents.append((name, init))
            if init is not None and index < copy_index:  # above the copied dir: only its __init__.py
                dest = posixpath.join(image_base, *parts[absent : absent + index + 1], "__init__.py")
                missing_inits.append(MissingInit(name, init, self._copy_line(init, dest, is_dir=False)))
        if copy_index >= 0:
            source_dir = disk[copy_index][1]
            dest = posixpath.join(image_base, *parts[absent : absent + copy_index + 1])
            fix = self._copy_line(source_dir, dest, is_dir=True)
        else:
            dest = posixpath.join(image_base, *parts[absent:]) + path.suffix
            fix = self._copy_line(path, dest, is_dir=False)
        file = path / "__init__.py" if kind == "package" else (None if kind == "namespace" else path)
        return Located(module, "repo", file, is_package, fix, tuple(parents), tuple(missing_inits))

    def _copy_line(self, source: Path, image_path: str, *, is_dir: bool) -> str:
        context = Path(os.path.abspath(self.image.context))
        destination = self.relative_to_workdir(image_path, is_dir)
        try:
            relative = Path(os.path.abspath(source)).relative_to(context).as_posix()
        except ValueError:
            return f"{source} is outside the build context {context}: move it in (or widen the context), then COPY it to {destination}"
        return f"COPY {relative}{'/' if is_dir else ''} {destination}"


def _disk_steps(base: Path, parts: list[str]) -> list[tuple[str, Path]] | None:
    """Resolve `parts` below the repository directory `base`: [(kind, path)] or None."""
    steps: list[tuple[str, Path]] = []
    current = base
    for index, part in enumerate(parts):
        candidate = current / part
        last = index == len(parts) - 1
        if _is_file(candidate / "__init__.py"):
            steps.append(("package", candidate))
            current = candidate
        elif _is_file(candidate.with_name(part + ".py")):
            steps.append(("module", candidate.with_name(part + ".py")))
            if not last:
                return None
        elif _is_dir(candidate) and (not last or _has_python(candidate)):
            steps.append(("namespace", candidate))
            current = candidate
        else:
            return None
    return steps


@lru_cache(maxsize=65536)
def _is_file(path: Path) -> bool:
    replay.probed(path)
    try:
        return path.is_file()
    except OSError:  # name too long, permission denied: not a module we can see
        return False


@lru_cache(maxsize=65536)
def _is_dir(path: Path) -> bool:
    replay.probed(path)
    try:
        return path.is_dir()
    except OSError:
        return False


def _trivial(init: Path) -> bool:
    """An `__init__.py` with nothing but comments and a docstring (unreadable or unparsable: not
    ours to judge). Read through the import scan, so the file has one reader (predguard.hooks.replay)."""
    return parse_file(init).trivial


@lru_cache(maxsize=4096)
def _has_python(directory: Path) -> bool:
    try:
        return any(child.suffix == ".py" or _is_file(child / "__init__.py") for child in directory.iterdir())
    except OSError:
        return False


def clear_caches() -> None:
    """Forget file-system look-ups (tests that rewrite the tree, long-running processes)."""
    _is_file.cache_clear()
    _is_dir.cache_clear()
    _has_python.cache_clear()
