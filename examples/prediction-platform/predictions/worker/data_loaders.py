"""Feature loading for predictions. Both the worker and (since the incident commit) the
coordinator import this module."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass

from shared.config import load


@dataclass(frozen=True)
class GameFeatures:
    game_id: str
    home_team: str
    away_team: str
    home_rating: float
    away_rating: float


def load_game_features(game_date: str) -> list[GameFeatures]:
    """The features of every game scheduled on `game_date` (YYYY-MM-DD)."""
    path = os.path.join(load().data_dir, "games.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            GameFeatures(row["game_id"], row["home_team"], row["away_team"], float(row["home_rating"]), float(row["away_rating"]))
            for row in csv.DictReader(handle)
            if row["game_date"] == game_date
        ]
