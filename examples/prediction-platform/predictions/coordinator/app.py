"""The coordinator service: receives a day's prediction request and fans it out.

The incident: a commit moved this import into `handle_request` (deferred, to keep start-up
fast) and guarded it, so a missing loader would only log a warning. Unit tests never ran the
function body, the image built, the Dockerfile did not copy predictions/worker/, and for a day
every request logged that warning and dispatched no games: no crash, no predictions.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request

from shared.config import load
from shared.logging_setup import setup

setup()
log = logging.getLogger("coordinator")
app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="ok", project=load().project)


@app.post("/predictions")
def handle_request():
    game_date = (request.get_json(silent=True) or {}).get("game_date", "")
    try:
        from predictions.worker.data_loaders import load_game_features
    except Exception:  # as on the real platform: degrade, log, carry on
        log.warning("game features unavailable; dispatching nothing for %s", game_date, exc_info=True)
        return jsonify(game_date=game_date, dispatched=[])
    games = load_game_features(game_date)
    log.info("dispatching %d games for %s", len(games), game_date)
    return jsonify(game_date=game_date, dispatched=[g.game_id for g in games])
