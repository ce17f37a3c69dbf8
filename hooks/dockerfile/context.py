"""Which build context a Dockerfile is built from: it is not in the Dockerfile
(`docker build -f svc/Dockerfile .`), so read it, in this order, from configuration, a compose
file or cloudbuild.yaml, the repository's own deploy scripts and Makefiles (`docker build -f D
CTX`, `gcloud builds submit CTX`, `gcloud run deploy --source CTX`), or else infer it: the
directory (the Dockerfile's, or an ancestor up to the root) where the most COPY sources exist,
nearest on a tie. The reason always says which was used."""
from __future__ import annotations

import os
import stat
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from predguard.errors import InputError
from predguard.hooks.dockerfile.build import Interpreted, interpret
from predguard.paths import display_path

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
CLOUDBUILD_FILES = ("cloudbuild.yaml", "cloudbuild.yml")


def find_context(
    dockerfile: Path, root: Path, configured: Path | None = None, *, interpreted: Interpreted | None = None
) -> tuple[Path, str]:
    """(context directory, the reason shown to users). `interpreted` is the Dockerfile already read
    (build.interpret), so inference uses the very COPY sources the image will be built from."""
    if configured is not None:
        return configured, "configured in pyproject.toml"
    try:
        target = dockerfile.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # dangling, or a symlink loop
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "symlink loop"
        raise InputError(f"cannot read Dockerfile: {reason}", where=display_path(dockerfile, root)) from None
    for directory in _dirs_up(dockerfile.parent, root):
        for name in COMPOSE_FILES:
            found = _from_compose(directory / name, target)
            if found is not None:
                return found, f"from {display_path(directory / name, root)}"
        for name in CLOUDBUILD_FILES:
            found = _from_cloudbuild(directory / name, target)
            if found is not None:
                return found, f"from {display_path(directory / name, root)}"
    for directory in _dirs_up(dockerfile.parent, root):
        for script in _deploy_scripts(directory):
            found = _from_script(script, target)
            if found is not None:
                return found, f"from {display_path(script, root)}"
    return infer_context(interpreted or interpret(dockerfile, root=root), root)


def infer_context(interpreted: Interpreted, root: Path) -> tuple[Path, str]:
    sources = interpreted.context_sources
    home = interpreted.dockerfile.parent
    if not sources:
        return home, "inferred: the Dockerfile's directory (it copies nothing from a context)"
    best: tuple[Path, int] | None = None
    for directory in _dirs_up(home, root):  # nearest first: a farther one must hold strictly more
        present = sum(os.path.lexists(directory / src) for src in sources)
        if best is None or present > best[1]:
            best = (directory, present)
        if present == len(sources):
            break
    assert best is not None
    directory, present = best
    where = "the Dockerfile's directory" if directory == home else ("repository root" if directory.resolve() == root.resolve() else display_path(directory, root))
    if present == len(sources):
        return directory, f"inferred: {where}, where every COPY source exists"
    missing = [s for s in sources if not os.path.lexists(directory / s)]
    return directory, (f"inferred: {where}, where the most COPY sources exist ({present} of {len(sources)}; "
                       f"missing here: {', '.join(missing[:3])})")


def _dirs_up(start: Path, root: Path) -> Iterator[Path]:
    """`start`, then each parent up to and including `root` (just `start` when outside root)."""
    current = start.resolve()
    stop = root.resolve()
    yield start
    while current != stop and stop in current.parents:
        current = current.parent
        yield current


def _load_yaml(path: Path) -> Any:
    """A compose/cloudbuild file's data, read once per run for all the Dockerfiles that look it up."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _read_yaml(path, st.st_size, st.st_mtime_ns)


def forget_files() -> None:
    """Forget compose files read by earlier runs of this process."""
    _read_yaml.cache_clear()


@lru_cache(maxsize=64)
def _read_yaml(path: Path, size: int, mtime_ns: int) -> Any:
    try:
        import yaml  # optional: the hook environment stays stdlib + dockerfile-parse
    except ImportError:
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # a broken compose file is not ours to judge; fall back to inference


def _from_compose(path: Path, target: Path) -> Path | None:
    data = _load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return None
    for service in data["services"].values():
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            context, dockerfile = build, "Dockerfile"
        elif isinstance(build, dict):
            context, dockerfile = str(build.get("context", ".")), str(build.get("dockerfile", "Dockerfile"))
        else:
            continue
        context, dockerfile = _substitute(context, {}), _substitute(dockerfile, {})  # compose: ${VAR:-default}
        if "$" in context + dockerfile:
            continue  # a variable the file gives no value for: the context is unknowable from here
        ctx = path.parent / context
        if (ctx / dockerfile).resolve() == target:
            return ctx
    return None


def _from_cloudbuild(path: Path, target: Path) -> Path | None:
    data = _load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        return None
    for step in data["steps"]:
        if not isinstance(step, dict) or "docker" not in str(step.get("name", "")):
            continue
        given = data.get("substitutions")
        defaults: dict[str, object] = given if isinstance(given, dict) else {}
        args = [_substitute(str(a), defaults) for a in step.get("args") or []]
        if not args or args[0] != "build":
            continue
        found = _docker_build_args(args[1:])
        if found is None:
            continue
        dockerfile, context = found
        step_dir = _substitute(str(step.get("dir", "")), defaults)
        if "$" in context + (dockerfile or "") + step_dir:
            continue  # a substitution the file gives no default for ($PROJECT_ID in a tag is fine)
        base = path.parent / step_dir
        ctx = base / context
        file = base / dockerfile if dockerfile else ctx / "Dockerfile"
        if file.resolve() == target:
            return ctx
    return None


_SUBSTITUTION = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?::?-([^}]*))?\}|([A-Za-z_]\w*))")


def _substitute(text: str, defaults: Mapping[str, object]) -> str:
    """`text` with `$_X` / `${_X}` from a cloudbuild file's `substitutions` and compose's
    `${X:-default}`; a variable the file gives no value for stays as written (callers check for `$`)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in defaults:
            return str(defaults[name])
        return match.group(2) if match.group(2) is not None else match.group(0)

    return _SUBSTITUTION.sub(value, text.replace("$$", "\0")).replace("\0", "$$")


_SCRIPT_NAMES = ("Makefile", "makefile", "GNUmakefile")
# The words _from_script acts on, as they read once quotes and backslashes are gone (`do"ck"er`).
_MAY_BUILD = re.compile(r"docker|gcloud|cp")
_UNQUOTED = re.compile(r"[\"'\\]")
_SCRIPT_SUFFIXES = (".sh", ".mk", ".bash")
_MAX_SCRIPT_BYTES = 512 * 1024


def _deploy_scripts(directory: Path) -> list[Path]:
    """Makefiles and shell scripts directly in `directory` (deploy and build helpers)."""
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return []
    return [c for c in children if (c.name in _SCRIPT_NAMES or c.suffix in _SCRIPT_SUFFIXES) and c.is_file()]


def _from_script(path: Path, target: Path) -> Path | None:
    """The context a deploy script or Makefile builds `target` with, when one of its lines says
    so: `docker build -f D CTX`, `gcloud builds submit CTX` / `gcloud run deploy --source CTX` (the
    Dockerfile at CTX), or `cp D ./Dockerfile` followed by a build of `.`. Paths are taken from the
    script's own directory, where such scripts are run from."""
    try:
        if path.stat().st_size > _MAX_SCRIPT_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    base = path.parent
    copied_here = False
    for line in text.replace("\\\n", " ").splitlines():
        if not _MAY_BUILD.search(_UNQUOTED.sub("", line)):
            continue  # shlex is slow, and most lines of a script neither build nor copy a Dockerfile
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        words = [w for w in words if w not in ("@", "-")]
        for start in range(len(words)):
            head = words[start:]
            if head[:1] == ["cp"] and len(head) >= 3 and (base / head[1]).resolve() == target and head[2] in ("Dockerfile", "./Dockerfile"):
                copied_here = True
            if head[:2] == ["docker", "build"] or head[:3] == ["docker", "buildx", "build"]:
                found = _docker_build_args(head[3:] if head[1] == "buildx" else head[2:])
                if found is None or "$" in found[1]:
                    continue
                dockerfile, context = found
                ctx = base / context
                file = base / dockerfile if dockerfile else ctx / "Dockerfile"
                if file.resolve() == target or (copied_here and dockerfile is None and context in (".", "./")):
                    return ctx
            if head[:3] == ["gcloud", "builds", "submit"] or head[:3] == ["gcloud", "run", "deploy"]:
                source = _gcloud_source(head[3:], deploy=head[1] == "run")
                if source is not None and "$" not in source and (base / source / "Dockerfile").resolve() == target:
                    return base / source
    return None


def _gcloud_source(args: list[str], *, deploy: bool) -> str | None:
    for index, arg in enumerate(args):
        if deploy:
            if arg == "--source" and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith("--source="):
                return arg.split("=", 1)[1]
        elif not arg.startswith("-") and (index == 0 or not args[index - 1].startswith("--") or "=" in args[index - 1]):
            return arg
    return None


_VALUE_OPTIONS = frozenset({"-t", "--tag", "--build-arg", "--target", "--cache-from", "--platform", "--label", "--network", "--secret", "--ssh", "--progress", "-o", "--output"})


def _docker_build_args(args: list[str]) -> tuple[str | None, str] | None:
    """(-f value, context) from `docker build` arguments."""
    dockerfile: str | None = None
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-f", "--file") and i + 1 < len(args):
            dockerfile = args[i + 1]
            i += 2
            continue
        if arg.startswith("--file="):
            dockerfile = arg.split("=", 1)[1]
        elif arg in _VALUE_OPTIONS:
            i += 1
        elif not arg.startswith("-"):
            positional.append(arg)
        i += 1
    if not positional:
        return None
    return (posixpath.normpath(dockerfile) if dockerfile else None), positional[-1]
