"""One service's static picture, from the commit-time hook's analysis (predguard.hooks).

`analyse_dockerfile` models a Dockerfile's final stage exactly as `check-dockerfiles` does
(configuration, build context, build args, target) and walks its entrypoints' import closure;
`analyse_entries` does the same for entry modules run from a plain directory (no Dockerfile).
The manifest and the dry build both start from here, so they see what the hook sees.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from predguard.errors import InputError
from predguard.paths import display_path
from predguard.hooks.config import Config, load_config
from predguard.hooks.dockerfile import find_context, interpret, place
from predguard.hooks.entrypoints import plan_entrypoints
from predguard.hooks.model import Finding, Image, ImageFile
from predguard.hooks.python import CheckResult, check_image

_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


@dataclass(frozen=True)
class ServiceAnalysis:
    root: Path  # repository root: paths in messages and manifests are relative to it
    source: str  # what was analysed, for humans: "predictions/coordinator/Dockerfile" or "entries: a, b"
    image: Image
    result: CheckResult

    @property
    def sys_path(self) -> tuple[str, ...]:
        return self.result.entry.sys_path

    @property
    def missing(self) -> tuple[Finding, ...]:
        """The hook's verdict: PG101 errors (first-party modules the image lacks)."""
        return tuple(f for f in self.result.findings if f.code == "PG101" and f.severity == "error")


def _config(root: Path) -> Config:
    pyproject = root / "pyproject.toml"
    return load_config(pyproject if pyproject.is_file() else None)


def analyse_dockerfile(dockerfile: Path, root: Path) -> ServiceAnalysis:
    """The final stage of `dockerfile` and its import closure, as `check-dockerfiles` models them."""
    root = root.resolve()
    if not dockerfile.is_file():
        raise InputError("Dockerfile not found", where=str(dockerfile))
    dockerfile = dockerfile.resolve()
    config = _config(root)
    service = config.service_for(dockerfile)
    configured = (service.context if service else None) or config.context
    if configured is not None and not configured.is_dir():
        raise InputError(f"the configured build context is not a directory: {configured}", where=str(config.source))
    interpreted = interpret(dockerfile, root=root, build_args={**config.build_args, **(service.build_args if service else {})},
                            target=service.target if service else None)
    context, _reason = find_context(dockerfile, root, configured, interpreted=interpreted)
    image = place(interpreted, context.resolve())
    name = (service.name if service else None) or dockerfile.parent.name
    plan = plan_entrypoints(image, override=service.entrypoints if service else None, root=root, service=name)
    result = check_image(image, plan, root=root, service=name,
                         first_party=sorted(config.first_party) if config.first_party else None)
    return ServiceAnalysis(root, display_path(dockerfile, root), image, result)


def analyse_entries(entries: Sequence[str], root: Path) -> ServiceAnalysis:
    """The import closure of `entries` (modules, or scripts relative to `root`) run from `root`
    with `root` first on sys.path, as `python -m ENTRY` run there would have it."""
    root = root.resolve()
    if not root.is_dir():
        raise InputError("not a directory", where=str(root))
    for entry in entries:
        if not entry.strip():
            raise InputError("an empty entry module", where="--entry")
    here = root.as_posix()
    files = {path.as_posix(): ImageFile(path.as_posix(), path, 0) for path in _python_files(root)}
    image = Image(dockerfile=root / "<entries>", context=root, stage=None, files=files, workdir=here,
                  env={}, entrypoint=None, cmd=None, copies=())
    config = _config(root)
    plan = plan_entrypoints(image, override=list(entries), root=root, service=root.name)
    result = check_image(image, plan, root=root, service=root.name,
                         first_party=sorted(config.first_party) if config.first_party else None)
    return ServiceAnalysis(root, "entries: " + ", ".join(entries), image, result)


def _python_files(root: Path) -> list[Path]:
    found = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        found += [Path(directory, n) for n in names if n.endswith(".py")]
    return found
