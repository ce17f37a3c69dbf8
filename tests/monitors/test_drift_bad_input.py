"""Bad input a new user found for `predguard drift`: each is one line and exit 2, never a
traceback — and a dry run creates nothing, whatever the state path."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.monitors.drift_helpers import EXAMPLE_CSV
from tests.monitors.test_drift_cli import IN_INCIDENT, expect_input_error, in_tmp  # noqa: F401 (autouse fixture)

SOURCE = ("--source", str(EXAMPLE_CSV))


@pytest.mark.parametrize("argv", [
    ("--as-of", "0001-01-01"),
    ("backtest", "--from", "0001-01-01", "--to", "2026-01-01"),
])
def test_far_past_dates_are_one_line_not_an_overflow(argv: tuple[str, ...]) -> None:
    command, options = (argv[:1], argv[1:]) if argv[0] == "backtest" else ((), argv)
    line = expect_input_error(*command, *SOURCE, *options)
    assert "0001-01-01 is before 1900-01-01" in line


def bad_state(tmp_path: Path, kind: str) -> Path:
    if kind == "a directory":
        (tmp_path / "dir").mkdir()
        return tmp_path / "dir"
    (tmp_path / "notes.txt").write_text("my notes, not a database\n")
    if kind == "not SQLite":
        return tmp_path / "notes.txt"
    return tmp_path / "notes.txt" / "state.sqlite"  # under a regular file


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize(("kind", "says"), [
    ("a directory", "is a directory"),
    ("not SQLite", "is not an SQLite database"),
    ("under a file", "notes.txt is not a directory"),
])
def test_a_bad_state_path_is_one_line(tmp_path: Path, kind: str, says: str, dry_run: bool) -> None:
    state = bad_state(tmp_path, kind)
    line = expect_input_error(*SOURCE, "--as-of", IN_INCIDENT, "--state", str(state), *(["--dry-run"] if dry_run else []))
    assert f"--state {state}: " in line and says in line
    if kind != "a directory":  # the user's file is untouched
        assert (tmp_path / "notes.txt").read_text() == "my notes, not a database\n"


def test_the_root_directory_as_state_in_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.predguard.drift]\nstate = "/"\n')
    line = expect_input_error(*SOURCE, "--as-of", IN_INCIDENT, "--config", str(tmp_path / "pyproject.toml"))
    assert "state /: is a directory" in line


def test_a_dry_run_creates_no_directory_for_a_new_state_path(tmp_path: Path) -> None:
    from tests.monitors.test_drift_cli import cli

    code, _, err = cli(*SOURCE, "--as-of", IN_INCIDENT, "--state", str(tmp_path / "new" / "state.sqlite"), "--dry-run")
    assert code == 0, err
    assert not (tmp_path / "new").exists()


def test_table_for_a_csv_source_is_an_error_not_ignored() -> None:
    line = expect_input_error(*SOURCE, "--table", "graded", "--as-of", IN_INCIDENT)
    assert "--table: names a table inside a DuckDB database; a csv source has none" in line


def test_rows_without_a_system_are_counted_in_a_note(tmp_path: Path) -> None:
    from tests.monitors.test_drift_cli import json_run

    csv = tmp_path / "graded.csv"
    csv.write_text("game_date,system_id,is_correct\n2026-01-01,m,true\n2026-01-01,,true\n2026-01-02,,false\n2026-01-02,m,false\n")
    (system,) = json_run("--source", str(csv), "--as-of", "2026-01-04", "--dry-run")["systems"]
    assert system["system_id"] == "m" and system["n"] == 2
    assert "2 rows in the window have no system_id and were ignored" in system["notes"]


def test_the_bundled_season_without_as_of_says_to_pass_one() -> None:
    # The bundled season is over: the first obvious command must say what to do next.
    line = expect_input_error(*SOURCE)
    assert "no rows with a game date" in line and "pass --as-of with a day the source has graded predictions" in line


def test_an_alert_that_could_not_be_delivered_is_exit_75_not_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from tests.monitors.test_drift_cli import cli

    with socket.socket() as s:  # a port nothing listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "pyproject.toml").write_text('[tool.predguard.drift.slack]\nwebhook_env = "TEST_HOOK"\n')
    monkeypatch.setenv("TEST_HOOK", f"http://127.0.0.1:{port}/services/T/B/X")
    code, out, err = cli(*SOURCE, "--as-of", IN_INCIDENT, "--state", str(tmp_path / "state.sqlite"),
                         "--config", str(tmp_path / "pyproject.toml"))
    assert code == 75, (out, err)
    assert "kept in the outbox for the next run" in out
