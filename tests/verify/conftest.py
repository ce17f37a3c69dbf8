"""Fixtures for verify/: the example platform in its fixed state and in each incident state
(every overlay under examples/incidents/), and the real CLI run as a subprocess."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import docker_env
from .docker_env import Docker

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "examples" / "prediction-platform"
INCIDENTS = REPO / "examples" / "incidents"


def deferred_import_line() -> str:
    """Where the coordinator imports the worker's loaders ("predictions/coordinator/app.py:N")."""
    app = PLATFORM / "predictions" / "coordinator" / "app.py"
    number = next(i for i, line in enumerate(app.read_text().splitlines(), 1)
                  if line.lstrip().startswith("from predictions.worker.data_loaders import"))
    return f"predictions/coordinator/app.py:{number}"


def overlays() -> list[Path]:
    """Every incident overlay: a directory of files laid over the platform."""
    return sorted(p for p in INCIDENTS.iterdir() if p.is_dir())


def platform_copy(destination: Path, overlay: Path | None = None) -> Path:
    shutil.copytree(PLATFORM, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if overlay is not None:
        shutil.copytree(overlay, destination, dirs_exist_ok=True)
    return destination


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def predguard(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    """`python -m predguard.cli ARGS` in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-m", "predguard.cli", *map(str, args)], cwd=cwd or REPO,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def python(code: str, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


DOCKERFILES = sorted(p.relative_to(PLATFORM).as_posix() for p in PLATFORM.glob("**/Dockerfile"))


def states() -> list[tuple[str, Path | None, str]]:
    """(state, overlay, Dockerfile) for the fixed platform and every incident overlay: an overlay
    is judged on the Dockerfiles it changes (or on every one when it changes none)."""
    cases: list[tuple[str, Path | None, str]] = [("fixed", None, d) for d in DOCKERFILES]
    for overlay in overlays():
        touched = sorted(p.relative_to(overlay).as_posix() for p in overlay.glob("**/Dockerfile"))
        cases += [(overlay.name, overlay, d) for d in (touched or DOCKERFILES)]
    return cases


@pytest.fixture(scope="session")
def docker() -> Iterator[Docker]:
    """One private Docker daemon and base image for the session; skipped, with the reason, where
    it cannot start. These builds take minutes, so they run only when PREDGUARD_DOCKER_TESTS=1
    (`bash .ci/run` sets it, after the main suite, wherever a daemon can run)."""
    if os.environ.get("PREDGUARD_DOCKER_TESTS") != "1":
        pytest.skip("real Docker builds take minutes: set PREDGUARD_DOCKER_TESTS=1 (bash .ci/run does when dockerd can run)")
    try:
        daemon = docker_env.start()
    except docker_env.Unavailable as exc:
        pytest.skip(f"no Docker daemon: {exc}")
    try:
        docker_env.prepare_base(daemon)
    except docker_env.Unavailable as exc:
        daemon.stop()
        pytest.skip(f"no base image: {exc}")
    yield daemon
    daemon.stop()
