"""The README's first command: `predguard demo` on the bundled platform, as a real subprocess."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_runs_every_moment_and_each_behaves(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "predguard.cli", "demo", "--workdir", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Traceback" not in result.stderr
    assert "PG101 predictions.worker.data_loaders" in out
    assert "COPY predictions/worker/ ./predictions/worker/" in out
    assert "phase 3 on 2026-01-30: complete 5/5" in out
    assert "catboost_v8" in out and "breach" in out
    assert out.count("[ok]") == 5 and "UNEXPECTED" not in out
    assert list((tmp_path / "charts").glob("*.png")), "the terminal notifier writes the chart"


def test_demo_rejects_unknown_options():
    result = subprocess.run([sys.executable, "-m", "predguard.cli", "demo", "--nope"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
