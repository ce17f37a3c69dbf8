"""The image's `sys.path` (site-packages excluded: third-party, not modelled), configured
entrypoint overrides, and module names of image files."""
from __future__ import annotations

import posixpath
from collections.abc import Sequence

from predguard.hooks.entrypoints.runners import Run
from predguard.hooks.entrypoints.runners.base import join
from predguard.hooks.model import Image


def pythonpath_dirs(value: str, workdir: str) -> list[str]:
    return [join(workdir, part) for part in value.split(":") if part.strip()]


def default_path(env: dict[str, str], workdir: str) -> list[str]:
    """The working directory, then PYTHONPATH: what `python -m` would search."""
    return dedupe([workdir, *pythonpath_dirs(env.get("PYTHONPATH", ""), workdir)])


def runs_path(runs: Sequence[Run], workdir: str) -> list[str]:
    dirs: list[str] = []
    for run in runs:
        dirs += run.front
        if not run.isolated:
            dirs += pythonpath_dirs(run.pythonpath, workdir)
        dirs += run.back
    return dedupe(dirs)


def from_override(override: Sequence[str], workdir: str) -> tuple[list[str], list[str], list[str]]:
    """(modules, scripts, their directories) of configured entrypoints."""
    modules: list[str] = []
    scripts: list[str] = []
    dirs: list[str] = []
    for entry in override:
        entry = entry.strip()
        if "/" in entry or entry.endswith(".py"):
            script = join(workdir, entry)
            scripts.append(script)
            dirs.append(posixpath.dirname(script))
        elif entry:
            modules.append(entry.split(":", 1)[0])
    return modules, scripts, dirs


def is_test_file(image_path: str) -> bool:
    parts = image_path.split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in ("tests", "test") for part in parts[:-1])
    )


def fallback_entries(image: Image, sys_path: Sequence[str]) -> tuple[list[str], list[str]]:
    """Every copied non-test .py file: as a module when it sits under a sys.path dir, else a script."""
    modules: list[str] = []
    scripts: list[str] = []
    for image_path in sorted(image.files):
        if not image_path.endswith(".py") or is_test_file(image_path):
            continue
        module = module_name(image_path, sys_path)
        if module:
            modules.append(module)
        else:
            scripts.append(image_path)
    return modules, scripts


def module_name(image_path: str, sys_path: Sequence[str]) -> str | None:
    for directory in sys_path:
        prefix = directory.rstrip("/") + "/"
        if not image_path.startswith(prefix):
            continue
        parts = image_path[len(prefix) : -3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and all(part.isidentifier() for part in parts):
            return ".".join(parts)
    return None


def dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
