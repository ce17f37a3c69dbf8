"""End to end on the example platform: gunicorn serves the coordinator from the dry-built image
tree; verify-deploy gates the rollout.

The coordinator is served as the platform served it before the fix — without the start-up hook
(`gunicorn.conf.py`), so the deploy gate is what stands between the broken image and traffic.
With the hook, the incident image does not even start (the last test)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import INCIDENTS, platform_copy, predguard
from .deploy_helpers import free_port

pytestmark = pytest.mark.slow
COORDINATOR = "predictions/coordinator/Dockerfile"


def dry_built(tmp_path: Path, overlay: Path | None) -> Path:
    """The coordinator image's tree, materialised by `predguard dry-build --keep`."""
    root = platform_copy(tmp_path / "platform", overlay)
    tree = tmp_path / "image"
    predguard("dry-build", COORDINATOR, "--keep", tree, cwd=root)
    assert (tree / "app" / "predictions" / "coordinator" / "app.py").is_file()
    return tree


@contextmanager
def gunicorn(tree: Path, log: Path, *extra: str) -> Iterator[str]:
    """The image's server from the image's WORKDIR and PYTHONPATH, as its CMD runs it."""
    port = free_port()
    app = tree / "app"
    with open(log, "ab") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *extra, "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                 "--threads", "4", "predictions.coordinator.app:app"],
                                cwd=app, env={**os.environ, "PYTHONPATH": str(app)}, stdout=sink, stderr=sink)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def spec_for(url: str, log: Path, tmp_path: Path) -> Path:
    """The deploy's verification: health, then a real prediction request that must dispatch games
    (a 500, or a 200 that dispatches nothing, both fail), and the service's log since the start."""
    spec = tmp_path / "verify.toml"
    spec.write_text(
        "[defaults]\ntimeout = 60\n\n"
        f'[[services]]\nname = "coordinator"\nurl = "{url}"\nexpect = {{ status = "ok" }}\nlogs_file = "{log}"\n\n'
        '[[services.checks]]\nname = "predict"\nmethod = "POST"\npath = "/predictions"\n'
        'json = { game_date = "2026-01-30" }\nstatus = [200]\n'
        "body_pattern = '\"dispatched\": ?\\[\\s*\"'\n")
    return spec


def test_the_incident_image_fails_verification_and_is_rolled_back(tmp_path: Path) -> None:
    tree = dry_built(tmp_path, INCIDENTS / "missing-worker-copy")
    log, marker = tmp_path / "coordinator.log", tmp_path / "rolled-back"
    with gunicorn(tree, log) as url:
        run = predguard("verify-deploy", "--spec", spec_for(url, log, tmp_path),
                        "--on-fail", f"echo traffic back to the previous revision >> {marker}", "--format", "json", "-q")
    assert run.code == 1, run.stdout + run.stderr
    report = json.loads(run.stdout)
    checks = {c["check"]: c for c in report["checks"]}
    assert report["verdict"] == "fail"
    assert checks["health"]["outcome"] == "pass"
    predict = checks["predict"]
    assert predict["outcome"] == "fail"
    assert predict["evidence"]["status"] == 500 or '"dispatched":[]' in predict["evidence"]["body"].replace(" ", "")
    logs = checks["logs"]
    assert logs["outcome"] == "fail"
    assert any("No module named 'predictions.worker'" in line for line in logs["evidence"]["matches"])
    assert report["rollback"]["exit_code"] == 0 and marker.read_text() == "traffic back to the previous revision\n"


def test_the_fixed_image_passes(tmp_path: Path) -> None:
    tree = dry_built(tmp_path, None)
    log, marker = tmp_path / "coordinator.log", tmp_path / "rolled-back"
    with gunicorn(tree, log) as url:
        run = predguard("verify-deploy", "--spec", spec_for(url, log, tmp_path), "--on-fail", f"echo rollback >> {marker}",
                        "--format", "json", "-q")
    assert run.code == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert {c["outcome"] for c in report["checks"]} == {"pass"}
    assert report["rollback"] is None and not marker.exists()


def test_with_its_start_up_hook_the_incident_image_refuses_to_start(tmp_path: Path) -> None:
    tree = dry_built(tmp_path, INCIDENTS / "missing-worker-copy")
    app = tree / "app"
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--config", "predictions/coordinator/gunicorn.conf.py",
                           "--bind", f"127.0.0.1:{free_port()}", "predictions.coordinator.app:app"],
                          cwd=app, env={**os.environ, "PYTHONPATH": str(app)}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert [line["module"] for line in lines if "module" in line] == ["predictions.worker", "predictions.worker.data_loaders"]
    assert lines[-1]["severity"] == "ERROR" and lines[-1]["mode"] == "spec" and lines[-1]["failed"] == 2
