"""An image's RUN steps -> what the built stage can import (`InstallView`).

Each stage keeps its install locations: the interpreter's site-packages ("/usr/local"), virtual
environments, `--prefix`/`--target`/`--user` directories (importable), and wheel directories made
by `pip wheel`/`pip download` (files only). `FROM <stage>` inherits them; `COPY --from=<stage> SRC
DEST` carries every location at or below SRC (or the one holding SRC) to DEST, so a virtualenv,
a prefix or a wheelhouse built in one stage is read where it lands. The built stage can import
what its importable locations hold (whether PATH/PYTHONPATH point at a copied venv is not checked).
"""
from __future__ import annotations

import fnmatch
import posixpath
import re
from collections import ChainMap
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from predguard.hooks.dockerfile.instructions import parse_flags
from predguard.hooks.installs import commands, locks, projects
from predguard.hooks.installs.base import BaseImage, describe_base
from predguard.hooks.installs.commands import PipCall, Program
from predguard.hooks.installs.fs import StageFiles
from predguard.hooks.installs.model import FixTarget, InstallSet, Installed, Unknown
from predguard.hooks.installs.names import is_reference, marker_environment, name_from_reference, normalise
from predguard.hooks.installs.reqfile import Reader
from predguard.hooks.model import Image, StageStep, StageView

SYSTEM = "/usr/local"  # where `pip install` puts distributions for the image's interpreter
_SYSTEM_BIN = frozenset({"/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"})
_SITE_WORDS = ("site-packages", "dist-packages", "venv", "/.local")
# What commands.program acts on (pip, python -m pip|venv|uv|poetry|pipenv, virtualenv, uv, poetry,
# pipenv, conda, mamba, micromamba, apt, apt-get, apk), as a RUN line can spell it once quotes and
# backslashes are gone; `$` because a variable may hold a tool's name.
_MAY_INSTALL = re.compile(r"pip|venv|uv|poetry|conda|mamba|apt|apk|\$")
_QUOTING = re.compile(r"[\"'\\]")
_MAX_RUN_CHARS = 256 * 1024


@dataclass
class Location:
    kind: str  # "site" (importable) | "wheels" (files to install from)
    held: InstallSet


@dataclass
class _State:
    locations: dict[str, Location] = field(default_factory=dict)
    venvs: set[str] = field(default_factory=set)
    base: BaseImage | None = None

    def clone(self) -> _State:
        return _State({p: Location(loc.kind, loc.held.copy()) for p, loc in self.locations.items()}, set(self.venvs), self.base)

    def location(self, path: str, kind: str = "site") -> Location:
        path = posixpath.normpath(path)
        for known, loc in self.locations.items():
            if loc.kind == kind and (path == known or path.startswith(known.rstrip("/") + "/")):
                return loc  # `/usr/local/lib/python3.11/site-packages` is part of `/usr/local`
        return self.locations.setdefault(path, Location(kind, InstallSet()))


@dataclass(frozen=True)
class InstallView:
    """What the built stage of one image can import, and how sure we are."""

    held: InstallSet  # the union of its importable locations
    base: BaseImage  # the built stage's root base image
    dockerfile: str  # repository path, for messages
    copied_packages: frozenset[str] = frozenset()  # names of packages COPYed into the image: first-party, PG101's business

    @property
    def fix_target(self) -> FixTarget | None:
        for kind in ("requirements", "pyproject", "project", "pipfile", "dockerfile"):
            for target in self.held.declared:
                if target.kind == kind:
                    return target
        return None


def read_installs(image: Image, root: Path, *, dockerfile: str, base_packages: Mapping[str, Sequence[str]], config_name: str) -> InstallView:
    states: dict[int, _State] = {}
    final_index = image.final_index if image.final_index >= 0 else len(image.stages) - 1
    for stage in image.stages[: final_index + 1]:  # later stages cannot feed the built one
        states[stage.index] = _Stage(stage, image.stages, states, root, dockerfile, base_packages, config_name).run()
    final = states[final_index]
    held = InstallSet()
    for loc in final.locations.values():
        if loc.kind == "site":
            held.merge(loc.held)
    assert final.base is not None
    # Directories holding Python files (regular or namespace packages) that the image copies.
    copied = frozenset(posixpath.basename(posixpath.dirname(p)) for p in image.files if p.endswith(".py"))
    return InstallView(held, final.base, dockerfile, copied)


class _Stage:
    def __init__(self, stage: StageView, stages: Sequence[StageView], states: dict[int, _State], root: Path,
                 dockerfile: str, base_packages: Mapping[str, Sequence[str]], config_name: str) -> None:
        self.stage = stage
        self.stages = stages
        self.states = states
        self.dockerfile = dockerfile
        self.files = StageFiles(stage.files, root, stage.opaque_dirs)
        if stage.parent is not None and stage.parent in states:
            self.state = states[stage.parent].clone()
        else:
            base = describe_base(stage.base, base_packages, config_name)
            self.state = _State(base=base)
            system = self.state.location(SYSTEM)
            for name in base.packages:
                system.held.add(Installed(name, f"the base image {base.ref}", locked=True))
        assert self.state.base is not None
        self.marker_env = marker_environment(self.state.base.python_version)
        self._line = stage.line  # the RUN being read (for messages of the tools that need it)

    def run(self) -> _State:
        for step in self.stage.steps:
            if step.copy is not None and step.copy.from_stage is not None:
                self._copy_from(step)
            elif step.run is not None:
                self._run(step)
        return self.state

    # -- COPY --from ----------------------------------------------------------------------------

    def _copy_from(self, step: StageStep) -> None:
        copy = step.copy
        assert copy is not None and copy.from_stage is not None
        source = self._stage_named(copy.from_stage)
        if source is None:
            if any(word in f"{' '.join(copy.sources)} {copy.dest}" for word in _SITE_WORDS):
                loc = self.state.location(copy.dest)
                loc.held.unknown.append(Unknown(f"packages are copied from the image '{copy.from_stage}', which predguard cannot see into", f"{self.dockerfile}:{step.line}"))
            return
        for src in copy.sources:
            src_path = posixpath.normpath(posixpath.join("/", src))
            for path, loc in source.locations.items():
                if path == src_path or path.startswith(src_path.rstrip("/") + "/"):
                    target = posixpath.normpath(posixpath.join(copy.dest, path[len(src_path):].lstrip("/")))
                elif src_path.startswith(path.rstrip("/") + "/"):
                    target = copy.dest  # a part of the location (its site-packages, its lib/)
                else:
                    continue
                self.state.location(target, loc.kind).held.merge(loc.held)
                if path in source.venvs:
                    self.state.venvs.add(target)

    def _stage_named(self, ref: str) -> _State | None:
        for stage in self.stages:
            if stage.name == ref.lower() and stage.index in self.states:
                return self.states[stage.index]
        if ref.isdigit() and int(ref) in self.states:
            return self.states[int(ref)]
        return None

    # -- RUN --------------------------------------------------------------------------------------

    def _run(self, step: StageStep) -> None:
        assert step.run is not None
        if not _MAY_INSTALL.search(_QUOTING.sub("", step.run)):
            return  # no tool this model follows, nor a variable that could name one: skip the shell parsing
        if len(step.run) > _MAX_RUN_CHARS:  # shlex reads ~1 MB/s: such a line is not read, and says so
            self.state.location(SYSTEM).held.unknown.append(Unknown(
                f"a RUN of {len(step.run):,} characters is not read for installs", f"{self.dockerfile}:{step.line}"))
            return
        # The RUN's own shell assignments go in the front map; ChainMap never writes to the snapshot.
        env: ChainMap[str, str] = ChainMap({}, cast("MutableMapping[str, str]", step.env))
        cwd = step.workdir or "/"
        active = self._active_venv(env)
        where = f"{self.dockerfile}:{step.line}"
        reader = Reader(self.files, env, self.marker_env, self._wheels)
        text = parse_flags(step.run)[1]  # `RUN --mount=type=cache,... pip install ...`: BuildKit's flags are not the command
        for statement in commands.statements(text):
            argv = commands.strip_prefixes(commands.words(statement, env), env)
            prog = commands.program(argv)
            if prog.tool == "cd" and prog.args:
                cwd = _join(cwd, prog.args[0])
            elif prog.tool == "activate" and prog.args:
                active = _join(cwd, prog.args[0])
            elif prog.tool == "venv" and prog.args:
                self._make_venv(_join(cwd, prog.args[0]))
            elif prog.tool == "pip":
                call = commands.parse_pip(prog.args)
                if call is not None:
                    self._pip(call, self._pip_location(call, prog, env, cwd, active), reader, cwd, where, step.line)
            elif prog.tool == "uv":
                self._uv(prog, env, cwd, active, reader, where, step.line)
            elif prog.tool == "poetry" and prog.args[:1] == ["install"]:
                self._poetry(prog.args[1:], cwd, reader, where)
            elif prog.tool == "pipenv" and prog.args[:1] in (["install"], ["sync"]):
                self._pipenv(prog.args[1:], env, cwd, reader, where, step.line)
            elif prog.tool == "conda":
                self._conda(prog.args, cwd, reader, where, step.line)
            elif prog.tool == "apt":
                self._line = step.line
                self._apt(prog.args)

    def _active_venv(self, env: Mapping[str, str]) -> str | None:
        if env.get("VIRTUAL_ENV"):
            return env["VIRTUAL_ENV"]
        for entry in env.get("PATH", "").split(":"):
            if entry.endswith("/bin") and entry not in _SYSTEM_BIN:
                venv = posixpath.dirname(entry)
                if venv in self.state.venvs:
                    return venv
        return None

    def _make_venv(self, path: str) -> None:
        self.state.venvs.add(path)
        loc = self.state.location(path)
        loc.held.add(Installed("pip", f"the virtual environment {path}", locked=True))

    def _pip_location(self, call: PipCall, prog: Program, env: Mapping[str, str], cwd: str, active: str | None) -> Location:
        kind = "wheels" if call.subcommand in ("wheel", "download") else "site"
        if call.target:
            return self.state.location(_join(cwd, call.target), kind)
        if kind == "wheels":
            return self.state.location(cwd, kind)
        if call.user:
            return self.state.location(posixpath.join(env.get("HOME", "/root"), ".local"))
        if call.python and "/" in call.python:
            return self.state.location(posixpath.dirname(posixpath.dirname(_join(cwd, call.python))))
        if prog.bin_dir in _SYSTEM_BIN:
            return self.state.location(SYSTEM)  # `/usr/local/bin/pip`: the image's interpreter, whatever is active
        if prog.bin_dir and prog.bin_dir.endswith("/bin"):
            return self.state.location(posixpath.dirname(_join(cwd, prog.bin_dir)))
        if active and not call.system:
            return self.state.location(active)
        return self.state.location(SYSTEM)

    def _pip(self, call: PipCall, loc: Location, reader: Reader, cwd: str, where: str, line: int) -> None:
        if call.subcommand == "uninstall":
            for name in call.specifiers:
                loc.held.distributions.pop(normalise(name), None)
            return
        held = InstallSet()
        for path in call.requirements:
            reader.requirements(_join(cwd, path), held, where=where, no_deps=call.no_deps)
        for path in call.constraints:
            reader.requirements(_join(cwd, path), held, where=where, no_deps=call.no_deps, constraint=True)
        for editable in call.editables:
            reader.specifier(editable, held, where=where, cwd=cwd, no_deps=call.no_deps, editable=True)
        named = False
        for text in call.specifiers:
            before = set(held.distributions)
            reader.specifier(text, held, where=where, cwd=cwd, no_deps=call.no_deps)
            named = named or (not is_reference(text) and bool(set(held.distributions) - before))
        if named:
            held.declared.append(FixTarget("dockerfile", self.dockerfile, line))
        loc.held.merge(held)

    def _wheels(self, path: str) -> InstallSet | None:
        """What `pip install /wheels/*` (or `--find-links` style directory) installs."""
        directory = path
        while any(ch in posixpath.basename(directory) for ch in "*?["):
            directory = posixpath.dirname(directory)
        loc = self.state.locations.get(posixpath.normpath(directory))
        if loc is not None:
            return loc.held.copy()
        if directory == path:
            return None  # a plain directory: a project, not a wheelhouse
        matched = [p for p in self.files.under(directory) if fnmatch.fnmatch(p, path)]
        if not matched:
            return None
        held = InstallSet()
        for image_path in matched:
            name = name_from_reference(image_path)
            found = self.files.find(image_path)
            shown = found.shown if found else image_path
            if name is None:
                held.unknown.append(Unknown(f"{shown} is not a wheel or sdist file name pip can read", shown))
            else:
                held.add(Installed(name, shown))
        return held

    # -- uv, poetry, pipenv, conda, apt --------------------------------------------------------------

    def _uv(self, prog: Program, env: Mapping[str, str], cwd: str, active: str | None, reader: Reader, where: str, line: int) -> None:
        args = prog.args
        if args[:1] == ["pip"]:
            call = commands.parse_pip(args[1:])
            if call is not None:
                self._pip(call, self._pip_location(call, prog, env, cwd, active), reader, cwd, where, line)
            return
        if args[:1] == ["venv"]:
            rest = [a for a in args[1:] if not a.startswith("-")]
            self._make_venv(_join(cwd, rest[0] if rest else ".venv"))
            return
        if args[:1] != ["sync"]:
            return
        options = _Options(args[1:])
        project_dir = _join(cwd, options.value("--project", "--directory") or ".")
        venv = env.get("UV_PROJECT_ENVIRONMENT")
        loc = self.state.location(_join(project_dir, venv) if venv else posixpath.join(project_dir, ".venv"))
        selection = locks.Selection(
            extras=frozenset(normalise(e) for e in options.values("--extra")),
            all_extras=options.flag("--all-extras"),
            groups=frozenset(normalise(g) for g in options.values("--group")),
            without=frozenset({"dev"} if options.flag("--no-dev") else set()) | frozenset(normalise(g) for g in options.values("--no-group")),
            only=frozenset({"dev"}) if options.flag("--only-dev") else (frozenset(normalise(g) for g in options.values("--only-group")) or None),
            install_project=not options.flag("--no-install-project", "--only-dev"),
        )
        self._locked(loc, project_dir, "uv.lock", selection, reader, where)

    def _poetry(self, args: list[str], cwd: str, reader: Reader, where: str) -> None:
        options = _Options(args)
        project_dir = _join(cwd, options.value("--directory", "-C") or ".")
        only = {normalise(g) for v in options.values("--only") for g in v.split(",")}
        selection = locks.Selection(
            extras=frozenset(normalise(e) for v in options.values("--extras", "-E") for e in v.replace(",", " ").split()),
            all_extras=options.flag("--all-extras"),
            groups=frozenset(normalise(g) for v in options.values("--with") for g in v.split(",")),
            without=frozenset(normalise(g) for v in options.values("--without") for g in v.split(",")) | ({"dev"} if options.flag("--no-dev") else set()),
            only=frozenset(only) if only else (frozenset() if options.flag("--only-root") else None),
            install_project=not options.flag("--no-root"),
        )
        self._locked(self.state.location(SYSTEM), project_dir, "poetry.lock", selection, reader, where)

    def _locked(self, loc: Location, project_dir: str, lock_name: str, selection: locks.Selection, reader: Reader, where: str) -> None:
        lock = self.files.find(posixpath.join(project_dir, lock_name))
        pyproject = self.files.find(posixpath.join(project_dir, "pyproject.toml"))
        held = loc.held
        if pyproject is not None:
            held.declared.append(FixTarget("pyproject", pyproject.shown))
        if lock is None:
            # No lock in the image: the tool resolves at build time. The direct dependencies are still known.
            held.unknown.append(Unknown(f"no {lock_name} in {project_dir}: its transitive dependencies are resolved at build time", where))
            reader.project(project_dir, selection.extras, held, where=where, no_deps=False)
            return
        if lock_name == "uv.lock":
            locked = locks.read_uv_lock(lock, selection)
        else:
            locked = locks.read_poetry_lock(lock, projects.load_toml(pyproject) if pyproject else None, selection)
        for name in locked.names:
            held.add(Installed(name, lock.shown, no_deps=True, locked=True))
        if selection.install_project:
            project = projects.read_project(project_dir, self.files)
            if project is not None:
                held.modules |= project.packages

    def _pipenv(self, args: list[str], env: Mapping[str, str], cwd: str, reader: Reader, where: str, line: int) -> None:
        options = _Options(args)
        pipfile = env.get("PIPENV_PIPFILE")
        directory = posixpath.dirname(_join(cwd, pipfile)) if pipfile else cwd
        dev = options.flag("--dev", "-d")
        loc = self.state.location(SYSTEM)
        named = [a for a in options.positional()]
        for text in named:
            reader.specifier(text, loc.held, where=where, cwd=cwd, no_deps=False)
        lock = self.files.find(posixpath.join(directory, "Pipfile.lock"))
        manifest = self.files.find(posixpath.join(directory, "Pipfile"))
        if manifest is not None:
            loc.held.declared.append(FixTarget("pipfile", manifest.shown))
        if lock is not None and not options.flag("--skip-lock"):
            for name in locks.read_pipfile_lock(lock, dev).names:
                loc.held.add(Installed(name, lock.shown, no_deps=True, locked=True))
        elif manifest is not None:
            data = projects.load_toml(manifest)
            for section in ("packages", "dev-packages") if dev else ("packages",):
                for name in data.get(section) or {}:
                    loc.held.add(Installed(normalise(name), manifest.shown))
        elif not named:
            loc.held.unknown.append(Unknown(f"pipenv finds no Pipfile or Pipfile.lock in {directory}", where))

    def _conda(self, args: list[str], cwd: str, reader: Reader, where: str, line: int) -> None:
        options = _Options(args)
        words = options.positional()
        loc = self.state.location("/opt/conda")
        env_files = options.values("-f", "--file")
        if words[:1] == ["env"]:
            words = words[1:]
        if words[:1] not in (["install"], ["create"], ["update"]):
            return
        for path in env_files:
            self._conda_file(_join(cwd, path), loc.held, reader, where)
        for word in words[1:]:
            name = word.split("::")[-1]
            name = name.split("=")[0].split("<")[0].split(">")[0].split("[")[0].strip()
            if name and name not in ("python", "pip") and not name.endswith((".yml", ".yaml", ".txt")):
                loc.held.add(Installed(normalise(name), where))
        if words[1:]:
            loc.held.declared.append(FixTarget("dockerfile", self.dockerfile, line))

    def _conda_file(self, image_path: str, held: InstallSet, reader: Reader, where: str) -> None:
        found = self.files.find(image_path)
        if found is None:
            held.unknown.append(Unknown(f"the conda environment file {image_path} is not copied into the image", where))
            return
        if image_path.endswith(".txt"):  # `conda install --file requirements.txt`: a plain list
            reader.requirements(image_path, held, where=where, no_deps=False)
            return
        held.declared.append(FixTarget("conda", found.shown))
        for line_no, name, pip in _environment_yaml(found.source.read_text(encoding="utf-8", errors="replace")):
            spot = f"{found.shown}:{line_no}"
            if pip:
                reader.line(name, spot, posixpath.dirname(image_path), held, False, (image_path,))
            elif name not in ("python", "pip"):
                held.add(Installed(normalise(name), spot))

    def _apt(self, args: list[str]) -> None:
        if "install" not in args and "add" not in args:
            return
        loc = self.state.location(SYSTEM)
        packages = [w for w in args if w.startswith(("python3-", "py3-")) and w not in ("python3-pip", "python3-venv", "python3-dev")]
        for word in packages:
            # Debian and Alpine name a module's package python3-<module> / py3-<module>.
            loc.held.modules.add(word.split("-", 1)[1].split("=")[0].replace("-", "_"))
        if packages:
            loc.held.unknown.append(Unknown(
                f"the system packages {', '.join(packages)} bring Python dependencies of their own, which predguard does not read",
                f"{self.dockerfile}:{self._line}"))


class _Options:
    """A small getopt for tools whose option values we need (uv, poetry, pipenv, conda)."""

    _WITH_VALUE = frozenset({
        "--project", "--directory", "-C", "--extra", "--group", "--no-group", "--only-group", "--only", "--with", "--without",
        "--extras", "-E", "-f", "--file", "-n", "--name", "-p", "--prefix", "-c", "--channel", "--python", "--index-url",
        "--extra-index-url", "--package", "--no-binary", "--only-binary",
    })

    def __init__(self, args: list[str]) -> None:
        self.pairs: list[tuple[str, str | None]] = []
        self.words: list[str] = []
        i = 0
        while i < len(args):
            word = args[i]
            if word.startswith("-"):
                name, eq, value = word.partition("=")
                if eq:
                    self.pairs.append((name, value))
                elif name in self._WITH_VALUE and i + 1 < len(args):
                    self.pairs.append((name, args[i + 1]))
                    i += 1
                else:
                    self.pairs.append((name, None))
            else:
                self.words.append(word)
            i += 1

    def flag(self, *names: str) -> bool:
        return any(n in names for n, _ in self.pairs)

    def value(self, *names: str) -> str | None:
        found = self.values(*names)
        return found[-1] if found else None

    def values(self, *names: str) -> list[str]:
        return [v for n, v in self.pairs if n in names and v is not None]

    def positional(self) -> list[str]:
        return list(self.words)


def _environment_yaml(text: str) -> list[tuple[int, str, bool]]:
    """The `dependencies:` list of a conda environment.yml (and its nested `- pip:` list), without a YAML library:
    (line, entry, is-a-pip-requirement)."""
    out: list[tuple[int, str, bool]] = []
    in_deps = False
    pip_indent: int | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        stripped = line.strip()
        if indent == 0:
            in_deps = stripped.startswith("dependencies:")
            pip_indent = None
            continue
        if not in_deps or not stripped.startswith("- "):
            continue
        entry = stripped[2:].strip().strip("'\"")
        if pip_indent is not None and indent > pip_indent:
            out.append((number, entry, True))
            continue
        pip_indent = None
        if entry.rstrip(":") == "pip" and entry.endswith(":"):
            pip_indent = indent
            continue
        name = entry.split("::")[-1].split("=")[0].split("<")[0].split(">")[0].split(" ")[0].split("[")[0]
        out.append((number, name, False))
    return out


def _join(cwd: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(cwd or "/", path))
