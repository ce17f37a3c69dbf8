"""Fixtures for verify/: the example platform in its fixed state and in each incident state
(every overlay under examples/incidents/), and the real CLI run as a subprocess."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "examples" / "prediction-platform"
INCIDENTS = REPO / "examples" / "incidents"


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
