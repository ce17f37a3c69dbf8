"""`[tool.predguard]` loading: tables, absence, and bad files as one-line InputErrors."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.config import find_pyproject, load_table
from predguard.errors import InputError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_nested_table(tmp_path):
    path = write(tmp_path / "pyproject.toml", '[tool.predguard.drift]\nfloor = 0.55\n')
    assert load_table(path, "drift") == {"floor": 0.55}
    assert load_table(path) == {"drift": {"floor": 0.55}}


def test_absent_table_and_absent_file_mean_defaults(tmp_path):
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_table(path, "drift") == {}
    assert load_table(None) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.predguard\n", "invalid TOML"),
        ("[tool]\npredguard = 3\n", "[tool.predguard] must be a table"),
        ("[tool.predguard]\ndrift = 'x'\n", "[tool.predguard.drift] must be a table"),
    ],
)
def test_bad_files_are_input_errors_naming_the_file(tmp_path, text, message):
    path = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(InputError) as info:
        load_table(path, "drift")
    assert message in str(info.value) and str(path) in str(info.value)


def test_non_utf8_and_missing_files(tmp_path):
    bad = tmp_path / "pyproject.toml"
    bad.write_bytes(b"[tool.predguard]\nx = '\xff'\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_table(bad)
    with pytest.raises(InputError, match="not found"):
        load_table(tmp_path / "missing.toml")


def test_find_pyproject_walks_up(tmp_path):
    write(tmp_path / "pyproject.toml", "")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_pyproject(tmp_path / "a" / "b") == tmp_path / "pyproject.toml"


@pytest.mark.parametrize("kind", ["directory", "symlink loop"])
def test_an_unreadable_configuration_path_is_an_input_error(tmp_path, kind):
    path = tmp_path / "pyproject.toml"
    if kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(path)
    with pytest.raises(InputError) as info:
        load_table(path)
    assert info.value.where == str(path)
    assert ("is a directory" if kind == "directory" else "cannot read") in info.value.message
