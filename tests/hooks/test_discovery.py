"""Finding Dockerfiles, and mapping changed files to the Dockerfiles they can affect."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from predguard.hooks.discovery import affects, find_dockerfiles, is_dockerfile, matches_any


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dockerfile", True), ("Dockerfile.prod", True), ("api.Dockerfile", True), ("api.dockerfile", True),
        ("Dockerfile.dockerignore", False), (".dockerignore", False), ("dockerfile", False),
        ("Dockerfiles", False), ("README.md", False), ("Dockerfile-old", False),
    ],
)
def test_dockerfile_names(name: str, expected: bool) -> None:
    assert is_dockerfile(name) is expected


@pytest.mark.parametrize(
    ("path", "glob", "expected"),
    [
        ("a/testdata/Dockerfile", "**/testdata/**", True),
        ("testdata/Dockerfile", "**/testdata/**", True),
        ("a/b/testdata/x/Dockerfile", "**/testdata/**", True),
        ("a/testdatax/Dockerfile", "**/testdata/**", False),
        ("legacy/Dockerfile", "legacy/*", True),
        ("legacy/sub/Dockerfile", "legacy/*", False),
        ("x/Dockerfile.dev", "**/Dockerfile.dev", True),
        ("x/Dockerfile.dev", "./x/Dockerfile.de?", True),
    ],
)
def test_exclude_globs(path: str, glob: str, expected: bool) -> None:
    assert matches_any(path, [glob]) is expected


def test_find_dockerfiles_walks_the_tree_skipping_tool_dirs_and_excludes(tmp_path: Path) -> None:
    for rel in ["Dockerfile", "svc/Dockerfile.prod", "svc/api.Dockerfile", "svc/Dockerfile.dockerignore",
                ".git/Dockerfile", ".venv/lib/Dockerfile", "node_modules/x/Dockerfile",
                "tests/testdata/Dockerfile", "docs/README.md"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("FROM scratch\n")
    found = [p.relative_to(tmp_path).as_posix() for p in find_dockerfiles(tmp_path, ["**/testdata/**"])]
    assert found == ["Dockerfile", "svc/Dockerfile.prod", "svc/api.Dockerfile"]


def test_find_dockerfiles_survives_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM scratch\n")
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
    assert find_dockerfiles(tmp_path) == [(tmp_path / "a" / "Dockerfile").resolve()]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for rel in ["svc/Dockerfile", "svc/app.py", "svc/requirements.txt", "svc/notes.md", "lib/util.py",
                "other/Dockerfile", "other/run.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    return tmp_path


@pytest.mark.parametrize(
    ("changed", "context", "expected"),
    [
        ("svc/Dockerfile", ".", True),  # the Dockerfile itself
        ("svc/Dockerfile.dockerignore", ".", True),  # its own .dockerignore
        (".dockerignore", ".", True),  # the context's .dockerignore
        ("svc/app.py", ".", True),  # Python file in the context
        ("svc/requirements.txt", ".", True),
        ("pyproject.toml", ".", True),
        ("lib/util.py", ".", True),  # in the context (repo root), even if another dir
        ("lib/util.py", "svc", False),  # outside a narrower context
        ("other/Dockerfile", ".", False),  # another Dockerfile
        ("svc/notes.md", ".", False),  # not a file that changes an image's code
        ("svc/deleted.md", ".", True),  # deleted: it may have been a COPY source
        ("elsewhere/deleted.py", "svc", False),  # deleted, outside the context
    ],
)
def test_affects(repo: Path, changed: str, context: str, expected: bool) -> None:
    assert affects(repo / changed, repo / "svc" / "Dockerfile", repo / context) is expected


def test_a_file_in_the_import_closure_affects_even_outside_the_context(repo: Path) -> None:
    dockerfile, context = repo / "svc" / "Dockerfile", repo / "svc"
    assert not affects(repo / "lib" / "util.py", dockerfile, context)
    assert affects(repo / "lib" / "util.py", dockerfile, context, closure=[repo / "lib" / "util.py"])


@pytest.mark.parametrize(
    ("changed", "expected"),
    [("svc/app.py", True), ("svc/Dockerfile", True), ("svc/notes.md", False), ("README.md", True),  # absent: deleted
     ("svc/requirements.txt", True), (".dockerignore", True)],
)
def test_could_affect_an_image(repo: Path, changed: str, expected: bool) -> None:
    from predguard.hooks.discovery import could_affect_an_image

    assert could_affect_an_image(repo / changed) is expected
