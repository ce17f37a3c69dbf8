"""Generate the tables `predguard validate` checks on the example platform (see pyproject.toml).

    python examples/prediction-platform/data/make_validation_tables.py

Deterministic: the committed CSVs are exactly what this script writes. The story, around the
game day 2026-01-30 of schedule.csv (its games still `scheduled`):

- predictions.csv: 8 predictions per game (2 systems x 4 players) for every game from
  2026-01-26 to 2026-01-30, made at 15:00 UTC on the game day; one missing line on the 28th.
- prediction_grades.csv: the grades of the final games (26th to 29th), made the next morning;
  the 30th's games are not played, so none of its predictions is graded.
- predictions_errors.csv: rows the loader rejected (the dead-letter table), a few per day.
- run_markers.csv: phase 3's run markers as the processors record them (columns of
  predguard.run_markers): the 29th done after the games; on the 30th, the context processors
  succeeded and the box-score processors skipped as expected on the same day.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).parent
DAYS = [dt.date(2026, 1, 26) + dt.timedelta(days=i) for i in range(5)]
SYSTEMS = ("catboost_v8", "ensemble_v1")
PHASE3_BOX = ("player_game_summary", "team_offense_game_summary", "team_defense_game_summary")
PHASE3_CONTEXT = ("upcoming_team_game_context", "upcoming_player_game_context")
MARKER_COLUMNS = (
    "run_id", "processor", "target_date", "mode", "outcome", "reason", "phase", "expected_skip", "message_id",
    "attempt", "duration_seconds", "revision", "rows_extracted", "rows_loaded", "error", "recorded_at",
)


def games() -> list[dict[str, str]]:
    with (HERE / "schedule.csv").open(newline="") as handle:
        return [g for g in csv.DictReader(handle) if dt.date.fromisoformat(g["game_date"]) in DAYS]


def write(name: str, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    with (HERE / name).open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def main() -> None:
    predictions, grades = [], []
    for g in games():
        day = dt.date.fromisoformat(g["game_date"])
        made = f"{day} 15:00:00"
        for s, system in enumerate(SYSTEMS):
            for p in range(4):
                team = g["home_team"] if p % 2 == 0 else g["away_team"]
                pid = f"{g['game_id']}-{system}-{p}"
                line = "" if (day.day == 28 and s == 0 and p == 0 and g["game_id"].endswith("97")) else f"{18.5 + p * 2.5:.1f}"
                predictions.append((pid, g["game_id"], day, system, f"{team} player {p}", line, "over" if (p + s) % 2 else "under", made))
                if g["status"] == "final":
                    graded = f"{day + dt.timedelta(days=1)} 09:{10 + p:02d}:00"
                    grades.append((pid, day, "true" if (p + s + day.day) % 3 else "false", graded))
    write("predictions.csv", ("prediction_id", "game_id", "game_date", "system_id", "player", "line", "pick", "created_at"), predictions)
    write("prediction_grades.csv", ("prediction_id", "game_date", "is_correct", "graded_at"), grades)
    errors = [
        (f"err-{day:%m%d}-{i}", day, "line missing from the odds feed", f"{day} 15:0{i}:00")
        for day in DAYS
        for i in range(1 if day.day % 2 else 0)
    ]
    write("predictions_errors.csv", ("error_id", "game_date", "error", "received_at"), errors)
    markers = []
    for day, mode in ((dt.date(2026, 1, 29), "post_game"), (dt.date(2026, 1, 30), "same_day")):
        for i, processor in enumerate(PHASE3_BOX + PHASE3_CONTEXT):
            skipped = mode == "same_day" and processor in PHASE3_BOX
            outcome, reason, rows = ("skipped", "no_data_same_day", 0) if skipped else ("success", "", 24)
            recorded = f"{day + dt.timedelta(days=0 if mode == 'same_day' else 1)} {'16' if mode == 'same_day' else '08'}:{i:02d}:00"
            markers.append((
                f"{processor}-{day}-{mode}", processor, day, mode, outcome, reason, 3, "true" if skipped else "false",
                f"msg-{day:%m%d}-{i}", 1, 1.5, "r42", rows, rows, "", recorded,
            ))
    write("run_markers.csv", MARKER_COLUMNS, markers)


if __name__ == "__main__":
    main()
