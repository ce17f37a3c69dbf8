"""predguard dry-build: the final stage materialised from the Dockerfile model and imported in
an isolated interpreter with the runner's sys.path."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import INCIDENTS, PLATFORM, deferred_import_line, platform_copy, predguard

COORDINATOR = "predictions/coordinator/Dockerfile"


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_incident_coordinator_fails_naming_the_deferred_import(tmp_path: Path) -> None:
    root = platform_copy(tmp_path / "platform", INCIDENTS / "missing-worker-copy")
    run = predguard("dry-build", COORDINATOR, cwd=root)
    assert run.code == 1, run.stderr
    assert (f"error: cannot import predictions.worker.data_loaders (imported from {deferred_import_line()}): "
            "ModuleNotFoundError: No module named 'predictions.worker'") in run.stdout


def test_the_fixed_coordinator_passes() -> None:
    run = predguard("dry-build", COORDINATOR, "--format", "json", cwd=PLATFORM)
    assert run.code == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["failures"] == [] and report["static_missing"] == []
    assert report["sys_path"] == ["/app"] and report["workdir"] == "/app"
    assert report["summary"]["checked"] >= 8


def test_dockerignore_is_honoured_and_the_kept_tree_is_the_image(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo", {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /srv\nCOPY . .\nCMD [\"python\", \"-m\", \"svc.main\"]\n",
        ".dockerignore": "svc/private.py\n",
        "svc/__init__.py": "",
        "svc/main.py": "def run():\n    from svc import private\n    return private\n",
        "svc/private.py": "",
    })
    kept = tmp_path / "tree"
    run = predguard("dry-build", "Dockerfile", "--keep", kept, "--format", "json", cwd=root)
    assert run.code == 1, run.stderr
    report = json.loads(run.stdout)
    assert [f["module"] for f in report["failures"]] == ["svc.private"]
    assert report["static_missing"] == ["svc.private"]
    assert (kept / "srv" / "svc" / "main.py").is_file() and not (kept / "srv" / "svc" / "private.py").exists()


def test_the_script_directory_comes_first_so_shadowing_reproduces(tmp_path: Path) -> None:
    """`python tools/run.py` puts /app/tools first: tools/shared.py hides the shared/ package."""
    root = _project(tmp_path / "repo", {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nENV PYTHONPATH=/app\nCOPY . .\nCMD [\"python\", \"tools/run.py\"]\n",
        "tools/run.py": "from shared.config import VALUE\nprint(VALUE)\n",
        "tools/shared.py": "# an unlucky helper name\n",
        "shared/__init__.py": "",
        "shared/config.py": "VALUE = 1\n",
    })
    run = predguard("dry-build", "Dockerfile", "--format", "json", cwd=root)
    report = json.loads(run.stdout)
    errors = {f["module"]: f["error"] for f in report["failures"]}
    assert "run" not in errors  # the script runs as __main__: it is never imported by name
    assert report["sys_path"] == ["/app/tools", "/app"]
    assert errors["shared.config"] == "ModuleNotFoundError: No module named 'shared.config'; 'shared' is not a package"
    assert run.code == 1


def test_import_time_errors_are_reported_with_image_paths(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo", {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY svc/ ./svc/\nCMD [\"python\", \"-m\", \"svc.main\"]\n",
        "svc/__init__.py": "",
        "svc/main.py": "import os\nTOKEN = os.environ['SVC_TOKEN']\n",
    })
    run = predguard("dry-build", "Dockerfile", "--format", "json", cwd=root)
    (failure,) = json.loads(run.stdout)["failures"]
    assert failure["error"] == "KeyError: 'SVC_TOKEN'" and failure["raised_at"] == "/app/svc/main.py:2"
    spec = predguard("dry-build", "Dockerfile", "--mode", "spec", cwd=root)
    assert spec.code == 0, spec.stdout  # spec mode does not run module code


@pytest.mark.parametrize(("args", "message"), [
    (["nowhere/Dockerfile"], "nowhere/Dockerfile: Dockerfile not found"),
    ([COORDINATOR, "--root", "not-a-dir"], "--root: not a directory"),
    ([COORDINATOR, "--keep", "predictions"], "--keep: already exists"),
    ([COORDINATOR, "--python", "/nonexistent/python3"], "--python /nonexistent/python3: interpreter not found"),
    ([], "the following arguments are required: DOCKERFILE"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    run = predguard("dry-build", *args, cwd=PLATFORM)
    assert run.code == 2
    (line,) = run.stderr.splitlines()
    assert line.startswith("predguard dry-build: error: ") and message in line


def test_a_script_entry_runs_as_a_script_so_a_relative_import_fails_as_it_would(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo", {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY svc/ ./svc/\nCMD [\"python\", \"svc/app.py\"]\n",
        "svc/__init__.py": "",
        "svc/helpers.py": "",
        "svc/app.py": "from .helpers import x\nif __name__ == '__main__':\n    raise SystemExit('the server must not start')\n",
    })
    run = predguard("dry-build", "Dockerfile", "--format", "json", cwd=root)
    (failure,) = json.loads(run.stdout)["failures"]
    assert failure["module"] == "svc/app.py"  # relative to WORKDIR, where the check runs
    assert failure["error"] == "ImportError: attempted relative import with no known parent package"
    assert run.code == 1
