"""A deliberately small model: the home side's rating edge through a logistic curve."""
from __future__ import annotations

import math

from predictions.worker.data_loaders import GameFeatures

HOME_ADVANTAGE = 2.5


def predict_home_win(features: GameFeatures) -> float:
    edge = features.home_rating - features.away_rating + HOME_ADVANTAGE
    return 1.0 / (1.0 + math.exp(-edge / 6.0))
