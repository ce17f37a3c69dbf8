"""predguard.sqlite_file: a user-given SQLite path checked before SQLite opens it."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from predguard.errors import InputError
from predguard.sqlite_file import check_sqlite_path


def test_an_existing_database_and_a_new_path_are_fine(tmp_path: Path) -> None:
    existing = tmp_path / "state.sqlite"
    sqlite3.connect(existing).execute("CREATE TABLE t (x)").connection.close()
    assert check_sqlite_path(existing, where="--state", create=True) == existing
    (tmp_path / "empty.sqlite").touch()  # an empty file is a database SQLite will initialise
    assert check_sqlite_path(tmp_path / "empty.sqlite", where="--state", create=True)
    new = tmp_path / "a" / "b" / "state.sqlite"
    assert check_sqlite_path(new, where="--state", create=True) == new and new.parent.is_dir()


def test_without_create_nothing_is_made(tmp_path: Path) -> None:
    check_sqlite_path(tmp_path / "a" / "state.sqlite", where="--state", create=False)
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize(("make", "says"), [
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: p.write_text("notes"), "is not an SQLite database"),
])
def test_bad_paths_name_the_option_and_the_path(tmp_path: Path, make, says: str) -> None:
    path = tmp_path / "state"
    make(path)
    with pytest.raises(InputError) as info:
        check_sqlite_path(path, where="--state", create=True)
    assert info.value.where == f"--state {path}" and says in info.value.message


def test_a_path_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a directory"):
        check_sqlite_path(tmp_path / "file" / "sub" / "state.sqlite", where="--state", create=True)
