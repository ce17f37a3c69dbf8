from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_benchmark_quick_runs_and_prints_the_table() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/drift_detection.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for detector in ("ours: breach", "team weeks rule", "River ADWIN", "River PageHinkley", "River DDM"):
        assert f"| {detector} | 100 |" in result.stdout
    assert "N=100 B breach median delay" in result.stdout
    for scenario in ("N1: new system at 50%", "N2: new system", "L5: 5/day", "L10: 10/day", "G21: 21-day break", "G120: 120-day break", "S21~", "S120:"):
        assert f"| {scenario}" in result.stdout, scenario
    assert "G120 p90 delay ours <= weeks rule" in result.stdout
