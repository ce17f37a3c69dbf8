"""`predguard phase-status`: complete, incomplete, missing vs skipped; exit codes; bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from predguard.cli import main as cli_main
from predguard.errors import InputError
from predguard.processors.markers import RunMarker
from predguard.processors.phase_status import main
from predguard.processors.stores.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[2]
DAY = date(2026, 1, 30)
T0 = datetime(2026, 1, 30, 17, 0, tzinfo=timezone.utc)
FIVE = ["player_game_summary", "team_offense", "team_defense", "upcoming_team", "upcoming_player"]


def add(store: SqliteStore, processor: str, outcome: str, reason: str, *, mode: str = "same_day", expected: bool = False,
        minute: int = 0, day: date = DAY, error: str | None = None) -> None:
    store.append_markers([RunMarker(run_id=f"{processor}-{minute}-{day}", processor=processor, target_date=day, mode=mode,
                                    outcome=outcome, reason=reason, phase=3, expected_skip=expected, error=error,
                                    recorded_at=T0 + timedelta(minutes=minute))])


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path, SqliteStore]:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.predguard.phases]\n3 = " + json.dumps(FIVE) + "\n")
    store_file = tmp_path / "runs.sqlite3"
    return config, store_file, SqliteStore(store_file)


def run(capsys: pytest.CaptureFixture[str], config: Path, store: Path, *extra: str, date_: str = "2026-01-30",
        as_of: str = "2026-01-30") -> tuple[int, str]:
    code = main(["--phase", "3", "--date", date_, "--store", str(store), "--config", str(config), "--as-of", as_of, *extra])
    return code, capsys.readouterr().out


def test_complete_with_expected_same_day_skips(project, capsys) -> None:
    config, store_file, store = project
    for name in FIVE[:3]:
        add(store, name, "skipped", "no_data_same_day", expected=True)
    for name in FIVE[3:]:
        add(store, name, "success", "loaded 6 rows")
    code, out = run(capsys, config, store_file)
    assert code == 0
    assert out.splitlines()[0] == "phase 3 on 2026-01-30: complete 5/5 (3 skipped: no_data_same_day)"
    assert out.splitlines()[1:] == [
        "  player_game_summary: skipped (same_day: no_data_same_day)",
        "  team_offense: skipped (same_day: no_data_same_day)",
        "  team_defense: skipped (same_day: no_data_same_day)",
        "  upcoming_team: complete (same_day: loaded 6 rows)",
        "  upcoming_player: complete (same_day: loaded 6 rows)",
    ]


def test_after_the_league_day_same_day_skips_are_owed_a_post_game_run(project, capsys) -> None:
    config, store_file, store = project
    for name in FIVE[:3]:
        add(store, name, "skipped", "no_data_same_day", expected=True)
    for name in FIVE[3:]:
        add(store, name, "success", "loaded 6 rows")
    code, out = run(capsys, config, store_file, as_of="2026-01-31")
    assert code == 1
    assert out.splitlines() == [
        "phase 3 on 2026-01-30: complete (pre-game) 2/5 (post-game run owed by 3: player_game_summary, team_offense, team_defense)",
        "  player_game_summary: skipped before the games (same_day: no_data_same_day); post-game run owed",
        "  team_offense: skipped before the games (same_day: no_data_same_day); post-game run owed",
        "  team_defense: skipped before the games (same_day: no_data_same_day); post-game run owed",
        "  upcoming_team: complete (same_day: loaded 6 rows)",
        "  upcoming_player: complete (same_day: loaded 6 rows)",
    ]
    code, out = run(capsys, config, store_file, "--format", "json", as_of="2026-01-31")
    report = json.loads(out)
    assert (report["complete"], report["state"], report["post_game_owed"]) == (False, "complete (pre-game)", FIVE[:3])
    # The post-game runs happen: the phase is complete for real.
    for name in FIVE[:3]:
        add(store, name, "success", "loaded 12 rows", mode="post_game", minute=60)
    code, out = run(capsys, config, store_file, as_of="2026-01-31")
    assert (code, out.splitlines()[0]) == (0, "phase 3 on 2026-01-30: complete 5/5")


def test_a_post_game_run_owed_next_to_a_failure_reads_incomplete(project, capsys) -> None:
    config, store_file, store = project
    add(store, FIVE[0], "skipped", "no_data_same_day", expected=True)
    add(store, FIVE[1], "failed_permanent", "KeyError", error="KeyError: 'x'")
    for name in FIVE[2:]:
        add(store, name, "success", "ok")
    code, out = run(capsys, config, store_file, as_of="2026-02-03")
    assert code == 1
    assert out.splitlines()[0] == ("phase 3 on 2026-01-30: incomplete 3/5 (post-game run owed by 1: player_game_summary; "
                                   "1 failed: team_offense)")


def test_the_incident_reads_incomplete_and_names_each_problem(project, capsys) -> None:
    config, store_file, store = project
    add(store, FIVE[0], "failed_permanent", "ValueError", error="ValueError: No data extracted")
    add(store, FIVE[1], "failed_transient", "TimeoutError", error="TimeoutError: slow")
    add(store, FIVE[2], "success", "loaded 6 rows")
    add(store, FIVE[3], "skipped", "no_data_same_day", mode="post_game", expected=False)
    code, out = run(capsys, config, store_file)
    assert code == 1
    assert out.splitlines()[0] == (
        "phase 3 on 2026-01-30: incomplete 1/5 (1 failed: player_game_summary; 1 retrying: team_offense; "
        "1 unexpected skip: upcoming_team; 1 missing: upcoming_player)"
    )
    assert out.splitlines()[1:] == [
        "  player_game_summary: failed (failed_permanent in same_day: ValueError: No data extracted)",
        "  team_offense: retrying (failed_transient in same_day: TimeoutError: slow)",
        "  team_defense: complete (same_day: loaded 6 rows)",
        "  upcoming_team: unexpected_skip (skipped in post_game: no_data_same_day)",
        "  upcoming_player: missing",
    ]


def test_the_latest_run_decides(project, capsys) -> None:
    config, store_file, store = project
    add(store, FIVE[0], "failed_transient", "TimeoutError", minute=1)
    add(store, FIVE[0], "success", "loaded 12 rows", minute=2)  # the redelivery succeeded
    for name in FIVE[1:]:
        add(store, name, "success", "ok")
    add(store, FIVE[1], "success", "ok", day=date(2026, 1, 29))  # another date does not count
    code, out = run(capsys, config, store_file, "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert (report["complete"], report["done"], report["total"], report["date"]) == (True, 5, 5, "2026-01-30")
    first = report["processors"][0]
    assert (first["processor"], first["status"], first["outcome"], first["runs"]) == ("player_game_summary", "complete", "success", 2)


def test_without_a_phase_table_the_store_says_who_is_in_the_phase(tmp_path: Path, capsys) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.predguard]\n")
    store = SqliteStore(tmp_path / "runs.sqlite3")
    add(store, "a", "success", "ok")
    add(store, "b", "skipped", "no_data_same_day", expected=True, day=date(2026, 1, 29))
    code, out = run(capsys, config, tmp_path / "runs.sqlite3")
    assert code == 1
    assert out.splitlines()[0] == "phase 3 on 2026-01-30: incomplete 1/2 (1 missing: b)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phase", "three", "--date", "2026-01-30"], "--phase: 'three' is not a phase number"),
        (["--phase", "3", "--date", "30/01/2026"], "--date: '30/01/2026' is not a date in YYYY-MM-DD format"),
        (["--phase", "3", "--date", "2026-02-30"], "--date: '2026-02-30' is not a date in YYYY-MM-DD format"),
        (["--phase", "3"], "arguments: the following arguments are required: --date"),
        (["--phase", "3", "--date", "2026-01-30", "--format", "xml"], "arguments: argument --format: invalid choice: 'xml'"),
        (["--phase", "4", "--date", "2026-01-30"], "no processors known for phase 4: list them in [tool.predguard.phases]"),
        (["--phase", "3", "--date", "2026-01-30", "--store", "redis://x"], "--store: unknown store 'redis://x'"),
        (["--phase", "3", "--date", "2026-01-30", "--as-of", "tomorrow"], "--as-of: 'tomorrow' is not a date in YYYY-MM-DD format"),
        (["--phase", "3", "--date", "2026-01-30", "--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project, capsys, args: list[str], message: str) -> None:
    config, store_file, store = project
    add(store, "a", "success", "ok")
    defaults = ["--config", str(config)] + ([] if "--store" in args else ["--store", str(store_file)])
    code = cli_main(["phase-status", *args, *defaults])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err and err.startswith("predguard phase-status: error: ")


def test_a_store_file_that_does_not_exist_is_bad_input_not_an_empty_phase(project, tmp_path: Path) -> None:
    config, _, _ = project
    with pytest.raises(InputError, match="no run-marker store at .*nowhere.sqlite3"):
        main(["--phase", "3", "--date", "2026-01-30", "--store", str(tmp_path / "nowhere.sqlite3"), "--config", str(config)])


def test_a_bad_phase_table_is_bad_input(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.predguard.phases]\n3 = "player_game_summary"\n')
    SqliteStore(tmp_path / "runs.sqlite3").append_markers([])
    with pytest.raises(InputError, match=r"\[tool.predguard.phases\] 3 must be a list of processor names"):
        main(["--phase", "3", "--date", "2026-01-30", "--store", str(tmp_path / "runs.sqlite3"), "--config", str(config)])


def test_a_phase_key_that_is_not_a_number_is_bad_input_not_ignored(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.predguard.phases]\nthree = ["a"]\n3 = ["player_game_summary"]\n')
    SqliteStore(tmp_path / "runs.sqlite3").append_markers([])
    with pytest.raises(InputError, match=r"\[tool.predguard.phases\] key 'three' is not a phase number"):
        main(["--phase", "3", "--date", "2026-01-30", "--store", str(tmp_path / "runs.sqlite3"), "--config", str(config)])


def test_runnable_as_a_module(project) -> None:
    config, store_file, store = project
    for name in FIVE:
        add(store, name, "skipped", "no_data_same_day", expected=True)
    done = subprocess.run(
        [sys.executable, "-m", "predguard.processors.phase_status", "--phase", "3", "--date", "2026-01-30", "--store", str(store_file),
         "--config", str(config)], cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    # Read today (no --as-of): the day is over and every processor only skipped before its games.
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0].startswith("phase 3 on 2026-01-30: complete (pre-game) 0/5 (post-game run owed by 5: ")
