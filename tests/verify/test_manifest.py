"""predguard imports-manifest: derived from the hook's import closure, deferred imports included,
optional ones marked; committed manifests are checked for staleness."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import PLATFORM, deferred_import_line, platform_copy, predguard

SERVICES = ["predictions/coordinator", "predictions/worker"]


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_manifests_of_the_example_platform_are_up_to_date(service: str) -> None:
    manifest = f"{service}/imports-manifest.json"
    run = predguard("imports-manifest", "--dockerfile", f"{service}/Dockerfile", "--check", manifest, cwd=PLATFORM)
    assert run.code == 0, run.stdout + run.stderr
    assert "is up to date" in run.stdout


def test_the_coordinator_manifest_holds_the_deferred_import_with_where_it_comes_from() -> None:
    run = predguard("imports-manifest", "--dockerfile", "predictions/coordinator/Dockerfile", cwd=PLATFORM)
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    modules = {m["name"]: m for m in data["modules"]}
    assert modules["predictions.worker.data_loaders"]["imported_from"] == deferred_import_line()
    assert modules["flask"]["kind"] == "third_party"
    assert "json" not in modules and "logging" not in modules  # the standard library is left out
    assert data["entrypoints"][0] == "predictions.coordinator.app"


def test_a_new_import_makes_the_committed_manifest_stale(tmp_path: Path) -> None:
    root = platform_copy(tmp_path / "platform")
    app = root / "predictions" / "coordinator" / "app.py"
    app.write_text(app.read_text() + "\n\ndef later():\n    from predictions.worker.model import predict\n    return predict\n")
    run = predguard("imports-manifest", "--dockerfile", "predictions/coordinator/Dockerfile",
                    "--check", "predictions/coordinator/imports-manifest.json", cwd=root)
    assert run.code == 1
    assert "stale: missing predictions.worker.model (the code now imports it)" in run.stdout


def test_optional_imports_are_marked_and_entry_mode_works_without_a_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "main.py").write_text(
        "import os\n"
        "from . import helpers\n"
        "try:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
        "try:\n    from svc import extras\nexcept ImportError:\n    extras = None\n"
        "def handler():\n    from svc.deferred import thing\n    import requests\n")
    (tmp_path / "svc" / "helpers.py").write_text("")
    (tmp_path / "svc" / "extras.py").write_text("")
    (tmp_path / "svc" / "deferred.py").write_text("thing = 1\n")
    run = predguard("imports-manifest", "--entry", "svc.main", "--format", "text", cwd=tmp_path)
    assert run.code == 0, run.stderr
    lines = [line.split("  #")[0] for line in run.stdout.splitlines() if not line.startswith("#")]
    # A guarded first-party import stays required: the service's own code must be in its image.
    assert lines == ["svc", "svc.deferred", "svc.extras", "svc.helpers", "svc.main", "requests", "?ujson"]


def test_verify_imports_with_entry_derives_and_checks_in_one_step(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "main.py").write_text("def handler():\n    from svc import deferred\n")
    (tmp_path / "svc" / "deferred.py").write_text("import not_installed_anywhere_xyz\n")
    run = predguard("verify-imports", "--entry", "svc.main", "--format", "json", cwd=tmp_path,
                    env={"PYTHONPATH": str(tmp_path)})
    assert run.code == 1
    failures = [json.loads(line) for line in run.stdout.splitlines()][:-1]
    assert {f["module"] for f in failures} == {"svc.deferred", "not_installed_anywhere_xyz"}


@pytest.mark.parametrize(("args", "message"), [
    (["--dockerfile", "nowhere/Dockerfile"], "nowhere/Dockerfile: Dockerfile not found"),
    ([], "one of the arguments --dockerfile --entry is required"),
    (["--dockerfile", "predictions/coordinator/Dockerfile", "--check", "missing.json"], "missing.json: manifest not found"),
    (["--entry", "svc", "--root", "not-a-dir"], "--root: not a directory"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    run = predguard("imports-manifest", *args, cwd=PLATFORM)
    assert run.code == 2
    (line,) = run.stderr.splitlines()
    assert line.startswith("predguard imports-manifest: error: ") and message in line


def test_a_corrupt_committed_manifest_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text("{not json")
    run = predguard("imports-manifest", "--dockerfile", "predictions/coordinator/Dockerfile", "--check", bad, cwd=PLATFORM)
    assert run.code == 2 and "not valid JSON" in run.stderr


def test_a_module_under_two_sys_path_roots_is_named_as_the_code_imports_it(tmp_path: Path) -> None:
    """gunicorn --chdir /app/svc puts /app/svc before /app: svc/app.py is both `app` and `svc.app`."""
    files = {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nENV PYTHONPATH=/app\nCOPY . .\n"
                      "CMD gunicorn --chdir /app/svc svc.app:app\n",
        "svc/__init__.py": "",
        "svc/app.py": "from svc.helpers import x\n",
        "svc/helpers.py": "x = 1\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    run = predguard("imports-manifest", "--dockerfile", "Dockerfile", "--format", "text", cwd=tmp_path)
    assert run.code == 0, run.stderr
    names = [line.split("  #")[0] for line in run.stdout.splitlines() if not line.startswith("#")]
    assert names == ["svc", "svc.app", "svc.helpers"]
