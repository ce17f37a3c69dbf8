"""The load benchmark in CI, small: gunicorn on 127.0.0.1 with 4 workers and with 1 worker x 4
threads, copies of messages sent together and shuffled, and a handful of SIGKILL trials."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_load_and_kill_trials_show_no_double_run_no_lost_or_duplicated_marker() -> None:
    result = subprocess.run([sys.executable, "benchmarks/processors_load.py", "--quick"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if "with claims (ours)" in line]
    assert len(rows) == 4  # 2 gunicorn configurations x (adjacent, shuffled)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[8:] == ["0 of 40", "0", "0"], row  # double runs, double markers, lost
    kills = result.stdout.split("Kill trials:")[1]
    assert re.search(r"4 SIGKILLs of gunicorn", kills)
    last = [line for line in kills.splitlines() if line.startswith("| ")][-1]
    in_flight, lost, duplicated, corrupt, _rerun = (int(c) for c in last.strip("|").split("|"))
    assert (lost, duplicated, corrupt) == (0, 0, 0)
