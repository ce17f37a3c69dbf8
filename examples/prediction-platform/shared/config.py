"""Settings read from the environment, the way the services run on a serverless runtime."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    project: str
    dataset: str
    league_timezone: str
    data_dir: str


def load() -> Settings:
    return Settings(
        project=os.environ.get("GCP_PROJECT", "local"),
        dataset=os.environ.get("DATASET", "nba_predictions"),
        league_timezone=os.environ.get("LEAGUE_TZ", "America/New_York"),
        data_dir=os.environ.get("DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "data")),
    )
