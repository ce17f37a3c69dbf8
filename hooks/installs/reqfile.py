"""pip's inputs: requirements files (nested `-r`, `-c`, options, hashes, markers, `${VAR}`),
requirement specifiers, local projects and wheel files, read through one stage's file system.

A requirements file is read from the repository file the image path was COPYed from, so a file
copied from another directory is read from its source. What cannot be read (a URL, a file made by
a RUN, an unset variable, a VCS checkout) is recorded as `Unknown` with the reason.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Mapping

from predguard.hooks.installs import projects
from predguard.hooks.installs.fs import StageFiles
from predguard.hooks.installs.model import FixTarget, InstallSet, Installed, Unknown
from predguard.hooks.installs.names import marker_holds, name_from_reference, parse_specifier

_PIP_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")  # pip expands only ${NAME} (POSIX names, upper case)
_COMMENT = re.compile(r"(^|\s+)#.*$")
_REQUIREMENT_OPTION = re.compile(r"\s+--?(?:hash|config-settings|global-option|install-option|C)\b.*$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_VCS = re.compile(r"^(?:git|hg|svn|bzr)\+")

WheelLookup = Callable[[str], InstallSet | None]  # image path (maybe a glob) -> what a wheel directory holds


class Reader:
    """Reads pip's inputs for one RUN step of one stage."""

    def __init__(self, files: StageFiles, env: Mapping[str, str], marker_env: dict[str, str], wheels: WheelLookup) -> None:
        self.files = files
        self.env = env
        self.marker_env = marker_env
        self.wheels = wheels

    # -- requirements files ----------------------------------------------------------------------

    def requirements(self, image_path: str, into: InstallSet, *, where: str, no_deps: bool, top: bool = True,
                     stack: tuple[str, ...] = (), constraint: bool = False) -> None:
        """Read `-r image_path` into `into` (a constraints file adds nothing, but is looked for)."""
        what = "constraints file" if constraint else "requirements file"
        if _URL.match(image_path):
            into.unknown.append(Unknown(f"the {what} {image_path} is downloaded at build time", where))
            return
        if "$" in image_path:
            into.unknown.append(Unknown(f"the {what} {image_path} is named by an unset variable", where))
            return
        if image_path in stack:
            return  # an include cycle: every file on it is read once
        found = self.files.find(image_path)
        if found is None:
            reason = ("comes from something predguard cannot see into" if self.files.opaque(image_path)
                      else "is not copied into the image (made by a RUN step, or missing)")
            into.unknown.append(Unknown(f"the {what} {image_path} {reason}", where))
            return
        if constraint:
            return
        if found.shown not in into.requirement_files:
            into.requirement_files.append(found.shown)
        if top:
            into.declared.append(FixTarget("requirements", found.shown))
        try:
            text = found.source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            into.unknown.append(Unknown(f"the requirements file {found.shown} cannot be read ({exc})", where))
            return
        directory = posixpath.dirname(image_path)
        for line_no, line in _logical_lines(text):
            self.line(line, f"{found.shown}:{line_no}", directory, into, no_deps, (*stack, image_path))

    def line(self, line: str, where: str, directory: str, into: InstallSet, no_deps: bool, stack: tuple[str, ...]) -> None:
        """One logical line of a requirements file in image directory `directory`."""
        unset = [name for name in _PIP_VARIABLE.findall(line) if name not in self.env]
        line = _PIP_VARIABLE.sub(lambda m: self.env.get(m.group(1), m.group(0)), line)
        if unset:
            into.unknown.append(Unknown(f"'{line.strip()}' uses ${{{unset[0]}}}, which is not set when the image is built", where))
            return
        if line.startswith("-"):
            self._option_line(line, where, directory, into, no_deps, stack)
            return
        self.specifier(_REQUIREMENT_OPTION.sub("", line), into, where=where, cwd=directory, no_deps=no_deps)

    def _option_line(self, line: str, where: str, directory: str, into: InstallSet, no_deps: bool, stack: tuple[str, ...]) -> None:
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        option, value = _option(words)
        if option in ("-r", "--requirement", "-c", "--constraint") and value:
            path = value if _URL.match(value) else posixpath.normpath(posixpath.join(directory, value))
            self.requirements(path, into, where=where, no_deps=no_deps, top=False, stack=stack,
                              constraint=option in ("-c", "--constraint"))
        elif option in ("-e", "--editable") and value:
            self.specifier(value, into, where=where, cwd=directory, no_deps=no_deps, editable=True)
        # Index, find-links, binary and hash-mode options change where pip looks, not what it installs.

    # -- one requirement ------------------------------------------------------------------------------

    def specifier(self, text: str, into: InstallSet, *, where: str, cwd: str, no_deps: bool, editable: bool = False) -> None:
        text = text.strip()
        if not text:
            return
        spec = parse_specifier(text)
        if spec is None:
            into.unknown.append(Unknown(f"'{text}' is not a requirement pip can read", where))
            return
        if not marker_holds(spec.marker, self.marker_env):
            return
        if spec.reference is None:
            assert spec.name is not None
            into.add(Installed(spec.name, where, spec.extras, no_deps))
            return
        reference = spec.reference
        if _VCS.match(reference) or _URL.match(reference):
            name = spec.name or name_from_reference(reference)
            if name is None:
                kind = "a VCS checkout" if _VCS.match(reference) else "a download"
                flag = "-e " if editable else ""
                into.unknown.append(Unknown(f"'{flag}{reference}' is {kind}: which distribution it installs is not read (add #egg=<name>)", where))
                return
            into.add(Installed(name, where, spec.extras, no_deps))
            return
        path = posixpath.normpath(posixpath.join(cwd, reference.removeprefix("file:")))
        if any(ch in path for ch in "*?["):
            held = self.wheels(path)
            if held is None:
                into.unknown.append(Unknown(f"'{reference}' names files predguard cannot list", where))
            else:
                into.merge(held)
            return
        name = spec.name or name_from_reference(path)
        if path.endswith((".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2")):
            if name is None:
                into.unknown.append(Unknown(f"'{reference}' is not a wheel or sdist file name pip can read", where))
            else:
                into.add(Installed(name, where, spec.extras, no_deps))
            return
        held = self.wheels(path)
        if held is not None:  # a wheel directory (`pip install --no-index /wheels` style)
            into.merge(held)
            return
        self.project(path, spec.extras, into, where=where, no_deps=no_deps)

    def project(self, directory: str, extras: frozenset[str], into: InstallSet, *, where: str, no_deps: bool) -> None:
        """`pip install DIR[extras]`: the project, its dependencies with those extras, and its packages."""
        project = projects.read_project(directory, self.files)
        if project is None:
            why = "comes from something predguard cannot see into" if self.files.opaque(directory) else "has no pyproject.toml, setup.cfg or setup.py in the image"
            into.unknown.append(Unknown(f"the project directory {directory} {why}", where))
            return
        into.modules |= project.packages
        into.declared.append(FixTarget("pyproject" if project.where.endswith("pyproject.toml") else "project", project.where))
        own = None
        if project.name:
            spec = parse_specifier(project.name)
            own = spec.name if spec else None
            if own:  # its dependencies are read right here, not left to a dependency map
                into.add(Installed(own, project.where, extras, no_deps=True))
        if no_deps:
            return
        if project.unknown:
            into.unknown.append(Unknown(project.unknown, where))
        for path in project.requirement_files:
            self.requirements(path, into, where=project.where, no_deps=False, top=False)
        wanted = set(extras)
        done: set[str] = set()
        todo = list(project.requires)
        while wanted - done:
            extra = (wanted - done).pop()
            done.add(extra)
            if extra not in project.extras:
                into.unknown.append(Unknown(f"the extra [{extra}] is not declared by {project.where}", where))
                continue
            todo += project.extras[extra]
        for text in todo:
            spec = parse_specifier(text)
            if spec is not None and own is not None and spec.name == own and spec.reference is None:
                for extra in spec.extras - done:  # `myproject[other]` inside an extra: a self-reference
                    done.add(extra)
                    for inner in project.extras.get(extra, []):
                        self.specifier(inner, into, where=project.where, cwd=directory, no_deps=False)
                continue
            self.specifier(text, into, where=project.where, cwd=directory, no_deps=False)


def _option(words: list[str]) -> tuple[str, str | None]:
    """(`-r`, `base.txt`) from `-r base.txt`, `-rbase.txt` or `--requirement=base.txt`."""
    if not words:
        return "", None
    first = words[0]
    if first.startswith("--") and "=" in first:
        name, _, value = first.partition("=")
        return name, value
    if not first.startswith("--") and len(first) > 2:
        return first[:2], first[2:].lstrip("=")
    return first, words[1] if len(words) > 1 else None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """pip's line handling: `\\` joins lines, ` #` starts a comment; (first line number, text)."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            out.append((start, joined))
    if pending.strip():
        out.append((start, pending.strip()))
    return out
