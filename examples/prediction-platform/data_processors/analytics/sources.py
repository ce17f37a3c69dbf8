"""The platform's local data: the schedule and the box scores of final games (CSV files)."""
from __future__ import annotations

import csv
import os
from datetime import date
from typing import Any

from shared.config import load


def _rows(name: str) -> list[dict[str, Any]]:
    path = os.path.join(load().data_dir, name)
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def schedule(on: date | None = None, *, before: date | None = None) -> list[dict[str, Any]]:
    """Scheduled games, on one date or strictly before one."""
    rows = _rows("schedule.csv")
    if on is not None:
        rows = [r for r in rows if r["game_date"] == on.isoformat()]
    if before is not None:
        rows = [r for r in rows if r["game_date"] < before.isoformat()]
    return rows


def box_scores(on: date | None = None, *, before: date | None = None) -> list[dict[str, Any]]:
    """Player box-score lines of final games (a game has none until it is final)."""
    rows = _rows("box_scores.csv")
    if on is not None:
        rows = [r for r in rows if r["game_date"] == on.isoformat()]
    if before is not None:
        rows = [r for r in rows if r["game_date"] < before.isoformat()]
    return rows


def games_not_final(on: date) -> list[str]:
    return [g["game_id"] for g in schedule(on) if g["status"] != "final"]
