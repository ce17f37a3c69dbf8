"""The real `pre-commit` framework blocks the incident commit and lets the fix through.

The hook is installed the way a user gets it: from a git repository with `.pre-commit-hooks.yaml`
at `repo:`/`rev:`, pip-installing predguard from source into pre-commit's own environment. That
repository is a snapshot of this working tree (so uncommitted changes are tested too), committed
to a temporary git repository. PRE_COMMIT_HOME is one temporary directory for the whole session:
the environment is built once (a few seconds, from the package index) and then reused.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.hooks.conftest import INCIDENT, PLATFORM, REPO, copy_platform

pytestmark = pytest.mark.slow

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
# What `pip install .` needs from this repository: the packaging metadata and the packages.
SNAPSHOT = ("pyproject.toml", "setup.py", "README.md", "LICENSE", ".pre-commit-hooks.yaml",
            "predguard", "hooks", "verify", "processors", "monitors")


def git(cwd: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=check)


@pytest.fixture(scope="session")
def precommit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if not PRE_COMMIT.exists() or shutil.which("git") is None:
        pytest.skip(f"needs git and {PRE_COMMIT}")
    home = tmp_path_factory.mktemp("precommit-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update({
        "PRE_COMMIT_HOME": str(home / "cache"),
        "HOME": str(home),  # no user git config or hooks
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
        "NO_COLOR": "1",
    })
    return env


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, precommit_env: dict[str, str]) -> tuple[Path, str]:
    """A git repository holding this working tree's predguard: (path, commit sha)."""
    repo = tmp_path_factory.mktemp("predguard-src")
    for name in SNAPSHOT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.is_file():
            shutil.copy2(source, repo / name)
    if not (repo / "README.md").exists():  # pyproject.toml names it; the snapshot must build without it
        (repo / "README.md").write_text("predguard\n")
    git(repo, "init", "-q", "-b", "main", env=precommit_env)
    git(repo, "add", ".", env=precommit_env)
    git(repo, "commit", "-q", "-m", "predguard snapshot", env=precommit_env)
    sha = git(repo, "rev-parse", "HEAD", env=precommit_env).stdout.strip()
    return repo, sha


@pytest.fixture
def platform_repo(tmp_path: Path, hook_repo: tuple[Path, str], precommit_env: dict[str, str]) -> Iterator[Path]:
    """The example platform as a git repository with predguard's hook installed, before the
    coordinator service is added."""
    repo = copy_platform(tmp_path / "platform", incident=False)
    shutil.rmtree(repo / "predictions" / "coordinator")
    source, sha = hook_repo
    config = {"repos": [{"repo": str(source), "rev": sha, "hooks": [{"id": "dockerfile-imports"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    git(repo, "init", "-q", "-b", "main", env=precommit_env)
    git(repo, "add", ".", env=precommit_env)
    git(repo, "commit", "-q", "-m", "platform without the coordinator", env=precommit_env)
    installed = subprocess.run([str(PRE_COMMIT), "install"], cwd=repo, env=precommit_env,
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    yield repo


def hook_environment_packages(env: dict[str, str]) -> set[str]:
    """The distributions in pre-commit's environment for the hook: the light install."""
    (python,) = Path(env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*/bin/python")
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"], env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    import json
    return {item["name"].lower() for item in json.loads(listed.stdout)}


def test_the_hook_definition_matches_what_the_hook_must_see() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "dockerfile-imports" and hook["entry"] == "predguard check-dockerfiles"
    assert hook["language"] == "python"
    import re
    files = re.compile(hook["files"])
    for path in ["Dockerfile", "svc/Dockerfile.prod", "svc/api.Dockerfile", "svc/api.dockerfile", ".dockerignore",
                 "svc/Dockerfile.dockerignore", "pkg/mod.py", "requirements.txt", "svc/requirements-dev.txt",
                 "pyproject.toml", "svc/pyproject.toml"]:
        assert files.search(path), path
    for path in ["README.md", "docs/Dockerfiles.md", "data/games.csv", "setup.cfg.bak"]:
        assert not files.search(path), path


def test_the_incident_commit_is_blocked_and_the_fix_passes(platform_repo: Path, precommit_env: dict[str, str]) -> None:
    env = precommit_env
    # The incident: the coordinator arrives with a Dockerfile that does not copy predictions/worker/.
    shutil.copytree(PLATFORM / "predictions" / "coordinator", platform_repo / "predictions" / "coordinator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(INCIDENT / "predictions" / "coordinator" / "Dockerfile",
                 platform_repo / "predictions" / "coordinator" / "Dockerfile")
    git(platform_repo, "add", "predictions/coordinator", env=env)
    blocked = git(platform_repo, "commit", "-m", "coordinator: load game features lazily", env=env, check=False)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "Traceback" not in output
    app = (platform_repo / "predictions" / "coordinator" / "app.py").read_text().splitlines()
    line = next(i for i, text in enumerate(app, 1) if "from predictions.worker.data_loaders" in text)
    assert f"predictions/coordinator/app.py:{line}:" in output, output
    assert "PG101 predictions.worker.data_loaders" in output
    assert "fix: in predictions/coordinator/Dockerfile, add after line" in output
    assert "COPY predictions/worker/ ./predictions/worker/" in output
    assert git(platform_repo, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "1"  # nothing landed
    packages = hook_environment_packages(env)
    assert {"predguard", "dockerfile-parse"} <= packages <= {"predguard", "dockerfile-parse", "pip", "setuptools", "wheel"}

    # The fix: the Dockerfile copies the worker package.
    shutil.copy2(PLATFORM / "predictions" / "coordinator" / "Dockerfile",
                 platform_repo / "predictions" / "coordinator" / "Dockerfile")
    git(platform_repo, "add", "predictions/coordinator", env=env)
    fixed = git(platform_repo, "commit", "-m", "coordinator: copy predictions/worker/", env=env, check=False)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout + fixed.stderr
    assert git(platform_repo, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "2"


def test_a_commit_that_touches_no_image_skips_the_hook(platform_repo: Path, precommit_env: dict[str, str]) -> None:
    (platform_repo / "NOTES.txt").write_text("no code here\n")
    git(platform_repo, "add", "NOTES.txt", env=precommit_env)
    result = git(platform_repo, "commit", "-m", "notes", env=precommit_env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)Skipped" in result.stdout + result.stderr


def test_the_projects_own_config_dogfoods_predguard_on_the_examples(
    tmp_path: Path, hook_repo: tuple[Path, str], precommit_env: dict[str, str]
) -> None:
    """This repository's .pre-commit-config.yaml, run by the real framework on a copy of the tree."""
    env = precommit_env
    repo = tmp_path / "predguard"
    shutil.copytree(hook_repo[0], repo, ignore=shutil.ignore_patterns(".git"))
    shutil.copytree(REPO / ".ci", repo / ".ci")
    shutil.copytree(REPO / "examples", repo / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(REPO / ".pre-commit-config.yaml", repo / ".pre-commit-config.yaml")
    git(repo, "init", "-q", "-b", "main", env=env)
    git(repo, "add", ".", env=env)

    def run_hooks() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=300)

    clean = run_hooks()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "predguard check-dockerfiles (examples/prediction-platform)" in clean.stdout
    shutil.copy2(INCIDENT / "predictions" / "coordinator" / "Dockerfile",
                 repo / "examples" / "prediction-platform" / "predictions" / "coordinator" / "Dockerfile")
    broken = run_hooks()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "PG101 predictions.worker.data_loaders" in broken.stdout
