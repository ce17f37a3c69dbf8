"""bin/verify-deployment.sh: the wrapper a deploy script calls (real script, real services)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO
from .deploy_helpers import service

SCRIPT = REPO / "bin" / "verify-deployment.sh"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bindir = str(Path(sys.executable).parent)  # the predguard console script of this environment
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", **env})


def test_the_wrapper_passes_a_healthy_service_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with service() as url:
        done = run(url, "-q", env={"VERIFY_EXPECT": "status=ok", "VERIFY_SMOKE": "/ok", "VERIFY_REPORT": str(report)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("verify-deployment: PASS (2 passed, 0 failed")
    assert json.loads(report.read_text())["verdict"] == "pass"


def test_the_wrapper_fails_rolls_back_and_keeps_the_token_out_of_everything(tmp_path: Path) -> None:
    report, marker = tmp_path / "report.json", tmp_path / "rolled-back"
    with service() as url:
        done = run(url, "-q", env={"VERIFY_SMOKE": "/fail", "VERIFY_REPORT": str(report), "VERIFY_TOKEN": "tok-s3cr3t",
                                   "VERIFY_ON_FAIL": f"echo rollback >> {marker}"})
    assert done.returncode == 1
    assert "verify-deployment: FAIL" in done.stdout and "rollback exit 0" in done.stdout
    assert marker.read_text() == "rollback\n"
    assert "tok-s3cr3t" not in done.stdout + done.stderr + report.read_text()


def test_the_wrapper_without_a_url_is_a_usage_error() -> None:
    done = run(env={"VERIFY_SPEC": ""})
    assert done.returncode == 2 and done.stderr.startswith("usage: ")
