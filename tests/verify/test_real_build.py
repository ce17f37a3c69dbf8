"""Ground truth: the example coordinator built by a real Docker daemon. The Dockerfile's
`RUN predguard verify-imports` step fails the incident build, naming the missing module, and
passes the fixed one; the fixed image then imports its whole manifest."""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import INCIDENTS, deferred_import_line, platform_copy
from .docker_env import Docker

pytestmark = [pytest.mark.slow, pytest.mark.docker]
COORDINATOR = "predictions/coordinator/Dockerfile"


def test_the_verify_step_fails_the_incident_build(docker: Docker, tmp_path: Path) -> None:
    root = platform_copy(tmp_path / "incident", INCIDENTS / "missing-worker-copy")
    built = docker.run("build", "--network", "none", "-f", COORDINATOR, "-t", "coordinator:incident", ".", cwd=root)
    output = built.stdout + built.stderr
    assert built.returncode != 0
    failed_step = output.split("Step ")[-1]
    assert failed_step.startswith(tuple(f"{n}/" for n in range(1, 40)))
    assert "RUN predguard verify-imports --manifest predictions/coordinator/imports-manifest.json" in failed_step
    assert (f"error: cannot import predictions.worker.data_loaders (imported from {deferred_import_line()}): "
            "ModuleNotFoundError: No module named 'predictions.worker'") in failed_step
    assert "returned a non-zero code: 1" in failed_step


def test_the_fixed_image_builds_and_imports_its_manifest(docker: Docker, tmp_path: Path) -> None:
    root = platform_copy(tmp_path / "fixed")
    built = docker.run("build", "--network", "none", "-f", COORDINATOR, "-t", "coordinator:fixed", ".", cwd=root)
    assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
    assert "start-up import check passed" in built.stdout
    ran = docker.run("run", "--rm", "--network", "none", "coordinator:fixed",
                     "predguard", "verify-imports", "--manifest", "predictions/coordinator/imports-manifest.json",
                     "--mode", "import", "--format", "json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert '"severity": "INFO", "message": "start-up import check passed' in ran.stdout
    # The start-up hook (gunicorn.conf.py's on_starting) runs the spec-mode check in the image.
    hook = docker.run("run", "--rm", "--network", "none", "--entrypoint", "python", "coordinator:fixed", "-c",
                      "import runpy; runpy.run_path('predictions/coordinator/gunicorn.conf.py')['on_starting'](None)")
    assert hook.returncode == 0, hook.stderr
    assert '"mode": "spec"' in hook.stderr and '"failed": 0' in hook.stderr
