"""The worker service: predicts every game of a date."""
from __future__ import annotations

from flask import Flask, jsonify

from .data_loaders import load_game_features
from .model import predict_home_win
from shared.logging_setup import setup

setup()
app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.post("/predict/<game_date>")
def predict(game_date: str):
    games = load_game_features(game_date)
    return jsonify(
        game_date=game_date,
        predictions=[{"game_id": g.game_id, "p_home_win": round(predict_home_win(g), 4)} for g in games],
    )


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080)
