"""The measured causes of false alarms on real monorepos, each with a flagged case and its fixed
(or rightly quiet) twin, through the real CLI on small trees the tests write."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.hooks.conftest import run_check
from tests.hooks.dockerfile.tree import write_tree

APP = {"app/__init__.py": "", "app/main.py": "import app.util\n", "app/util.py": "X = 1\n"}
PY_DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /srv\nCOPY app/ ./app/\nCMD [\"python\", \"-m\", \"app.main\"]\n"


def check(root: Path) -> tuple[int, list[dict[str, object]], list[dict[str, object]]]:
    result = run_check("--root", root, "--format", "json")
    assert result.code in (0, 1), result.stdout + result.stderr
    document = json.loads(result.stdout)
    return result.code, document["findings"], document["dockerfiles"]


def errors(findings: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(f["code"], f["file"]) for f in findings if f["severity"] == "error"]


# 2. Dockerfiles in folders nothing builds from


@pytest.mark.parametrize("folder", ["docs/archive/svc", "deprecated", "svc/old", "web/node_modules/pkg", ".venv/lib", "lib/site-packages/x"])
def test_default_excludes_skip_folders_nothing_builds(tmp_path: Path, folder: str) -> None:
    write_tree(tmp_path, {**APP, f"{folder}/Dockerfile": "FROM python:3.12\nCOPY gone/ /x/\nCMD [\"python\", \"-m\", \"x\"]\n",
                          "Dockerfile": PY_DOCKERFILE})
    code, findings, dockerfiles = check(tmp_path)
    assert (code, findings, [d["path"] for d in dockerfiles]) == (0, [], ["Dockerfile"])


def test_default_excludes_can_be_turned_off(tmp_path: Path) -> None:
    write_tree(tmp_path, {**APP, "old/Dockerfile": PY_DOCKERFILE, "Dockerfile": PY_DOCKERFILE,
                          "pyproject.toml": "[tool.predguard]\ndefault_excludes = false\n"})
    _, _, dockerfiles = check(tmp_path)
    assert sorted(d["path"] for d in dockerfiles) == ["Dockerfile", "old/Dockerfile"]


def test_a_dockerfile_git_does_not_track_is_not_repository_content(tmp_path: Path) -> None:
    write_tree(tmp_path, {**APP, "Dockerfile": PY_DOCKERFILE, "scratch/Dockerfile": "FROM python:3.12\nCOPY nope /x\n"})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "Dockerfile", "app"], check=True)
    _, findings, dockerfiles = check(tmp_path)
    assert [d["path"] for d in dockerfiles] == ["Dockerfile"] and findings == []
    subprocess.run(["git", "-C", str(tmp_path), "add", "scratch/Dockerfile"], check=True)
    _, findings, dockerfiles = check(tmp_path)
    assert sorted(d["path"] for d in dockerfiles) == ["Dockerfile", "scratch/Dockerfile"]


# 3. Build context: the candidate with the most COPY sources; one PG105 per missing source


def test_one_stale_source_is_one_pg105_not_a_cascade(tmp_path: Path) -> None:
    dockerfile = ("FROM python:3.12-slim\nWORKDIR /srv\nCOPY app/ ./app/\nCOPY moved/away.py ./\nCOPY requirements.txt ./\n"
                  "CMD [\"python\", \"-m\", \"app.main\"]\n")
    write_tree(tmp_path, {**APP, "requirements.txt": "", "svc/Dockerfile": dockerfile})
    code, findings, dockerfiles = check(tmp_path)
    assert errors(findings) == [("PG105", "svc/Dockerfile")] and code == 1
    assert dockerfiles[0]["context"] == "." and "where the most COPY sources exist (2 of 3" in run_check("--root", tmp_path).stdout


def test_a_git_ignored_missing_source_is_a_note(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.12-slim\nWORKDIR /srv\nCOPY app/ ./app/\nCOPY models/ ./models/\nCMD [\"python\", \"-m\", \"app.main\"]\n"
    write_tree(tmp_path, {**APP, "Dockerfile": dockerfile, ".gitignore": "/models/\n*.pyc\n"})
    code, findings, _ = check(tmp_path)
    assert code == 0 and [(f["code"], f["severity"]) for f in findings] == [("PG105", "note")]
    assert "git-ignored" in str(findings[0]["message"])
    (tmp_path / ".gitignore").write_text("*.pyc\n")  # not ignored any more: a stale path, an error
    code, findings, _ = check(tmp_path)
    assert code == 1 and errors(findings) == [("PG105", "Dockerfile")]


def test_a_source_the_readme_says_to_download_is_a_note(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.12-slim\nWORKDIR /srv\nCOPY app/ ./app/\nCOPY german.data /data/\nCMD [\"python\", \"-m\", \"app.main\"]\n"
    write_tree(tmp_path, {**APP, "Dockerfile": dockerfile, "README.md": "Download german.data here before building.\n"})
    code, findings, _ = check(tmp_path)
    assert code == 0 and [(f["code"], f["severity"]) for f in findings] == [("PG105", "note")]


def test_a_deploy_script_names_the_context(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . ./\nCMD [\"python\", \"-m\", \"app.main\"]\n"
    write_tree(tmp_path, {**APP, "deploy/api/Dockerfile": dockerfile,
                          "deploy/build.sh": "#!/bin/sh\nset -e\ncd ..\ndocker build -t api -f deploy/api/Dockerfile .\n"})
    result = run_check("--root", tmp_path)
    # the script cds to the root first: a script's paths are taken from its own directory, so it is not used here
    assert "inferred" in result.stdout
    (tmp_path / "Makefile").write_text("image:\n\tdocker build -t api -f deploy/api/Dockerfile .\n")
    result = run_check("--root", tmp_path)
    assert result.code == 0 and "context: ., from Makefile" in result.stdout, result.stdout


# 4. Base-image environment


def test_home_is_roots_home_for_copy_and_the_command(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.12-slim\nCOPY . $HOME/svc\nCMD cd $HOME/svc && exec uvicorn app.main:api --port 8080\n"
    write_tree(tmp_path, {**APP, "Dockerfile": dockerfile})
    code, findings, dockerfiles = check(tmp_path)
    assert (code, findings, dockerfiles[0]["entrypoints"]) == (0, [], ["app.main"])


def test_a_conclusion_resting_on_an_unknown_bases_home_is_a_warning(tmp_path: Path) -> None:
    dockerfile = "FROM vendor/base:1\nCOPY app/main.py $HOME/app/\nCMD cd $HOME && exec python -m app.main\n"
    write_tree(tmp_path, {**APP, "Dockerfile": dockerfile})
    code, findings, _ = check(tmp_path)
    assert code == 0 and {(f["code"], f["severity"]) for f in findings} == {("PG101", "warning")}
    assert "assuming the base image vendor/base:1 has HOME=/root" in str(findings[0]["message"])


def test_self_append_to_a_base_variable_is_not_pg106(tmp_path: Path) -> None:
    write_tree(tmp_path, {**APP, "Dockerfile": PY_DOCKERFILE.replace("WORKDIR /srv\n", "WORKDIR /srv\nENV PYTHONPATH=/srv:${PYTHONPATH}\n")})
    assert check(tmp_path)[1] == []
    write_tree(tmp_path, {"Dockerfile": PY_DOCKERFILE.replace("WORKDIR /srv\n", "WORKDIR /srv\nENV PYTHONPATH=/srv:${PYTHONPAHT}\n")})
    assert [(f["code"], f["severity"]) for f in check(tmp_path)[1]] == [("PG106", "warning")]  # a typo still is


# 6. Build-produced files stay opaque; 7. images without Python are skipped


def test_copy_of_an_arg_without_value_is_opaque(tmp_path: Path) -> None:
    dockerfile = ("FROM python:3.12-slim\nARG PLUGIN_DIR\nWORKDIR /srv\nCOPY app/ ./app/\nCOPY ${PLUGIN_DIR} ./plugins/\n"
                  "CMD [\"python\", \"-m\", \"app.main\"]\n")
    write_tree(tmp_path, {**APP, "app/main.py": "import app.util\nimport plugins.extra\n", "Dockerfile": dockerfile})
    code, findings, _ = check(tmp_path)
    assert (code, findings) == (0, [])


@pytest.mark.parametrize(("dockerfile", "skipped"), [
    ("FROM golang:1.22 AS build\nCOPY . /src\nRUN go build -o /server ./...\nFROM gcr.io/distroless/static\n"
     "COPY --from=build /server /server\nCMD [\"/server\"]\n", True),
    ("FROM node:20\nCOPY . /app\nCMD [\"node\", \"server.js\"]\n", True),
    ("FROM debian:12\nRUN apt-get install -y python3 python3-pip\nCMD [\"/opt/run\"]\n", False),
])
def test_images_without_python_are_skipped_with_a_reason(tmp_path: Path, dockerfile: str, skipped: bool) -> None:
    write_tree(tmp_path, {"server.js": "", "main.go": "", "Dockerfile": dockerfile})
    code, findings, dockerfiles = check(tmp_path)
    assert dockerfiles[0]["status"] == ("skipped" if skipped else "findings")
    if skipped:
        assert findings == [] and "no Python in the image" in str(dockerfiles[0]["reason"])
        assert "skipped: no Python in the image" in run_check("--root", tmp_path).stdout
    else:
        assert [(f["code"], f["severity"]) for f in findings] == [("PG103", "warning")]


@pytest.mark.parametrize(("dockerfile", "severity"), [
    ("FROM python:3.12-slim\nWORKDIR /srv\nCOPY app/ ./app/\nCMD [\"python\", \"serve.py\"]\n", "error"),
    ("FROM python:3.12-slim\nRUN git clone https://example.com/Serving.git\nCMD [\"python\", \"Serving/serve.py\"]\n", "warning"),
    ("FROM vendor/serving:1\nCMD [\"python\", \"serve.py\"]\n", "warning"),
])
def test_an_entry_script_nowhere_is_an_error_only_when_nothing_unseen_could_provide_it(
        tmp_path: Path, dockerfile: str, severity: str) -> None:
    write_tree(tmp_path, {**APP, "Dockerfile": dockerfile})
    _, findings, _ = check(tmp_path)
    assert [(f["code"], f["severity"]) for f in findings] == [("PG103", severity)]


def test_an_undefined_variable_is_one_warning_at_its_first_use(tmp_path: Path) -> None:
    dockerfile = ("FROM vendor/notebook:1\nWORKDIR /srv\nCOPY --chown=$NB_UID app/ ./app/\nCOPY --chown=$NB_UID app/main.py ./\n"
                  "CMD [\"python\", \"-m\", \"app.main\"]\n")
    write_tree(tmp_path, {**APP, "Dockerfile": dockerfile})
    findings = check(tmp_path)[1]
    assert [(f["code"], f["line"]) for f in findings] == [("PG106", 3)]


def test_gcloud_run_deploy_source_names_the_context(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.12-slim\nWORKDIR /srv\nCOPY app/ ./app/\nCMD [\"python\", \"-m\", \"app.main\"]\n"
    write_tree(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": "", "svc/Dockerfile": dockerfile,
                          "deploy.sh": "gcloud run deploy api --source svc --region europe-west1\n"})
    result = run_check("--root", tmp_path)
    assert result.code == 0 and "context: svc, from deploy.sh" in result.stdout, result.stdout
