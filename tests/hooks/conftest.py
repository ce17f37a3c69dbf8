"""Fixtures for the check-dockerfiles tests: copies of the example platform (fixed and incident
states) and a runner for the real CLI as a subprocess."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "examples" / "prediction-platform"
INCIDENT = REPO / "examples" / "incidents" / "missing-worker-copy"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def copy_platform(destination: Path, *, incident: bool) -> Path:
    """The example platform copied to `destination`, with the incident's files laid over it."""
    shutil.copytree(PLATFORM, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if incident:
        shutil.copytree(INCIDENT, destination, dirs_exist_ok=True)
    return destination


@pytest.fixture
def fixed_platform(tmp_path: Path) -> Path:
    return copy_platform(tmp_path / "platform", incident=False)


@pytest.fixture
def incident_platform(tmp_path: Path) -> Path:
    return copy_platform(tmp_path / "platform", incident=True)


def run_check(*args: str | Path, cwd: Path | None = None, timeout: float = 60) -> CliResult:
    """`python -m predguard.cli check-dockerfiles ARGS` in a fresh interpreter (the repository on
    PYTHONPATH, as an installed package would be)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "predguard.cli", "check-dockerfiles", *map(str, args)],
        cwd=cwd or REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(params=["cache", "no-cache"])
def cache_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run a test module's checks twice: with the persistent cache (in a directory of its own,
    reused by every run within the test) and with PREDGUARD_NO_CACHE; the expected results are the same."""
    if request.param == "no-cache":
        monkeypatch.setenv("PREDGUARD_NO_CACHE", "1")
        monkeypatch.delenv("PREDGUARD_CACHE_DIR", raising=False)
    else:
        monkeypatch.delenv("PREDGUARD_NO_CACHE", raising=False)
        monkeypatch.setenv("PREDGUARD_CACHE_DIR", str(tmp_path_factory.mktemp("predguard-cache")))
    return str(request.param)


@pytest.fixture
def check() -> Callable[..., CliResult]:
    return run_check
