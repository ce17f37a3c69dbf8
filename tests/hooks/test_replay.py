"""A run reuses the last run's results only while nothing that run read has changed
(predguard.hooks.replay). Every test changes the tree the way a user would, then checks that a
run with the cache answers exactly what a run without it answers, and whether it replayed.

Runs are real CLI processes (tests/hooks/conftest.py: run_check); the debug log says what was
replayed ("reused the last run's results: N Dockerfiles replayed, M checked again").
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from tests.hooks.conftest import run_check
from tests.hooks.test_incremental import two_images_sharing_a_root_context

_REPLAYED = re.compile(r"reused the last run's results: (\d+) Dockerfiles replayed, (\d+) checked again")


@pytest.fixture(autouse=True)
def debug_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDGUARD_LOG_LEVEL", "DEBUG")
    monkeypatch.delenv("PREDGUARD_NO_CACHE", raising=False)


def report(root: Path, cache_dir: Path | None, *files: str) -> tuple[int, dict, tuple[int, int] | None]:
    """(exit code, JSON report, (replayed, checked again) or None when nothing was replayed)."""
    args = ["--root", root, "--format", "json", *(["--cache-dir", cache_dir] if cache_dir else ["--no-cache"]), *files]
    result = run_check(*args, cwd=root)
    assert result.code in (0, 1) and "Traceback" not in result.stderr, result.stderr
    said = _REPLAYED.search(result.stderr)
    return result.code, json.loads(result.stdout), (int(said[1]), int(said[2])) if said else None


def same_as_without_cache(root: Path, cache_dir: Path, *files: str) -> tuple[int, int] | None:
    """Run with the cache, assert it answers what a run without one answers; return what it replayed.

    With FILES the cache may select fewer images (by their import closure, predguard.hooks.incremental):
    each image it reports must then be reported exactly as a full run without the cache reports it."""
    code, cached, replayed = report(root, cache_dir, *files)
    if not files:
        assert (code, cached) == report(root, None)[:2]
        return replayed
    _, full, _ = report(root, None)
    shown = {d["path"] for d in cached["dockerfiles"]}
    assert [d for d in full["dockerfiles"] if d["path"] in shown] == cached["dockerfiles"]
    assert [f for f in full["findings"] if f["dockerfile"] in shown] == cached["findings"]
    return replayed


def modules(found: dict) -> set[str]:
    return {f["module"] for f in found["findings"] if f.get("module")}


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    assert same_as_without_cache(root, cache_dir) is None  # the first run checks, and records
    return root, cache_dir


def test_a_run_with_nothing_changed_replays_every_image(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    assert same_as_without_cache(root, cache_dir) == (2, 0)
    assert same_as_without_cache(root, cache_dir, "shared/common.py") == (2, 0)


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(tree: tuple[Path, Path]) -> None:
    """The Dockerfile stops copying shared/: same length, same mtime_ns; its ctime still moves."""
    root, cache_dir = tree
    dockerfile = root / "a/Dockerfile"
    before = dockerfile.stat()
    text = dockerfile.read_text()
    dockerfile.write_text(text.replace("COPY shared/ ./shared/", "COPY shared/ ./sharxd/"))
    os.utime(dockerfile, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (dockerfile.stat().st_size, dockerfile.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert same_as_without_cache(root, cache_dir) is None
    assert "shared.common" in modules(report(root, cache_dir)[1])


def test_a_python_edit_that_keeps_the_imports_is_replayed(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    common = root / "shared/common.py"
    common.write_text(common.read_text() + "# a comment\ndef helper():\n    return VALUE + 1\n")
    assert same_as_without_cache(root, cache_dir, "shared/common.py") == (2, 0)
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_python_edit_that_changes_the_imports_checks_the_images_that_import_it(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    (root / "extras").mkdir()
    (root / "extras/__init__.py").write_text("")
    (root / "extras/util.py").write_text("U = 1\n")  # in the repository, copied by neither image
    assert same_as_without_cache(root, cache_dir) is None
    only_a = root / "shared/only_a.py"
    only_a.write_text("A = 1\n\ndef later():\n    import extras.util\n")
    assert same_as_without_cache(root, cache_dir, "shared/only_a.py") == (1, 1)  # a again; b replayed
    assert "extras.util" in modules(report(root, cache_dir)[1])
    assert same_as_without_cache(root, cache_dir) == (2, 0)  # the record now holds the new scan


def test_an_editors_atomic_save_of_the_same_content_is_replayed(tree: tuple[Path, Path]) -> None:
    """Write-to-temporary-and-rename changes the directory's mtime, not its names."""
    root, cache_dir = tree
    common = root / "shared/common.py"
    temporary = root / "shared/.common.py.swp"
    temporary.write_bytes(common.read_bytes())
    os.replace(temporary, common)
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_new_file_that_an_import_now_finds_is_seen(tree: tuple[Path, Path]) -> None:
    """b's optional `import shared.later` resolves once shared/later.py exists."""
    root, cache_dir = tree
    (root / "shared/later.py").write_text("import not_installed_anywhere\n")
    assert same_as_without_cache(root, cache_dir) is None
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_deleted_module_is_seen(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    (root / "shared/only_a.py").unlink()
    assert same_as_without_cache(root, cache_dir) is None


def test_a_dockerignore_is_seen(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    (root / ".dockerignore").write_text("shared/only_a.py\n")
    assert same_as_without_cache(root, cache_dir) is None
    assert "shared.only_a" in modules(report(root, cache_dir)[1])


def test_git_add_of_a_dockerfile_is_seen(tmp_path: Path) -> None:
    """Only git's index changes: a Dockerfile git does not track is not checked, then it is."""
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "init", "-q", "."], cwd=root, check=True, env=env)
    subprocess.run(["git", "add", "--", ".", ":!b/Dockerfile"], cwd=root, check=True, env=env)
    _, first, _ = report(root, cache_dir)
    assert [d["path"] for d in first["dockerfiles"]] == ["a/Dockerfile"]
    assert same_as_without_cache(root, cache_dir) == (1, 0)
    subprocess.run(["git", "add", "b/Dockerfile"], cwd=root, check=True, env=env)
    assert same_as_without_cache(root, cache_dir) is None
    assert [d["path"] for d in report(root, cache_dir)[1]["dockerfiles"]] == ["a/Dockerfile", "b/Dockerfile"]


def test_a_changed_configuration_is_seen(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    (root / "pyproject.toml").write_text('[tool.predguard]\nexclude = ["b/**"]\n')
    assert same_as_without_cache(root, cache_dir) is None
    assert [d["path"] for d in report(root, cache_dir)[1]["dockerfiles"]] == ["a/Dockerfile"]


@pytest.mark.parametrize("content", [b"\x00 not json", b'{"format": "predguard-cache/1", "entries": {"k": [1]}}', b"[]"],
                         ids=["binary", "entry-not-a-record", "not-an-object"])
def test_a_corrupt_record_is_ignored(tree: tuple[Path, Path], content: bytes) -> None:
    root, cache_dir = tree
    (cache_dir / "runs.json").write_bytes(content)
    assert same_as_without_cache(root, cache_dir) is None
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_record_with_a_malformed_result_is_ignored(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    document = json.loads((cache_dir / "runs.json").read_text())
    for record in document["entries"].values():
        record["results"] = [{"dockerfile": 7}]
    (cache_dir / "runs.json").write_text(json.dumps(document))
    assert same_as_without_cache(root, cache_dir) is None


def test_runs_in_one_process_see_changes_between_them(tree: tuple[Path, Path]) -> None:
    """Look-ups a module keeps in memory are forgotten between runs (else the record would miss them)."""
    from predguard.hooks.check_dockerfiles import main

    root, cache_dir = tree

    def in_process() -> dict:
        out = io.StringIO()
        with redirect_stdout(out):
            main(["--root", str(root), "--format", "json", "--cache-dir", str(cache_dir)])
        return json.loads(out.getvalue())

    before = in_process()
    (root / "shared/later.py").write_text("import not_installed_anywhere\n")
    after = in_process()
    assert after != before
    assert after == report(root, None)[1]
    (root / "shared/later.py").unlink()
    assert in_process() == before
    assert sys.modules["predguard.hooks.replay"].active() is None


# --- commits: what changed is the commit's own files (FILES), as pre-commit passes them ------------


def test_a_committed_dockerfile_is_checked_and_the_record_lives_on(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    dockerfile = root / "a/Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY shared/ ./shared/", "COPY shared/common.py ./shared/"))
    assert same_as_without_cache(root, cache_dir, "a/Dockerfile") == (1, 1)  # a checked, b kept
    assert "shared.only_a" in modules(report(root, cache_dir)[1])
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_committed_new_module_that_nothing_imports_checks_nothing(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    (root / "shared/brand_new.py").write_text("N = 1\n")
    (root / "tools").mkdir()
    (root / "tools/__init__.py").write_text("")
    (root / "tools/release.py").write_text("import shared.common\n")
    assert same_as_without_cache(root, cache_dir, "shared/brand_new.py", "tools/__init__.py", "tools/release.py") == (2, 0)
    assert report(root, cache_dir, "shared/brand_new.py")[1]["dockerfiles"] == []
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_committed_module_that_an_import_now_finds_checks_its_importers(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    (root / "shared/later.py").write_text("import extras_not_copied\n")
    assert same_as_without_cache(root, cache_dir, "shared/later.py") == (1, 1)  # b tries shared.later
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_committed_deletion_checks_the_images_that_held_it(tree: tuple[Path, Path]) -> None:
    root, cache_dir = tree
    (root / "shared/only_a.py").unlink()
    assert same_as_without_cache(root, cache_dir, "shared/only_a.py") == (0, 2)  # deleted in both contexts
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_committed_new_dockerfile_is_checked(tmp_path: Path) -> None:
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "init", "-q", "."], cwd=root, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    assert same_as_without_cache(root, cache_dir) is None
    (root / "c").mkdir()
    (root / "c/Dockerfile").write_text('FROM python:3.12-slim\nWORKDIR /app\nCOPY a/ ./a/\nCMD ["python", "-m", "a.main"]\n')
    subprocess.run(["git", "add", "c/Dockerfile"], cwd=root, check=True, env=env)
    assert same_as_without_cache(root, cache_dir, "c/Dockerfile") == (2, 1)
    assert [d["path"] for d in report(root, cache_dir)[1]["dockerfiles"]] == ["a/Dockerfile", "b/Dockerfile", "c/Dockerfile"]
    assert same_as_without_cache(root, cache_dir) == (3, 0)


def test_a_change_outside_the_commit_starts_a_new_record(tree: tuple[Path, Path]) -> None:
    """requirements files are read for every image's fix suggestions: not the commit's to explain.
    The commit's run checks what it selects, and its record holds those images only."""
    root, cache_dir = tree
    (root / "requirements.txt").write_text("requests==2.32.0\n")
    common = root / "shared/common.py"
    common.write_text(common.read_text() + "# edited\n")
    assert same_as_without_cache(root, cache_dir, "shared/common.py", "requirements.txt") is None
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_first_commit_starts_the_record_with_what_it_checks(tmp_path: Path) -> None:
    """No full run yet (a fresh clone, pre-commit only): the record holds the images commits checked;
    an image it has no result for is checked when wanted, then kept."""
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    (root / "a/Dockerfile").write_text((root / "a/Dockerfile").read_text() + "# edited\n")
    assert same_as_without_cache(root, cache_dir, "a/Dockerfile") is None  # no record yet: a checked
    common = root / "shared/common.py"
    common.write_text(common.read_text() + "# edited\n")
    assert same_as_without_cache(root, cache_dir, "shared/common.py") == (1, 1)  # a replayed, b checked
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_package_init_is_read_through_its_scan(tree: tuple[Path, Path]) -> None:
    """Whether an __init__.py is empty decides a fix (predguard.hooks.python.resolve): that is part of
    its scan, so a comment keeps every result and code makes its importers be checked again."""
    root, cache_dir = tree
    init = root / "shared/__init__.py"
    init.write_text('"""Shared code."""\n# a comment\n')
    assert same_as_without_cache(root, cache_dir, "shared/__init__.py") == (2, 0)
    init.write_text("VERSION = 2\n")
    assert same_as_without_cache(root, cache_dir, "shared/__init__.py") == (0, 2)
    assert same_as_without_cache(root, cache_dir) == (2, 0)


def test_a_re_pointed_symlink_is_seen(tmp_path: Path) -> None:
    """`ln -sf` replaces a link without changing its directory's names: the link's target counts."""
    root = two_images_sharing_a_root_context(tmp_path / "repo")
    (root / "variants").mkdir()
    (root / "variants/full.py").write_text("import shared.only_a\n")
    (root / "variants/empty.py").write_text("X = 1\n")
    (root / "shared/extra.py").symlink_to("../variants/empty.py")
    (root / "a/main.py").write_text("import shared.common\nimport shared.extra\n")
    cache_dir = tmp_path / "cache"
    assert same_as_without_cache(root, cache_dir) is None
    (root / "shared/extra.py").unlink()
    (root / "shared/extra.py").symlink_to("../variants/full.py")
    assert same_as_without_cache(root, cache_dir) is None
    assert same_as_without_cache(root, cache_dir) == (2, 0)
