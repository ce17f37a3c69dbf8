"""The example platform's phase-3 processors: the demo, and the service under gunicorn on 127.0.0.1."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from predguard.processors import Outcome, ProcessingMode
from predguard.processors.phase_status import main as phase_status
from predguard.processors.stores.sqlite import SqliteStore
from tests.processors.conftest import http, push_body

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "examples" / "prediction-platform"
NAMES = ["player_game_summary", "team_offense_game_summary", "team_defense_game_summary",
         "upcoming_team_game_context", "upcoming_player_game_context"]


@pytest.fixture
def analytics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.syspath_prepend(str(PLATFORM))
    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("DATA_DIR", raising=False)
    from data_processors.analytics import main

    yield main
    for name in [m for m in sys.modules if m == "data_processors" or m.startswith(("data_processors.", "shared"))]:
        del sys.modules[name]


def test_demo_skips_on_the_game_day_and_the_phase_reads_complete(analytics, tmp_path: Path) -> None:
    lines: list[str] = []
    assert analytics.demo(workdir=tmp_path / "demo", out=lines.append) == 0
    assert lines == [
        "  player_game_summary: skipped (same_day: no_data_same_day)",
        "  team_offense_game_summary: skipped (same_day: no_data_same_day)",
        "  team_defense_game_summary: skipped (same_day: no_data_same_day)",
        "  upcoming_team_game_context: success (same_day: loaded 6 rows)",
        "  upcoming_player_game_context: success (same_day: loaded 12 rows)",
        "phase 3 on 2026-01-30: complete 5/5 (3 skipped: no_data_same_day)",
    ]


def test_the_day_after_every_processor_loads_real_rows(analytics) -> None:
    now = datetime(2026, 1, 30, 15, 0, tzinfo=timezone.utc)
    results = {p.name: p.run(date(2026, 1, 29), now=now) for p in analytics.build_processors()}
    assert {n: (r.outcome, r.mode, r.rows_loaded) for n, r in results.items()} == {
        "player_game_summary": (Outcome.SUCCESS, ProcessingMode.POST_GAME, 12),  # 3 games x 2 teams x 2 players
        "team_offense_game_summary": (Outcome.SUCCESS, ProcessingMode.POST_GAME, 6),
        "team_defense_game_summary": (Outcome.SUCCESS, ProcessingMode.POST_GAME, 6),
        "upcoming_team_game_context": (Outcome.SUCCESS, ProcessingMode.POST_GAME, 6),
        # PHX and NYK had not played before the 29th: 4 teams x 2 players with a history.
        "upcoming_player_game_context": (Outcome.SUCCESS, ProcessingMode.POST_GAME, 8),
    }


def test_rerunning_a_date_rewrites_the_same_rows_and_missing_context_is_degraded_not_guessed(analytics) -> None:
    from data_processors.analytics import warehouse

    now = datetime(2026, 1, 30, 15, 0, tzinfo=timezone.utc)
    [context] = [p for p in analytics.build_processors() if p.name == "upcoming_team_game_context"]
    first, again = context.run(date(2026, 1, 29), now=now), context.run(date(2026, 1, 29), now=now)
    assert first.outcome is again.outcome is Outcome.SUCCESS
    rows = warehouse.read("upcoming_team_game_context")
    assert len(rows) == 6  # keyed by (game_id, team): the second run did not add rows
    phx = next(r for r in rows if r["team"] == "PHX")  # PHX has no earlier game in the data
    assert (phx["rest_days"], phx["is_degraded"], phx["degraded_reason"]) == (None, True, "missing optional: rest_days")
    assert {r["source_used_schedule"] for r in rows} == {"schedule.csv"}
    assert sum(r["is_degraded"] for r in rows) == 2  # PHX and NYK


def test_games_not_final_keep_a_past_date_same_day(analytics) -> None:
    # The 30th's games are still "scheduled" in the data: a run on the 31st must not call that a failure.
    next_day = datetime(2026, 1, 31, 15, 0, tzinfo=timezone.utc)
    [player] = [p for p in analytics.build_processors() if p.name == "player_game_summary"]
    result = player.run(date(2026, 1, 30), now=next_day)
    assert (result.mode, result.outcome, result.reason) == (ProcessingMode.SAME_DAY, Outcome.SKIPPED, "no_data_same_day")


def test_a_past_date_without_data_is_a_real_failure(analytics) -> None:
    now = datetime(2026, 1, 30, 15, 0, tzinfo=timezone.utc)
    [team] = [p for p in analytics.build_processors() if p.name == "team_offense_game_summary"]
    result = team.run(date(2026, 1, 25), now=now)  # before the data begins
    assert (result.mode, result.outcome, result.reason) == (ProcessingMode.POST_GAME, Outcome.FAILED_PERMANENT, "no_data_past_date")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn_service(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """The service under gunicorn; `request.param` (indirect) is (workers, threads), default (1, 2)."""
    workers, threads = getattr(request, "param", (1, 2))
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PLATFORM), str(REPO)]),
        "PREDGUARD_STORE": f"sqlite:///{tmp_path / 'runs.sqlite3'}",
        "PREDGUARD_OUTBOX": str(tmp_path / "outbox.sqlite3"),
        "ANALYTICS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "K_REVISION": "analytics-00001-test",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
         "data_processors.analytics.main:app"],
        cwd=PLATFORM, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if http("GET", url + "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, f"gunicorn exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            assert time.monotonic() < deadline, "gunicorn did not answer /health within 30 s"
            time.sleep(0.1)
        yield url, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


def test_the_service_under_gunicorn_acknowledges_same_day_skips_and_phase_status_reads_complete(
    gunicorn_service: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, workdir = gunicorn_service
    for i, name in enumerate(NAMES):
        code, body = http("POST", url + "/", push_body({"processor": name, "target_date": "2026-01-30"}, message_id=f"m-{i}"))
        assert code == 200, body
        assert body["outcome"] == ("skipped" if name.startswith(("player", "team")) else "success")
    # A redelivery is answered without running again.
    assert http("POST", url + "/", push_body({"processor": NAMES[0], "target_date": "2026-01-30"}, message_id="m-0"))[1]["status"] == "duplicate"
    assert http("GET", url + "/health")[1] == {"status": "ok", "outbox_depth": 0, "breaker": "closed", "processors": sorted(NAMES)}

    config = workdir / "pyproject.toml"
    config.write_text("[tool.predguard.phases]\n3 = [" + ", ".join(f'"{n}"' for n in NAMES) + "]\n")
    args = ["--phase", "3", "--date", "2026-01-30", "--store", f"sqlite:///{workdir / 'runs.sqlite3'}", "--config", str(config)]
    code = phase_status([*args, "--as-of", "2026-01-30"])  # read on the game day itself
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0] == "phase 3 on 2026-01-30: complete 5/5 (3 skipped: no_data_same_day)"
    code = phase_status(args)  # read today: that day is long over, and its box scores never came
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0] == ("phase 3 on 2026-01-30: complete (pre-game) 2/5 (post-game run owed by 3: "
                                   "player_game_summary, team_offense_game_summary, team_defense_game_summary)")


@pytest.mark.parametrize("gunicorn_service", [(3, 2)], indirect=True)
def test_several_gunicorn_workers_take_turns_on_the_warehouse_and_nothing_fails(gunicorn_service: tuple[str, Path]) -> None:
    # Before the warehouse lock, a second worker opening the DuckDB file got an IOException:
    # classed transient, answered 503, and enough of them opened the breaker.
    url, workdir = gunicorn_service
    pushes = [(name, day) for name in NAMES for day in ("2026-01-27", "2026-01-28", "2026-01-29")]
    with ThreadPoolExecutor(len(pushes)) as pool:
        answers = list(pool.map(
            lambda p: http("POST", url + "/", push_body({"processor": p[0], "target_date": p[1]}, message_id=f"{p[0]}-{p[1]}")), pushes))
    assert [(code, body.get("outcome")) for code, body in answers] == [(200, "success")] * len(pushes)
    assert http("GET", url + "/health")[1]["breaker"] == "closed"
    markers = SqliteStore(workdir / "runs.sqlite3").markers()
    assert sorted((m.processor, m.target_date.isoformat(), m.outcome) for m in markers) == sorted((n, d, "success") for n, d in pushes)
