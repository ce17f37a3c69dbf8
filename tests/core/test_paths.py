"""How paths are shown: relative to the root inside it, as given outside it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from predguard.paths import display_path


def test_inside_the_root_relative_and_posix(tmp_path: Path) -> None:
    assert display_path(tmp_path / "svc" / "Dockerfile", tmp_path) == "svc/Dockerfile"
    assert display_path(tmp_path, tmp_path) == "."
    assert display_path(str(tmp_path / "a"), str(tmp_path)) == "a"


def test_outside_the_root_as_given(tmp_path: Path) -> None:
    assert display_path(Path("/elsewhere/Dockerfile"), tmp_path) == "/elsewhere/Dockerfile"


def test_default_root_is_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "x" / "y.py") == "x/y.py"
    assert display_path(Path("x") / ".." / "z") == "z"


def test_a_symlinked_folder_keeps_its_name_and_a_symlinked_root_still_matches(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "svc").mkdir(parents=True)
    os.symlink(real / "svc", real / "alias")
    os.symlink(real, tmp_path / "root-link")
    assert display_path(real / "alias" / "Dockerfile", real) == "alias/Dockerfile"  # lexical first
    assert display_path((real / "svc" / "Dockerfile").resolve(), tmp_path / "root-link") == "svc/Dockerfile"
