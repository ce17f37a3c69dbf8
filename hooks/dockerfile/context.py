"""Which build context a Dockerfile is built from: it is not in the Dockerfile
(`docker build -f svc/Dockerfile .`), so read it from configuration, a compose file or
cloudbuild.yaml, or else infer it from where the Dockerfile's COPY sources exist."""
from __future__ import annotations

import os
import stat
import posixpath
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from predguard.errors import InputError
from predguard.hooks.dockerfile import imagefs, lexer
from predguard.hooks.dockerfile.instructions import parse_arg, parse_env, parse_flags, parse_json_array
from predguard.hooks.dockerfile.variables import expand
from predguard.paths import display_path

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
CLOUDBUILD_FILES = ("cloudbuild.yaml", "cloudbuild.yml")


def find_context(dockerfile: Path, root: Path, configured: Path | None = None) -> tuple[Path, str]:
    """(context directory, the reason shown to users)."""
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
    return infer_context(dockerfile, root)


def infer_context(dockerfile: Path, root: Path) -> tuple[Path, str]:
    sources = literal_sources(dockerfile, root)
    home = dockerfile.parent
    if not sources:
        return home, "inferred: the Dockerfile's directory (it copies nothing from a context)"
    for directory in _dirs_up(home, root):
        if all(os.path.lexists(directory / src) for src in sources if src):
            where = "the Dockerfile's directory" if directory == home else ("repository root" if directory.resolve() == root.resolve() else display_path(directory, root))
            return directory, f"inferred: {where}, where every COPY source exists"
    missing = [s for s in sources if not os.path.lexists(home / s)]
    return home, f"inferred: the Dockerfile's directory, though no directory up to the root holds every COPY source (missing here: {', '.join(missing[:3])})"


def literal_sources(dockerfile: Path, root: Path) -> list[str]:
    """Context-relative COPY/ADD sources without wildcards, variables resolved from ARG defaults."""
    rel = display_path(dockerfile, root)
    lexed = lexer.lex(lexer.read_dockerfile(dockerfile, rel), rel)
    env: dict[str, str | None] = {}
    out: list[str] = []
    # Variables matter only when a COPY/ADD uses one: otherwise skip expanding every ARG/ENV.
    track = any("$" in i.value for i in lexed.instructions if i.keyword in ("COPY", "ADD"))
    for instr in lexed.instructions:
        if not track and instr.keyword in ("ARG", "ENV"):
            continue
        if instr.keyword == "ARG":
            for name, default in parse_arg(instr.value, lexed.escape):
                if default is not None:
                    env[name] = expand(default, env, lexed.escape).text
        elif instr.keyword == "ENV":
            for name, value in parse_env(instr.value, lexed.escape):
                env[name] = expand(value, env, lexed.escape).text
        elif instr.keyword in ("COPY", "ADD"):
            flags, rest = parse_flags(instr.value)
            if any(name == "from" for name, _ in flags):
                continue
            words = parse_json_array(rest)
            words = words if words is not None else rest.split()
            for raw in words[:-1]:
                if raw.startswith("<<") or "://" in raw or raw.startswith("git@"):
                    continue
                src = imagefs.clean_source(expand(raw, env, lexed.escape).text)
                if src and not imagefs.has_wildcard(src):
                    out.append(src)
    return list(dict.fromkeys(out))


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
        args = [str(a) for a in step.get("args") or []]
        if not args or args[0] != "build":
            continue
        found = _docker_build_args(args[1:])
        if found is None:
            continue
        dockerfile, context = found
        base = path.parent / str(step.get("dir", ""))
        ctx = base / context
        file = base / dockerfile if dockerfile else ctx / "Dockerfile"
        if file.resolve() == target:
            return ctx
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
