"""The persistent cache of import scans (predguard.hooks.cache): it never changes a result.

Runs are real processes of the CLI (tests/hooks/conftest.py: run_check) sharing a cache directory;
what is checked is the output, and what the cache file holds afterwards.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from predguard import __version__
from predguard.hooks import cache
from predguard.hooks.python.imports import parse_file
from tests.hooks.conftest import REPO, copy_platform, run_check

WORKER_IMPORT = "from predictions.worker.data_loaders import load_game_features"


def check_json(root: Path, cache_dir: Path | None, *files: str) -> tuple[int, dict]:
    args = ["--root", root, "--format", "json", *(["--cache-dir", cache_dir] if cache_dir else ["--no-cache"]), *files]
    result = run_check(*args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result.code, json.loads(result.stdout)


def modules_reported(report: dict) -> set[str]:
    return {f["module"] for f in report["findings"] if f.get("module")}


def imports_file(cache_dir: Path) -> dict:
    return json.loads((cache_dir / "imports.json").read_text())


@pytest.mark.parametrize("incident", [False, True], ids=["fixed", "incident"])
def test_cold_warm_and_no_cache_give_the_same_report(tmp_path: Path, incident: bool) -> None:
    root = copy_platform(tmp_path / "platform", incident=incident)
    cache_dir = tmp_path / "cache"
    expected = check_json(root, None)
    assert check_json(root, cache_dir) == expected  # cold: written
    entries = imports_file(cache_dir)["entries"]
    assert any(name.endswith("app.py") for name in entries)
    written = {p.name: p.stat().st_mtime_ns for p in cache_dir.glob("*.json")}
    assert check_json(root, cache_dir) == expected  # warm: read, and nothing to write
    assert {p.name: p.stat().st_mtime_ns for p in cache_dir.glob("*.json")} == written
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"


def test_the_default_cache_is_git_ignored_in_the_root(tmp_path: Path) -> None:
    root = copy_platform(tmp_path / "platform", incident=False)
    env_free = {k: v for k, v in os.environ.items() if k not in ("PREDGUARD_CACHE_DIR", "PREDGUARD_NO_CACHE")}
    proc = subprocess.run([sys.executable, "-m", "predguard.cli", "check-dockerfiles"], cwd=root, capture_output=True,
                          text=True, timeout=60, env={**env_free, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert (root / cache.DIRNAME / "imports.json").is_file()
    subprocess.run(["git", "init", "-q", "."], cwd=root, check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, capture_output=True, text=True, check=True)
    assert cache.DIRNAME not in status.stdout and "app.py" in status.stdout


def test_an_edit_with_the_same_size_and_mtime_is_rescanned(tmp_path: Path) -> None:
    """Only the content hash tells these two versions apart."""
    root = copy_platform(tmp_path / "platform", incident=True)
    cache_dir = tmp_path / "cache"
    app = root / "predictions" / "coordinator" / "app.py"
    code, before = check_json(root, cache_dir)
    assert code == 1 and "predictions.worker.data_loaders" in modules_reported(before)

    stat = app.stat()
    text = app.read_text()
    assert WORKER_IMPORT in text
    # Same length, no longer an import of the worker: `from predictions.worker...` -> `#rom ...`
    app.write_text(text.replace(WORKER_IMPORT, "#" + WORKER_IMPORT[1:]))
    os.utime(app, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (app.stat().st_size, app.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)

    assert check_json(root, cache_dir) == check_json(root, None)
    _, after = check_json(root, cache_dir)
    assert "predictions.worker.data_loaders" not in modules_reported(after)


@pytest.mark.parametrize(
    "content",
    [b"\x00\xff not json", b'{"format": "predguard-cache/1", "entries": [1, 2]}', b"[]", b'{"format": "other-tool"}', b""],
    ids=["binary", "entries-not-a-table", "not-an-object", "foreign", "empty"],
)
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_rebuilt(tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    root = copy_platform(tmp_path / "platform", incident=True)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "imports.json").write_bytes(content)
    assert check_json(root, cache_dir) == check_json(root, None)
    rebuilt = imports_file(cache_dir)
    assert rebuilt["format"] == cache.FORMAT and rebuilt["entries"]

    # Said once, at debug level (the cache is read once per run).
    (cache_dir / "imports.json").write_bytes(content)
    with caplog.at_level(logging.DEBUG, logger="predguard.hooks.cache"):
        store = cache.Cache(cache_dir)
        for _ in range(3):
            store.get("imports", "x.py", 1, 1, "h")
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG and "rebuilding" in r.getMessage()]) == 1


def test_a_cache_written_by_another_version_is_not_used(tmp_path: Path) -> None:
    """An entry matching the file exactly, but written by another predguard: its (wrong) scan is ignored."""
    root = copy_platform(tmp_path / "platform", incident=True)
    cache_dir = tmp_path / "cache"
    check_json(root, cache_dir)
    document = imports_file(cache_dir)
    for entry in document["entries"].values():
        entry[3] = {"imports": [], "problem": None, "suppressions": {}, "trivial": False}  # "imports nothing"
    for version, python in ((f"{__version__}.post-other", document["python"]), (document["predguard"], "2.7")):
        (cache_dir / "imports.json").write_text(json.dumps({**document, "predguard": version, "python": python}))
        (cache_dir / "runs.json").unlink()  # else the last run's record answers without asking for a scan
        code, report = check_json(root, cache_dir)
        assert code == 1 and "predictions.worker.data_loaders" in modules_reported(report)
    # The same entries under this version are believed: proof the check above was the version's doing.
    (cache_dir / "imports.json").write_text(json.dumps(document))
    (cache_dir / "runs.json").unlink()
    assert check_json(root, cache_dir)[0] == 0


def test_malformed_entries_are_parsed_again(tmp_path: Path) -> None:
    root = copy_platform(tmp_path / "platform", incident=True)
    cache_dir = tmp_path / "cache"
    check_json(root, cache_dir)
    document = imports_file(cache_dir)
    for entry in document["entries"].values():
        entry[3] = {"imports": [["x", "not-a-level"]], "problem": 7}
    (cache_dir / "imports.json").write_text(json.dumps(document))
    assert check_json(root, cache_dir) == check_json(root, None)


def test_two_concurrent_runs_share_a_cache(tmp_path: Path) -> None:
    root = copy_platform(tmp_path / "platform", incident=True)
    cache_dir = tmp_path / "cache"
    expected = check_json(root, None)
    command = [sys.executable, "-m", "predguard.cli", "check-dockerfiles", "--root", str(root), "--format", "json",
               "--cache-dir", str(cache_dir)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(3):
        runs = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        for proc in runs:
            out, err = proc.communicate(timeout=120)
            assert (proc.returncode, json.loads(out)) == expected, err
        assert imports_file(cache_dir)["format"] == cache.FORMAT
    assert not [p for p in cache_dir.iterdir() if p.suffix == ".tmp"]


def test_an_unwritable_cache_directory_is_not_an_error(tmp_path: Path) -> None:
    root = copy_platform(tmp_path / "platform", incident=True)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert check_json(root, blocker / "cache") == check_json(root, None)


def test_parse_file_reads_through_the_active_cache(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import json\ntry:\n    import yaml\nexcept ImportError:\n    yaml = None\n")
    with cache.using(tmp_path / "c") as store:
        assert store is not None
        first = parse_file(module)
    with cache.using(tmp_path / "c") as store:
        from predguard.hooks.python import imports

        imports.clear_cache()
        second = parse_file(module)
        assert store is not None and (store.hits, store.misses) == (1, 0)
    assert second == first and [r.optional for r in second.imports] == [False, True]
