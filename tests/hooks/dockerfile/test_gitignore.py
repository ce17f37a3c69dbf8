"""predguard.hooks.dockerfile.gitignore against git itself (`git check-ignore`) on the same tree."""
from __future__ import annotations

import subprocess
from pathlib import Path

from predguard.hooks.dockerfile.gitignore import is_ignored
from tests.hooks.dockerfile.tree import write_tree

TREE = {
    ".gitignore": "# comment\n*.pyc\n/models/\nbuild/\n!keep.pyc\ndata/*.csv\n!data/small.csv\n**/cache/**\nweights[0-9].bin\n",
    "svc/.gitignore": "local.env\n/only-here.txt\n",
    "svc/app.py": "",
}
PATHS = ["a.pyc", "keep.pyc", "models/w.bin", "svc/models/w.bin", "build/x", "svc/build/y", "data/big.csv", "data/small.csv",
         "data/sub/x.csv", "svc/cache/z", "cache/z", "weights1.bin", "weightsX.bin", "svc/local.env", "local.env",
         "svc/only-here.txt", "svc/deep/only-here.txt", "svc/app.py"]


def test_agrees_with_git_check_ignore(tmp_path: Path) -> None:
    write_tree(tmp_path, TREE)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    checked = subprocess.run(["git", "-C", str(tmp_path), "check-ignore", "--no-index", *PATHS], capture_output=True, text=True)
    by_git = set(checked.stdout.split())
    ours = {p for p in PATHS if is_ignored(tmp_path / p, tmp_path)}
    assert ours == by_git
    # One deliberate difference: a path that does not exist yet may become a directory (a
    # `COPY models/` source the pipeline downloads), so `dir/` patterns apply to it; git says no.
    assert is_ignored(tmp_path / "models", tmp_path)


def test_outside_the_root_is_never_ignored(tmp_path: Path) -> None:
    write_tree(tmp_path / "repo", {".gitignore": "*\n"})
    assert not is_ignored(tmp_path / "elsewhere.txt", tmp_path / "repo")
