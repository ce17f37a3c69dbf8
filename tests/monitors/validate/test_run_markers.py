"""Phase completion read from the markers the processors really write: their embedded SQLite
store (`sqlite:` table location), through the table shape in predguard.run_markers. The test may
use processors to write; the monitors package itself never imports them (import contracts)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from predguard.processors.markers import RunMarker
from predguard.processors.stores.sqlite import SqliteStore
from tests.monitors.validate.helpers import run_json

DAY = dt.date(2026, 1, 30)
PHASE = ["player_game_summary", "team_offense_game_summary", "upcoming_team_game_context", "upcoming_player_game_context"]


def marker(processor: str, outcome: str, *, mode: str = "same_day", expected_skip: bool = False, minute: int = 0) -> RunMarker:
    return RunMarker(
        run_id=f"{processor}-{mode}-{minute}", processor=processor, target_date=DAY, mode=mode, outcome=outcome,
        reason="no_data_same_day" if outcome == "skipped" else "", phase=3, expected_skip=expected_skip,
        recorded_at=dt.datetime(2026, 1, 30, 16, minute, tzinfo=dt.timezone.utc),
    )


def project(tmp: Path) -> Path:
    (tmp / "pyproject.toml").write_text(
        f"""
[tool.predguard.phases]
3 = {PHASE!r}
[tool.predguard.validate.tables]
run_markers = "sqlite:.predguard/runs.sqlite3"
[[tool.predguard.validate.checks]]
name = "phase3_complete"
kind = "phase_completion"
phase = 3
""",
        encoding="utf-8",
    )
    return tmp / "pyproject.toml"


def test_phase_completion_from_the_processors_sqlite_store(tmp_path: Path) -> None:
    config = project(tmp_path)
    store = SqliteStore(tmp_path / ".predguard" / "runs.sqlite3")
    (tmp_path / ".predguard").mkdir()
    store.append_markers([
        marker("player_game_summary", "skipped", expected_skip=True),
        marker("team_offense_game_summary", "failed_transient", minute=1),
        marker("team_offense_game_summary", "skipped", expected_skip=True, minute=2),  # the latest run decides
        marker("upcoming_team_game_context", "success"),
        # upcoming_player_game_context never ran
    ])
    store.close()
    code, pre = run_json("--config", str(config), "--date", "2026-01-30", "--mode", "pre_game", "--dry-run")
    (check,) = pre["checks"]
    assert check["value"] == 0.75 and check["status"] == "error" and code == 1
    assert check["evidence"] == "phase 3: 3/4 done; 2 skipped same-day (expected before the games); never ran: upcoming_player_game_context"

    store = SqliteStore(tmp_path / ".predguard" / "runs.sqlite3")
    store.append_markers([
        marker("player_game_summary", "success", mode="post_game", minute=30),
        marker("upcoming_player_game_context", "failed_permanent", mode="post_game", minute=31),
    ])
    store.close()
    _, post = run_json("--config", str(config), "--date", "2026-01-30", "--mode", "post_game", "--dry-run")
    (check,) = post["checks"]
    assert check["value"] == 0.5  # player_game_summary and upcoming_team_game_context; the same-day skip no longer counts
    assert check["evidence"] == (
        "phase 3: 2/4 done; 1 skipped same-day (not counted after the games); failed or unexpected skip: upcoming_player_game_context"
    )


def test_a_missing_store_file_degrades_the_check(tmp_path: Path) -> None:
    config = project(tmp_path)
    _, report = run_json("--config", str(config), "--date", "2026-01-30", "--mode", "pre_game", "--dry-run")
    assert report["checks"][0]["status"] == "degraded"
    assert report["checks"][0]["reason"] == "table run_markers: file .predguard/runs.sqlite3 not found"
