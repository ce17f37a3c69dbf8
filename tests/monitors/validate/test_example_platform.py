"""The example platform's embedded data (DuckDB over its CSVs), as the issue asks to show it:
a pre-game run on a game day, a post-game run with grading missing, a renamed column."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.monitors.validate.helpers import (
    GAME_DAY,
    POST_GAME_NOW,
    PRE_GAME_NOW,
    copy_example,
    rewrite_csv,
    run,
    run_json,
    statuses,
)

ALL_CHECKS = {
    "predictions_loaded", "predictions_fresh", "every_game_predicted", "prediction_ids_unique", "lines_present",
    "prediction_error_rate", "grading_coverage", "grades_fresh", "phase3_complete",
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def test_pre_game_on_a_game_day_grading_is_not_applicable_and_all_is_ok(config: Path) -> None:
    code, report = run_json("--config", str(config), "--date", GAME_DAY, "--now", PRE_GAME_NOW)
    assert code == 0
    assert report["mode"] == "pre_game"
    assert report["mode_reason"].startswith("auto: 3 of 3 games on 2026-01-30 not final yet")
    found = statuses(report)
    assert set(found) == ALL_CHECKS
    assert found["grading_coverage"] == "not_applicable"
    assert {s for name, s in found.items() if name != "grading_coverage"} == {"ok"}
    assert report["overall"] == "ok"
    phase = next(c for c in report["checks"] if c["name"] == "phase3_complete")
    assert phase["value"] == 1.0 and "3 skipped same-day (expected before the games)" in phase["evidence"]
    assert report["notifications"] == []  # nothing to post


def test_post_game_with_grading_missing_is_an_error_and_would_alert(config: Path) -> None:
    code, report = run_json("--config", str(config), "--date", GAME_DAY, "--now", POST_GAME_NOW, "--dry-run")
    assert code == 1
    assert report["mode"] == "post_game"
    found = statuses(report)
    assert found["grading_coverage"] == "error"
    coverage = next(c for c in report["checks"] if c["name"] == "grading_coverage")
    assert coverage["value"] == 0.0
    assert coverage["evidence"] == "0 of 24 predictions rows matched in prediction_grades within 36 h"
    # Same-day skips no longer count after the games: the box-score processors must have re-run.
    assert found["phase3_complete"] == "error"
    assert found["grades_fresh"] == "warn"  # the newest grade is from the morning before: 28.8 h
    assert report["overall"] == "error"
    assert [(n["kind"], n["sent"]) for n in report["notifications"]] == [("validation", None)]


def test_the_mode_can_be_forced(config: Path) -> None:
    _, forced = run_json("--config", str(config), "--date", GAME_DAY, "--now", PRE_GAME_NOW, "--mode", "post_game", "--dry-run")
    assert forced["mode"] == "post_game" and forced["mode_reason"] == "--mode post_game"
    assert statuses(forced)["grading_coverage"] == "error"


def test_a_renamed_column_degrades_exactly_the_checks_reading_it(config: Path) -> None:
    rewrite_csv(config.parent / "data" / "prediction_grades.csv", rename={"graded_at": "grade_time"})
    code, report = run_json("--config", str(config), "--date", GAME_DAY, "--now", PRE_GAME_NOW)
    found = statuses(report)
    degraded = {name for name, status in found.items() if status == "degraded"}
    assert degraded == {"grading_coverage", "grades_fresh"}
    reasons = {c["name"]: c["reason"] for c in report["checks"] if c["status"] == "degraded"}
    assert reasons["grades_fresh"] == "column graded_at not in prediction_grades (it has: prediction_id, game_date, is_correct, grade_time)"
    assert {found[name] for name in ALL_CHECKS - degraded} == {"ok"}  # every other check still ran
    assert report["queries"] == 2  # the schema read, then one batch for the rest
    assert report["overall"] == "degraded" and code == 0  # blind, not failed: no error


def test_a_missing_table_file_degrades_its_checks(config: Path) -> None:
    (config.parent / "data" / "run_markers.csv").unlink()
    _, report = run_json("--config", str(config), "--date", GAME_DAY, "--now", PRE_GAME_NOW)
    check = next(c for c in report["checks"] if c["name"] == "phase3_complete")
    assert check["status"] == "degraded" and check["reason"] == "table run_markers: file data/run_markers.csv not found"
    assert sum(c["status"] == "degraded" for c in report["checks"]) == 1


def test_grades_arriving_after_the_games_turn_coverage_ok(config: Path) -> None:
    data = config.parent / "data"
    with (data / "predictions.csv").open(newline="") as handle:
        ids = [r["prediction_id"] for r in csv.DictReader(handle) if r["game_date"] == GAME_DAY]
    late = ids[:2]  # two graded 40 h after being made: outside the 36 h limit
    rows = [{"prediction_id": i, "game_date": GAME_DAY, "is_correct": "true", "graded_at": "2026-01-31 08:00:00"} for i in ids if i not in late]
    rows += [{"prediction_id": i, "game_date": GAME_DAY, "is_correct": "true", "graded_at": "2026-02-01 07:00:00"} for i in late]
    rewrite_csv(data / "prediction_grades.csv", add=rows)
    _, report = run_json("--config", str(config), "--date", GAME_DAY, "--now", "2026-02-01T14:00:00Z", "--dry-run")
    coverage = next(c for c in report["checks"] if c["name"] == "grading_coverage")
    assert coverage["value"] == pytest.approx(22 / 24)
    assert coverage["status"] == "error"  # 91.7% < mostly 98%
    assert coverage["evidence"] == "22 of 24 predictions rows matched in prediction_grades within 36 h"


def test_text_report_lists_every_check_with_value_threshold_and_evidence(config: Path) -> None:
    code, text = run("--config", str(config), "--date", GAME_DAY, "--now", POST_GAME_NOW, "--dry-run")
    assert code == 1
    lines = text.splitlines()
    assert lines[0] == "predguard validate — 2026-01-30, post_game (auto: 2026-01-30 is over, at 2026-01-31 09:00 America/New_York)"
    assert lines[1] == "duckdb (embedded) · 9 checks · 2 warehouse round trips"
    coverage = next(line for line in lines if "grading_coverage" in line).split()
    assert coverage[:5] == ["error", "grading_coverage", "0%", "error", "<"]
    assert "overall: error (2 error, 6 ok, 1 warn)" in lines
    assert "validation: would post to the alert channel (dry run)" in lines
