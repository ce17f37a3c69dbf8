"""Generate graded_predictions.csv: 20 weeks of graded predictions for two systems.

    python examples/prediction-platform/data/make_graded_predictions.py

Seeded, so the committed CSV is exactly what this script writes. One row per prediction:
game_date, system_id, is_correct (empty = not graded: a push or a void game).

- catboost_v8 replays the incident: 69.2% for 8 weeks, a linear fall to 48.3% over the
  next 5 weeks (crossing the 55% line in week 12), 4 weeks flat at 48.3%, then a retrained
  model back at 68% for the last 3 weeks (so the alert can resolve).
- ensemble_v1 is healthy: 62% with day-to-day variation (sd 0.03; one day's games share
  conditions, so a day's predictions are correlated).

About 60 graded predictions a day per system, and ~6% ungraded rows.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

SEED = 20260105
START = dt.date(2025, 10, 5)  # a Sunday
WEEKS = 20
OUT = Path(__file__).with_name("graded_predictions.csv")


def incident_rate(day_index: int) -> float:
    stable, fall, flat = 8 * 7, 5 * 7, 4 * 7
    if day_index < stable:
        return 0.692
    if day_index < stable + fall:
        return 0.692 + (0.483 - 0.692) * (day_index - stable + 1) / fall
    if day_index < stable + fall + flat:
        return 0.483
    return 0.68


def healthy_rate(day_index: int, rng: random.Random) -> float:
    return 0.62 + rng.gauss(0.0, 0.03)


def generate(seed: int = SEED) -> str:
    rng = random.Random(seed)
    lines = ["game_date,system_id,is_correct"]
    for day_index in range(WEEKS * 7):
        day = (START + dt.timedelta(days=day_index)).isoformat()
        for system, rate in (("catboost_v8", incident_rate(day_index)), ("ensemble_v1", healthy_rate(day_index, rng))):
            for _ in range(rng.randint(56, 72)):
                if rng.random() < 0.06:
                    lines.append(f"{day},{system},")
                else:
                    lines.append(f"{day},{system},{'true' if rng.random() < rate else 'false'}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(generate(), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
