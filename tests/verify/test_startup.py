"""predguard.verify.startup: every module tried, one JSON line per failure plus a summary, exit 1;
spec vs import mode; bad manifests exit 2; nothing but the standard library."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from predguard.verify.startup import ManifestError, Module, load_manifest, verify_imports

from .conftest import REPO, python, predguard


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A small service tree: one good package, one module that raises at import time."""
    return _tree(tmp_path / "app", {
        "svc/__init__.py": "",
        "svc/good.py": "import json\nVALUE = 1\n",
        "svc/raises.py": "import os\nSETTING = os.environ['PREDGUARD_TEST_UNSET_SETTING']\n",
        "svc/uses_missing.py": "import svc.nowhere\n",
    })


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_three_missing_modules_log_three_failures_and_one_summary_then_exit_1(app: Path) -> None:
    code = ("import sys; sys.path.insert(0, sys.argv[1]);"
            "from predguard.verify.startup import verify_or_exit;"
            "verify_or_exit(['svc.good', 'svc.gone', 'shared.absent', 'nowhere_at_all'], mode='import');"
            "print('not reached')")
    run = python(code, str(app))
    assert run.code == 1
    assert "not reached" not in run.stdout
    lines = _lines(run.stderr)
    assert len(lines) == 4
    failures, summary = lines[:3], lines[3]
    assert [f["module"] for f in failures] == ["svc.gone", "shared.absent", "nowhere_at_all"]
    assert all(f["severity"] == "ERROR" and f["error"].startswith("ModuleNotFoundError") for f in failures)
    assert failures[1]["missing"] == "shared"
    assert summary["severity"] == "ERROR" and summary["failed"] == 3 and summary["checked"] == 4
    assert "svc.gone, shared.absent, nowhere_at_all" in summary["message"]
    assert isinstance(summary["seconds"], float)


def test_a_manifest_with_everything_present_passes_and_logs_one_summary(app: Path) -> None:
    manifest = app / "imports-manifest.txt"
    manifest.write_text("# comment\nsvc\nsvc.good\njson\n?optional_thing_not_installed\n")
    code = ("import sys; sys.path.insert(0, sys.argv[1]);"
            "from predguard.verify.startup import verify_or_exit;"
            "r = verify_or_exit(manifest=sys.argv[2], mode='spec'); print(r.ok)")
    run = python(code, str(app), str(manifest))
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == "True"
    warning, summary = _lines(run.stderr)
    assert warning["severity"] == "WARNING" and warning["module"] == "optional_thing_not_installed"
    assert summary["severity"] == "INFO" and summary["checked"] == 4 and summary["optional_missing"] == 1


def test_a_module_raising_at_import_time_fails_in_import_mode_and_passes_in_spec_mode(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(app))
    monkeypatch.delenv("PREDGUARD_TEST_UNSET_SETTING", raising=False)
    imported = verify_imports(["svc.raises"], mode="import")
    (failure,) = imported.failures
    assert failure.error == "KeyError: 'PREDGUARD_TEST_UNSET_SETTING'"
    assert failure.raised_at is not None and failure.raised_at.endswith("svc/raises.py:2")
    assert verify_imports(["svc.raises"], mode="spec").ok  # find_spec runs no module code


def test_import_mode_catches_a_missing_dependency_of_a_present_module_spec_mode_does_not(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(app))
    (failure,) = verify_imports(["svc.uses_missing"], mode="import").failures
    assert failure.missing == "svc.nowhere"
    assert verify_imports(["svc.uses_missing"], mode="spec").ok


def test_every_module_is_tried_not_only_up_to_the_first_failure(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(app))
    report = verify_imports([Module("svc.gone", imported_from="svc/x.py:3"), "svc.good", "also_gone"], mode="spec")
    assert [f.module for f in report.failures] == ["svc.gone", "also_gone"]
    assert report.failures[0].to_json()["imported_from"] == "svc/x.py:3"
    assert report.checked == 3 and not report.ok


@pytest.mark.parametrize(("content", "message"), [
    (None, "manifest not found"),
    ('{"version": 1, "modules": [', "not valid JSON (line 1"),
    ('{"version": 1, "modules": []}', "the manifest lists no modules"),
    ("# nothing but a comment\n\n", "the manifest lists no modules"),
    ('{"version": 7, "modules": [{"name": "a"}]}', "unsupported manifest version 7"),
    ('{"version": 1, "modules": [{"name": "pkg..mod"}]}', "modules[0]: 'pkg..mod' is not a dotted module name"),
    ("good.name\nbad-name\n", ":2: 'bad-name' is not a dotted module name"),
])
def test_bad_manifests_exit_2_with_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    manifest = tmp_path / "imports-manifest.json"
    if content is not None:
        manifest.write_text(content)
    run = predguard("verify-imports", "--manifest", manifest)
    assert run.code == 2
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"predguard verify-imports: error: {manifest}") and message in line
    # The library says the same in one JSON line and exits 2 (in a service's start-up).
    lib = python("import sys; from predguard.verify.startup import verify_or_exit; verify_or_exit(manifest=sys.argv[1])", str(manifest))
    assert lib.code == 2
    (entry,) = _lines(lib.stderr)
    assert entry["severity"] == "ERROR" and message in str(entry["message"])


def test_no_manifest_at_all_is_an_input_error(tmp_path: Path) -> None:
    run = predguard("verify-imports", cwd=tmp_path, env={"PREDGUARD_IMPORTS_MANIFEST": ""})
    assert run.code == 2 and "give --manifest FILE" in run.stderr


def test_the_manifest_can_come_from_the_environment(app: Path) -> None:
    manifest = app / "m.txt"
    manifest.write_text("svc.good\n")
    run = python("import sys; sys.path.insert(0, sys.argv[1]); from predguard.verify.startup import verify_or_exit; verify_or_exit()",
                 str(app), env={"PREDGUARD_IMPORTS_MANIFEST": str(manifest)})
    assert run.code == 0 and '"checked": 1' in run.stderr


def test_load_manifest_rejects_a_non_object(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"modules": "flask"}')
    with pytest.raises(ManifestError, match='"modules" list'):
        load_manifest(path)


def test_the_runtime_library_needs_only_the_standard_library(tmp_path: Path) -> None:
    """Inside an image only the standard library can be counted on: import the module with
    site-packages switched off (-S) and check that nothing outside the stdlib was loaded."""
    stage = tmp_path / "stage" / "predguard"
    (stage / "verify").mkdir(parents=True)
    shutil.copy(REPO / "predguard" / "__init__.py", stage / "__init__.py")
    shutil.copy(REPO / "verify" / "__init__.py", stage / "verify" / "__init__.py")
    shutil.copy(REPO / "verify" / "startup.py", stage / "verify" / "startup.py")
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import predguard.verify.startup as s;"
             "extra = sorted(m for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names and m.split('.')[0] not in ('predguard', '__main__'));"
             "print(extra); print(s.main(['--module', 'json', '--mode', 'spec']))")
    proc = subprocess.run([sys.executable, "-S", "-I", "-c", probe, str(stage.parent)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "[]"
    assert proc.stdout.splitlines()[-1] == "0"


def test_spec_mode_runs_no_code_at_all_not_even_parent_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "t", {"boom/__init__.py": "raise RuntimeError('package code ran')\n", "boom/leaf.py": "",
                                  "flat.py": ""})
    monkeypatch.syspath_prepend(str(root))
    report = verify_imports(["boom.leaf", "boom.absent", "flat.sub"], mode="spec")
    assert "boom" not in sys.modules
    assert [(f.module, f.error) for f in report.failures] == [
        ("boom.absent", "ModuleNotFoundError: No module named 'boom.absent'"),
        ("flat.sub", "ModuleNotFoundError: No module named 'flat.sub'; 'flat' is not a package"),
    ]
    (imported,) = verify_imports(["boom.leaf"], mode="import").failures  # import mode runs the package
    assert imported.error == "RuntimeError: package code ran"
