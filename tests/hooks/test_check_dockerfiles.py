"""`predguard check-dockerfiles` end to end, as a real subprocess on copies of the example platform."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hooks.conftest import PLATFORM, REPO, run_check

FIX = "COPY predictions/worker/ ./predictions/worker/"
# Every test runs with and without the persistent cache (tests/hooks/conftest.py: cache_mode).
pytestmark = pytest.mark.usefixtures("cache_mode")


def import_line(path: Path, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the first line of `path` containing `needle`."""
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if needle in text:
            return number, text.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {path}")


def test_the_incident_is_blocked_with_the_import_line_and_the_fix(incident_platform: Path) -> None:
    result = run_check("--root", incident_platform)
    assert result.code == 1, result.stdout + result.stderr
    line, column = import_line(incident_platform / "predictions/coordinator/app.py", "from predictions.worker.data_loaders")
    assert (
        f"predictions/coordinator/app.py:{line}:{column}: PG101 predictions.worker.data_loaders" in result.stdout
    ), result.stdout
    assert "chain: predictions.coordinator.app -> predictions.worker.data_loaders" in result.stdout
    copy_line, _ = import_line(incident_platform / "predictions/coordinator/Dockerfile", "COPY predictions/coordinator/ ")
    assert f"fix: in predictions/coordinator/Dockerfile, add after line {copy_line}: {FIX}" in result.stdout
    assert "context: ., configured in pyproject.toml" in result.stdout
    assert result.stderr == ""


def test_the_committed_platform_is_clean() -> None:
    result = run_check("--root", PLATFORM)
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: all 3 Dockerfiles copy every module their services import")


def test_json_output_follows_the_contract(incident_platform: Path) -> None:
    result = run_check("--root", incident_platform, "--format", "json")
    assert result.code == 1
    document = json.loads(result.stdout)
    assert document["version"] == 1
    (pg101,) = [f for f in document["findings"] if f["code"] == "PG101"]
    assert pg101["severity"] == "error"
    assert pg101["dockerfile"] == "predictions/coordinator/Dockerfile"
    assert pg101["service"] == "coordinator"
    assert pg101["module"] == "predictions.worker.data_loaders"
    assert pg101["file"] == "predictions/coordinator/app.py"
    assert pg101["chain"] == ["predictions.coordinator.app", "predictions.worker.data_loaders"]
    assert pg101["fix"] == FIX
    statuses = {d["path"]: d for d in document["dockerfiles"]}
    coordinator = statuses["predictions/coordinator/Dockerfile"]
    assert coordinator == {"path": "predictions/coordinator/Dockerfile", "context": ".",
                           "entrypoints": ["predictions.coordinator.app", "/app/predictions/coordinator/gunicorn.conf.py"],
                           "status": "findings"}  # gunicorn runs its --config file too
    assert statuses["predictions/worker/Dockerfile"]["status"] == "ok"


def test_sarif_and_github_formats_through_the_cli(incident_platform: Path) -> None:
    sarif = run_check("--root", incident_platform, "--format", "sarif")
    assert sarif.code == 1
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert any(r["ruleId"] == "PG101" and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               == "predictions/coordinator/app.py" for r in results)
    github = run_check("--root", incident_platform, "--format", "github")
    assert github.code == 1
    assert any(line.startswith("::error file=predictions/coordinator/app.py,line=") and "title=PG101::" in line
               for line in github.stdout.splitlines())


def test_runnable_as_python_dash_m(incident_platform: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "predguard.hooks.check_dockerfiles", "--root", str(incident_platform)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "PG101" in proc.stdout


# --- FILES: only the Dockerfiles the changed files can affect -------------------------------------


def two_services(root: Path) -> Path:
    """Two services, each built from its own directory; `a` is broken (imports a module it lacks)."""
    for name, body in {"a": "import a.helpers\n", "b": "print('b')\n"}.items():
        (root / name / name).mkdir(parents=True)
        (root / name / name / "__init__.py").write_text("")
        (root / name / name / "main.py").write_text(body)
        (root / name / "notes.md").write_text("notes\n")
        (root / name / "Dockerfile").write_text(
            f"FROM python:3.11-slim\nWORKDIR /app\nCOPY {name}/__init__.py {name}/main.py ./{name}/\n"
            f'CMD ["python", "-m", "{name}.main"]\n'
        )
    (root / "a" / "a" / "helpers.py").write_text("X = 1\n")
    return root


def checked(root: Path, *files: str) -> tuple[int, list[str]]:
    result = run_check("--root", root, "--format", "json", *files, cwd=root)
    assert "Traceback" not in result.stderr
    return result.code, [d["path"] for d in json.loads(result.stdout)["dockerfiles"]]


def test_files_select_only_the_dockerfiles_they_affect(tmp_path: Path) -> None:
    root = two_services(tmp_path)
    assert checked(root) == (1, ["a/Dockerfile", "b/Dockerfile"])
    assert checked(root, "b/b/main.py") == (0, ["b/Dockerfile"])
    assert checked(root, "a/a/helpers.py") == (1, ["a/Dockerfile"])
    assert checked(root, "a/Dockerfile") == (1, ["a/Dockerfile"])
    assert checked(root, "b/Dockerfile", "a/a/main.py") == (1, ["a/Dockerfile", "b/Dockerfile"])
    assert checked(root, "a/.dockerignore") == (1, ["a/Dockerfile"])  # context root's .dockerignore (even new)
    assert checked(root, "a/notes.md") == (0, [])  # a change that cannot alter an image
    assert checked(root, "a/a/deleted_module.py") == (1, ["a/Dockerfile"])  # a deletion inside a context


def test_files_that_affect_nothing_exit_0_quickly_with_a_summary(incident_platform: Path) -> None:
    result = run_check("--root", incident_platform, "README.md", "data/games.csv", cwd=incident_platform)
    assert result.code == 0
    assert result.stdout == "No Dockerfile is affected by the 2 changed files.\n"


def test_files_are_relative_to_the_working_directory_like_pre_commit_passes_them(incident_platform: Path) -> None:
    repo = incident_platform.parent
    result = run_check("--root", "platform", "platform/predictions/coordinator/app.py", cwd=repo, )
    assert result.code == 1 and "PG101 predictions.worker.data_loaders" in result.stdout


# --- pragmas and configuration -------------------------------------------------------------------


def test_a_dockerfile_pragma_before_from_silences_a_code_for_the_whole_dockerfile(incident_platform: Path) -> None:
    dockerfile = incident_platform / "predictions/coordinator/Dockerfile"
    dockerfile.write_text("# predguard: ignore[PG101]\n" + dockerfile.read_text())
    result = run_check("--root", incident_platform, "predictions/coordinator/Dockerfile", cwd=incident_platform)
    assert result.code == 0, result.stdout
    assert "PG101" not in result.stdout and "1 finding suppressed by pragmas" in result.stdout


def test_an_inline_pragma_in_python_silences_the_import(incident_platform: Path) -> None:
    app = incident_platform / "predictions/coordinator/app.py"
    app.write_text(app.read_text().replace(
        "from predictions.worker.data_loaders import load_game_features",
        "from predictions.worker.data_loaders import load_game_features  # predguard: ignore[PG101]"))
    result = run_check("--root", incident_platform, "predictions/coordinator/app.py", cwd=incident_platform)
    assert "PG101" not in result.stdout


def test_a_dockerfile_line_pragma_silences_that_line_only(tmp_path: Path) -> None:
    root = two_services(tmp_path)
    (root / "b" / "Dockerfile").write_text(
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY b/ ./b/\n# predguard: ignore[PG105]\nCOPY missing.txt ./\n"
        "COPY also-missing.txt ./\nCMD [\"python\", \"-m\", \"b.main\"]\n")
    result = run_check("--root", root, "b/Dockerfile", cwd=root)
    assert result.code == 1
    assert "b/Dockerfile:5:" not in result.stdout and "b/Dockerfile:6:" in result.stdout


def test_configured_service_name_entrypoints_and_context(tmp_path: Path) -> None:
    root = two_services(tmp_path)
    # b's CMD runs b.main; the configured entrypoint replaces it with a module that imports a lacking module.
    (root / "b" / "b" / "jobs.py").write_text("import b.absent_helpers\n")
    (root / "b" / "b" / "absent_helpers.py").write_text("")
    (root / "b" / "Dockerfile").write_text(
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY b/__init__.py b/main.py b/jobs.py ./b/\nCMD [\"python\", \"-m\", \"b.main\"]\n")
    (root / "predguard.toml").write_text(
        '[tool.predguard]\nexclude = ["a/**"]\n'
        '[[tool.predguard.services]]\nname = "batch"\ndockerfile = "b/Dockerfile"\ncontext = "b"\n'
        'entrypoints = ["b.jobs"]\n')
    result = run_check("--root", root, "--config", root / "predguard.toml", "--format", "json", cwd=root)
    document = json.loads(result.stdout)
    assert result.code == 1, result.stdout + result.stderr
    assert [d["path"] for d in document["dockerfiles"]] == ["b/Dockerfile"]  # a/ is excluded
    assert document["dockerfiles"][0]["context"] == "b"
    assert document["dockerfiles"][0]["entrypoints"] == ["b.jobs"]
    (finding,) = [f for f in document["findings"] if f["code"] == "PG101"]
    assert finding["service"] == "batch" and finding["module"] == "b.absent_helpers"


def test_colour_on_a_terminal_only(incident_platform: Path) -> None:
    import os
    import pty

    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "predguard.cli", "check-dockerfiles", "--root", str(incident_platform)],
                          cwd=REPO, env=env, stdout=terminal, stderr=subprocess.PIPE, timeout=60)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    on_terminal = b"".join(chunks).decode()
    assert proc.returncode == 1
    assert "\x1b[31m" in on_terminal and "PG101" in on_terminal
    piped = subprocess.run([sys.executable, "-m", "predguard.cli", "check-dockerfiles", "--root", str(incident_platform)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 1 and "PG101" in piped.stdout and "\x1b[" not in piped.stdout


def test_help_exits_0_and_names_the_exit_codes() -> None:
    result = run_check("--help")
    assert result.code == 0 and "exit status: 0 no errors" in result.stdout


def test_a_changed_file_outside_the_context_selects_a_dockerfile_whose_import_closure_reads_it(tmp_path: Path) -> None:
    # svc/app is a link to real/app, outside the context svc/: the image cannot have it (PG105), and the
    # import analysis still follows app.main -> app.util in the repository, so real/app/util.py matters.
    (tmp_path / "real" / "app").mkdir(parents=True)
    (tmp_path / "real" / "app" / "__init__.py").write_text("")
    (tmp_path / "real" / "app" / "main.py").write_text("import app.util\n")
    (tmp_path / "real" / "app" / "util.py").write_text("X = 1\n")
    (tmp_path / "real" / "unrelated.py").write_text("")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app").symlink_to("../real/app")
    (tmp_path / "svc" / "Dockerfile").write_text(
        'FROM python:3.11-slim\nWORKDIR /app\nCOPY app/ ./app/\nCMD ["python", "-m", "app.main"]\n')
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.predguard.services]]\ndockerfile = "svc/Dockerfile"\ncontext = "svc"\n')
    assert checked(tmp_path, "real/app/util.py") == (1, ["svc/Dockerfile"])
    assert checked(tmp_path, "real/unrelated.py") == (0, [])


OVERLAYS = [
    ("missing-worker-copy", "predictions/coordinator/app.py", "PG101", "guarded by try/except"),
    ("shadowed-package", "data_processors/analytics/main.py", "PG107",
     "/app/data_processors/analytics/shared (first on sys.path) hides /app/shared"),
    ("module-not-package", "predictions/coordinator/app.py", "PG107", "'shared' is not a package in the image"),
    ("relative-import-script", "predictions/worker/app.py", "PG107", "attempted relative import with no known parent package"),
]


@pytest.mark.parametrize(("overlay", "file", "code", "fragment"), OVERLAYS, ids=[o[0] for o in OVERLAYS])
def test_each_incident_overlay_is_an_error_at_the_failing_import(tmp_path: Path, overlay: str, file: str, code: str,
                                                                  fragment: str) -> None:
    """Every overlay of examples/incidents/ over the bundled platform (which is each one's fixed twin)."""
    root = tmp_path / "platform"
    shutil.copytree(PLATFORM, root)
    shutil.copytree(REPO / "examples" / "incidents" / overlay, root, dirs_exist_ok=True)
    result = run_check("--root", root, "--format", "json")
    assert result.code == 1, result.stdout + result.stderr
    errors = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"]
    assert len({f["dockerfile"] for f in errors}) == 1, errors  # only the service the overlay breaks
    assert any(f["code"] == code and f["file"] == file and fragment in f["message"] for f in errors), errors
