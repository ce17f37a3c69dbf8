"""`predguard drift` end to end on local files: the demo incident, idempotence, dry runs,
delivery through the outbox to a local Slack, retraining, and every bad input."""
from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from predguard.monitors import drift
from predguard.errors import run_cli
from tests.monitors.drift_helpers import EXAMPLE_CSV, random_rows, write_rows
from tests.support.slack_server import TOKEN, Reply

REPO = Path(__file__).resolve().parents[2]
IN_INCIDENT = "2026-01-05"  # catboost_v8 crossed 55% around 2025-12-24 in the example data
CROSSING = dt.date(2025, 12, 24)


def cli(*argv: str) -> tuple[int, str, str]:
    """Run the command like the `predguard drift` dispatcher does; return (code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    stderr, sys.stderr = sys.stderr, err
    try:
        code = run_cli(lambda args: drift.main(args, out=out), list(argv), prog="predguard drift")
    finally:
        sys.stderr = stderr
    return code, out.getvalue(), err.getvalue()


def json_run(*argv: str) -> dict:
    code, out, err = cli(*argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in its own directory (the state goes to ./.predguard) with no Slack configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    return tmp_path


def pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


# --- the demo: the incident, rendered in the terminal with a chart ----------------------------


def test_demo_shows_the_breach_renders_the_message_and_writes_the_chart(in_tmp: Path) -> None:
    code, out, err = cli("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT)
    assert code == 0, err
    assert "catboost_v8: BREACH since" in out
    assert "ensemble_v1: OK" in out
    assert "[BREACH] catboost_v8" in out  # the terminal notifier's message
    charts = list((in_tmp / ".predguard" / "charts").glob("*.png"))
    assert [c.name for c in charts] == [f"breach_catboost_v8-breach-{IN_INCIDENT}.png"]
    assert charts[0].read_bytes().startswith(b"\x89PNG")


def test_json_output_has_the_documented_fields() -> None:
    result = json_run("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT, "--dry-run")
    assert set(result) == {"as_of", "source", "window", "bytes_processed", "rows_after_as_of", "dry_run", "systems", "notifications", "retrain", "pending"}
    assert result["bytes_processed"] is None  # a local file: no BigQuery estimate
    assert result["rows_after_as_of"] > 0  # the example runs past the as-of day
    by_system = {s["system_id"]: s for s in result["systems"]}
    breach = by_system["catboost_v8"]
    assert breach["status"] == "breach" and "breach" in breach["firing"]
    assert breach["hit_rate"] < 0.55 and breach["hit_rate_low"] < breach["hit_rate"] < breach["hit_rate_high"]
    assert breach["statistic"] >= breach["threshold"]
    assert dt.date.fromisoformat(breach["breach_since"]) >= CROSSING
    assert by_system["ensemble_v1"]["status"] == "ok" and by_system["ensemble_v1"]["firing"] == []
    assert result["notifications"] == [
        {"key": f"breach:catboost_v8:breach:{IN_INCIDENT}", "system_id": "catboost_v8", "kind": "breach", "sent": None, "error": None, "retryable": False}
    ]


# --- idempotence, dry runs, the monitoring table -------------------------------------------


def test_running_twice_for_the_same_day_sends_nothing_the_second_time(in_tmp: Path) -> None:
    first = json_run("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT)
    second = json_run("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT)
    assert [n["kind"] for n in first["notifications"]] == ["breach"] and first["notifications"][0]["sent"] is True
    assert second["notifications"] == []
    db = sqlite3.connect(in_tmp / ".predguard" / "drift-state.sqlite")
    runs = db.execute("SELECT run_date, system_id, status FROM drift_runs ORDER BY system_id").fetchall()
    assert runs == [(IN_INCIDENT, "catboost_v8", "breach"), (IN_INCIDENT, "ensemble_v1", "ok")]  # upserted, not doubled


def test_the_next_days_are_quiet_until_the_reminder_then_resolved(in_tmp: Path) -> None:
    start = dt.date.fromisoformat(IN_INCIDENT)
    kinds = {}
    for offset in range(0, 8):
        day = (start + dt.timedelta(days=offset)).isoformat()
        kinds[offset] = [n["kind"] for n in json_run("--source", str(EXAMPLE_CSV), "--as-of", day)["notifications"]]
    assert kinds == {0: ["breach"], 1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: ["reminder"]}
    # the retrained model in the example data is back at 68% from 2026-02-01
    late = json_run("--source", str(EXAMPLE_CSV), "--as-of", "2026-02-21")
    assert [n["kind"] for n in late["notifications"]] == ["resolved"]
    db = sqlite3.connect(in_tmp / ".predguard" / "drift-state.sqlite")
    assert db.execute("SELECT COUNT(*) FROM drift_runs").fetchone() == (18,)  # 9 runs x 2 systems


def test_a_dry_run_persists_nothing_and_sends_nothing(in_tmp: Path) -> None:
    code, out, _ = cli("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT, "--dry-run")
    assert code == 0
    assert "breach catboost_v8: would send" in out
    assert "[BREACH]" not in out  # no message rendered
    assert not (in_tmp / ".predguard").exists()
    # with state already stored, a dry run reads it (nothing new to say) and changes nothing
    json_run("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT)
    state = in_tmp / ".predguard" / "drift-state.sqlite"
    before = state.read_bytes()
    later = json_run("--source", str(EXAMPLE_CSV), "--as-of", "2026-01-12", "--dry-run")
    assert [n["kind"] for n in later["notifications"]] == ["reminder"]
    assert state.read_bytes() == before


def test_state_path_option(in_tmp: Path) -> None:
    json_run("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT, "--state", "elsewhere/s.sqlite")
    assert (in_tmp / "elsewhere" / "s.sqlite").is_file()
    assert not (in_tmp / ".predguard").exists()


def test_fail_on_breach_exits_1_and_the_default_exits_0() -> None:
    assert cli("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT, "--dry-run")[0] == 0
    assert cli("--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT, "--dry-run", "--fail-on", "breach")[0] == 1
    assert cli("--source", str(EXAMPLE_CSV), "--as-of", "2025-11-20", "--dry-run", "--fail-on", "breach")[0] == 0


# --- configuration: source, column mapping, retraining ---------------------------------------


def test_config_gives_the_source_columns_and_a_retrain_command_run_once_per_breach(in_tmp: Path) -> None:
    renamed = in_tmp / "data" / "renamed.csv"
    renamed.parent.mkdir()
    renamed.write_text(EXAMPLE_CSV.read_text().replace("game_date,system_id,is_correct", "day,model,hit", 1))
    marker = in_tmp / "retrained.txt"
    script = f"import os; open({str(marker)!r}, 'a').write(os.environ['PREDGUARD_SYSTEM_ID'] + ' ' + os.environ['PREDGUARD_AS_OF'] + '\\n')"
    config = pyproject(in_tmp, f"""
[tool.predguard.drift]
source = "data/renamed.csv"
columns = {{ game_date = "day", system_id = "model", is_correct = "hit" }}
retrain_command = [{json.dumps(sys.executable)}, "-c", {json.dumps(script)}]
""")
    first = json_run("--config", str(config), "--as-of", IN_INCIDENT)
    json_run("--config", str(config), "--as-of", IN_INCIDENT)
    json_run("--config", str(config), "--as-of", "2026-01-06")
    assert first["retrain"] == [{"system_id": "catboost_v8", "how": "command", "ok": True, "detail": "exit 0"}]
    assert marker.read_text() == f"catboost_v8 {IN_INCIDENT}\n"


# --- delivery to Slack through the outbox ------------------------------------------------------


def slack_config(in_tmp: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pyproject pointing the drift job at the example data and the local Slack server (bot token)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    return pyproject(in_tmp, f"""
[tool.predguard.drift]
source = {json.dumps(str(EXAMPLE_CSV))}
[tool.predguard.drift.slack]
channel = "#model-alerts"
base_url = "{slack_server.api_url}"
max_retries = 0
""")


def test_slack_down_then_up_delivers_exactly_once_and_resolves_in_the_thread(in_tmp: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> None:
    config = slack_config(in_tmp, slack_server, monkeypatch)
    slack_server.always("/api/chat.postMessage", Reply(500))
    code, out, err = cli("--config", str(config), "--as-of", IN_INCIDENT, "--format", "json")
    assert code == 75, err  # the alert is not delivered yet: a scheduler must be able to tell
    down = json.loads(out)
    assert down["notifications"][0]["sent"] is False
    assert slack_server.posted_messages() == []
    slack_server.always("/api/chat.postMessage", None)
    up = json_run("--config", str(config), "--as-of", "2026-01-06")  # the next day's run delivers the leftover
    assert [(n["key"], n["sent"]) for n in up["notifications"]] == [(f"breach:catboost_v8:breach:{IN_INCIDENT}", True)]
    again = json_run("--config", str(config), "--as-of", "2026-01-06")
    assert again["notifications"] == []
    posted = slack_server.posted_messages()
    assert len(posted) == 1
    resolved = json_run("--config", str(config), "--as-of", "2026-02-21")
    assert [n["kind"] for n in resolved["notifications"]] == ["resolved"]
    posted = slack_server.posted_messages()
    assert len(posted) == 2
    db = sqlite3.connect(in_tmp / ".predguard" / "drift-state.sqlite")
    (thread_ts,) = db.execute("SELECT thread_ts FROM alert_state WHERE fingerprint = 'breach:catboost_v8'").fetchone()
    assert thread_ts is not None and posted[1]["thread_ts"] == thread_ts


def test_a_crash_after_slack_accepted_the_post_never_posts_it_twice(in_tmp: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack accepts the breach, the run is killed before the outbox records it; a rerun inside the
    lease says the alert is pending (exit 75); after the lease the rerun finds the post by its
    metadata in the channel history instead of posting again: one message in the channel."""
    config = slack_config(in_tmp, slack_server, monkeypatch)
    slack_server.script("/api/chat.postMessage", Reply(200, delay=60))  # accepted, answer never arrives
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN}
    argv = [sys.executable, "-m", "predguard.monitors.drift", "--config", str(config), "--as-of", IN_INCIDENT]
    job = subprocess.Popen(argv, cwd=in_tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not slack_server.posted_messages() and time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.05)
        assert len(slack_server.posted_messages()) == 1, "Slack must have accepted the post before the crash"
    finally:
        job.kill()
        job.wait()
    key = f"breach:catboost_v8:breach:{IN_INCIDENT}"
    assert slack_server.posted_messages()[0]["metadata"] == {"event_type": "predguard_alert", "event_payload": {"key": key}}

    code, out, err = cli("--config", str(config), "--as-of", IN_INCIDENT)
    assert code == 75, err
    assert "breach catboost_v8: PENDING — another run claimed it at" in out
    code, out, _ = cli("--config", str(config), "--as-of", IN_INCIDENT, "--format", "json")
    assert code == 75
    (pending,) = json.loads(out)["pending"]
    assert pending["key"] == key and pending["kind"] == "breach" and pending["retry_after"] > pending["claimed_at"]
    assert len(slack_server.posted_messages()) == 1 and slack_server.calls("/api/conversations.history") == []

    outbox = sqlite3.connect(in_tmp / ".predguard" / "drift-outbox.sqlite")
    with outbox:  # the 15-minute lease has run out
        outbox.execute("UPDATE outbox SET claimed_at = claimed_at - 16 * 60 WHERE key = ?", (key,))
    outbox.close()
    after = json_run("--config", str(config), "--as-of", IN_INCIDENT)
    assert [(n["key"], n["sent"]) for n in after["notifications"]] == [(key, True)] and after["pending"] == []
    assert len(slack_server.posted_messages()) == 1
    assert len(slack_server.calls("/api/conversations.history")) == 1
    db = sqlite3.connect(in_tmp / ".predguard" / "drift-state.sqlite")
    (thread_ts,) = db.execute("SELECT thread_ts FROM alert_state WHERE fingerprint = 'breach:catboost_v8'").fetchone()
    assert thread_ts == slack_server.posted_messages()[0]["ts"]  # later replies thread under the one message


def test_a_retry_whose_first_attempt_never_arrived_posts_once(in_tmp: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> None:
    config = slack_config(in_tmp, slack_server, monkeypatch)
    slack_server.script("/api/chat.postMessage", Reply(503))  # refused: nothing was posted
    code, out, err = cli("--config", str(config), "--as-of", IN_INCIDENT, "--format", "json")
    assert code == 75 and json.loads(out)["notifications"][0]["sent"] is False, err
    retried = json_run("--config", str(config), "--as-of", "2026-01-06")
    assert [n["sent"] for n in retried["notifications"]] == [True]
    assert len(slack_server.calls("/api/conversations.history")) == 1  # looked first (fate unknown), found nothing
    assert len(slack_server.posted_messages()) == 1


@pytest.mark.parametrize(
    ("reply", "retryable", "says"),
    [
        (Reply(500), True, "kept in the outbox for the next run"),
        (Reply(200, {"ok": False, "error": "invalid_auth"}), False, "dead-lettered, not retried"),
    ],
)
def test_a_failed_delivery_says_whether_it_will_be_retried(in_tmp: Path, slack_server, monkeypatch: pytest.MonkeyPatch,
                                                          reply: Reply, retryable: bool, says: str) -> None:
    config = slack_config(in_tmp, slack_server, monkeypatch)
    slack_server.always("/api/chat.postMessage", reply)
    code, out, err = cli("--config", str(config), "--as-of", IN_INCIDENT)
    assert code == 75, err  # not delivered, whether kept or dead-lettered: a scheduler must see it
    assert "breach catboost_v8: not sent" in out and says in out
    again = json_run("--config", str(config), "--as-of", "2026-01-06", "--dry-run")
    assert again["notifications"] == []  # a dry run delivers nothing, kept or not
    slack_server.always("/api/chat.postMessage", None)
    later = json_run("--config", str(config), "--as-of", "2026-01-06")
    assert [n["sent"] for n in later["notifications"]] == ([True] if retryable else [])


# --- bad input: one line, exit 2, or an honest "insufficient data" -----------------------------


def expect_input_error(*argv: str) -> str:
    code, out, err = cli(*argv)
    assert code == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("predguard drift: error: "), err
    return lines[0]


def test_no_source_says_how_to_give_one() -> None:
    line = expect_input_error("--as-of", IN_INCIDENT)
    assert "no source: pass --source bigquery:PROJECT.DATASET.TABLE" in line and "[tool.predguard.drift]" in line


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("bigquery:not a table", "malformed BigQuery source"),
        ("ftp://host/x.csv", "unknown source scheme"),
        ("missing.csv", "--source missing.csv: source file not found"),
        ("predictions.json", "unknown source file type '.json'"),
    ],
)
def test_bad_sources(source: str, message: str) -> None:
    assert message in expect_input_error("--source", source, "--as-of", IN_INCIDENT)


def test_wrong_column_types_and_missing_columns(in_tmp: Path) -> None:
    typed = in_tmp / "typed.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT DATE '2026-01-01' AS game_date, 'a' AS system_id, 1 AS is_correct) TO '{typed}' (FORMAT parquet)"
    )
    assert expect_input_error("--source", str(typed), "--as-of", "2026-01-01").endswith(
        f"{typed}: column 'is_correct' has type INTEGER, expected BOOL"
    )
    missing = write_rows(in_tmp / "m.csv", [("2026-01-01", "a")], header=("game_date", "system_id"))
    assert "column 'is_correct' not found; the source has: game_date, system_id" in expect_input_error("--source", str(missing), "--as-of", "2026-01-01")


def test_no_rows_in_the_window_and_future_dates() -> None:
    line = expect_input_error("--source", str(EXAMPLE_CSV), "--as-of", "2025-01-01")
    assert "no rows with a game date from" in line and "to 2025-01-01" in line
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert f"--as-of: {future} is in the future" in expect_input_error("--source", str(EXAMPLE_CSV), "--as-of", future)
    assert "--as-of: '2026-02-30' is not a date in YYYY-MM-DD format" in expect_input_error("--source", str(EXAMPLE_CSV), "--as-of", "2026-02-30")


def test_duckdb_database_needs_a_table_and_reads_it(in_tmp: Path) -> None:
    db = in_tmp / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE graded AS SELECT * FROM read_csv('{EXAMPLE_CSV}')")
    con.close()
    assert "needs a table: --table NAME" in expect_input_error("--source", str(db), "--as-of", IN_INCIDENT)
    result = json_run("--source", str(db), "--table", "graded", "--as-of", IN_INCIDENT, "--dry-run")
    assert {s["system_id"]: s["status"] for s in result["systems"]} == {"catboost_v8": "breach", "ensemble_v1": "ok"}


def test_all_null_grades_are_insufficient_data_never_an_alert(in_tmp: Path) -> None:
    rows = [(day, system, None) for day, system, _ in random_rows(dt.date(2026, 1, 1), 30, {"a": 0.3, "b": 0.9})]
    path = write_rows(in_tmp / "null.csv", rows)
    result = json_run("--source", str(path), "--as-of", "2026-01-30")
    assert {s["system_id"]: s["status"] for s in result["systems"]} == {"a": "insufficient_data", "b": "insufficient_data"}
    assert result["notifications"] == [] and all(s["firing"] == [] for s in result["systems"])


def test_a_silent_expected_system_is_reported_as_insufficient_data(in_tmp: Path) -> None:
    config = pyproject(in_tmp, f'[tool.predguard.drift]\nsource = {json.dumps(str(EXAMPLE_CSV))}\nsystems = ["catboost_v8", "xgb_v2"]\n')
    result = json_run("--config", str(config), "--as-of", IN_INCIDENT, "--dry-run")
    statuses = {s["system_id"]: s["status"] for s in result["systems"]}
    assert statuses["xgb_v2"] == "insufficient_data" and statuses["catboost_v8"] == "breach"
    silent = next(s for s in result["systems"] if s["system_id"] == "xgb_v2")
    assert silent["threshold"] is None and silent["warning_threshold"] is None  # not 0.0: there is none yet
    code, text, _ = cli("--config", str(config), "--as-of", IN_INCIDENT, "--dry-run")
    block = text.split("xgb_v2:")[1]
    assert "breach      not judged: no graded predictions yet" in block and "threshold 0.00" not in block
    assert "no graded predictions for this system up to this day" in block


@pytest.mark.parametrize("spelling", ["NULL", "null"])
def test_null_text_in_is_correct_is_ungraded_and_noted(in_tmp: Path, spelling: str) -> None:
    rows = random_rows(dt.date(2026, 1, 1), 30, {"a": 0.7}, per_day=20)
    path = write_rows(in_tmp / "grades.csv", [(d, s, spelling if i % 5 == 0 else c) for i, (d, s, c) in enumerate(rows)])
    result = json_run("--source", str(path), "--as-of", "2026-01-30", "--dry-run")
    (system,) = result["systems"]
    graded_last_week = sum(1 for i, (d, _, c) in enumerate(rows) if i % 5 and c is not None and d >= dt.date(2026, 1, 24))
    assert system["n"] == graded_last_week
    nulls = sum(1 for i in range(len(rows)) if i % 5 == 0)
    assert f"{nulls} rows in the file have the text NULL in is_correct: counted as ungraded" in " ".join(system["notes"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sourec = 'x.csv'", "unknown key 'sourec'"),
        ("repeat_days = 0", "repeat_days must be at least 1"),
        ("repeat_days = true", "repeat_days must be a int, got bool"),
        ("columns = { date = 'd' }", "columns.date: unknown role"),
        ("fail_on = 'always'", "fail_on must be one of never, breach, drift_warning"),
        ("[tool.predguard.drift.detection]\nfloor = 2", "floor = 2"),
        ("[tool.predguard.drift.slack]\ntoken = 'xoxb-1'", "must not be in the config file"),
    ],
)
def test_bad_configuration(in_tmp: Path, body: str, message: str) -> None:
    if not body.startswith("["):
        body = "[tool.predguard.drift]\n" + body
    config = pyproject(in_tmp, body + "\n")
    line = expect_input_error("--config", str(config), "--source", str(EXAMPLE_CSV), "--as-of", IN_INCIDENT)
    assert message in line
    assert "xoxb-1" not in line


def test_usage_errors_are_one_line() -> None:
    assert "unrecognized arguments: --bogus" in expect_input_error("--bogus")
    assert "invalid choice: 'xml'" in expect_input_error("--format", "xml")


def test_the_module_entry_point_gives_one_line_not_a_traceback(in_tmp: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "predguard.monitors.drift", "--source", "nowhere.parquet"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "predguard drift: error: --source nowhere.parquet: source file not found"


# --- backtest ------------------------------------------------------------------------------------


def test_backtest_replays_the_incident_with_a_warning_a_breach_and_resolutions() -> None:
    code, out, err = cli("backtest", "--source", str(EXAMPLE_CSV), "--from", "2025-10-05", "--to", "2026-02-21", "--format", "json")
    assert code == 0, err
    alerts = json.loads(out)["alerts"]
    assert {a["system_id"] for a in alerts} == {"catboost_v8"}  # the healthy model never alerts
    assert all(set(a) == {"date", "system_id", "kind", "hit_rate", "detail"} for a in alerts)
    kinds = [a["kind"] for a in alerts]
    assert set(kinds) <= {"breach", "drift_warning", "resolved"} and kinds.count("breach") == 1
    breach = next(a for a in alerts if a["kind"] == "breach")
    warning = next(a for a in alerts if a["kind"] == "drift_warning")
    assert dt.date.fromisoformat(warning["date"]) < CROSSING <= dt.date.fromisoformat(breach["date"])
    assert (dt.date.fromisoformat(breach["date"]) - CROSSING).days <= 14
    assert "CUSUM" in breach["detail"] and breach["hit_rate"] < 0.6
    resolved = [a for a in alerts if a["kind"] == "resolved"]
    assert resolved and all(dt.date.fromisoformat(a["date"]) > dt.date(2026, 2, 1) for a in resolved)


def test_backtest_sees_only_what_was_graded_by_each_day(in_tmp: Path) -> None:
    """The same games, graded 20 days late: the backtest must not see the drop before the grades existed."""
    text = EXAMPLE_CSV.read_text().splitlines()
    late = ["game_date,system_id,is_correct,graded_at"]
    for line in text[1:]:
        day = dt.date.fromisoformat(line[:10])
        late.append(f"{line},{day + dt.timedelta(days=20)}")
    path = in_tmp / "late.csv"
    path.write_text("\n".join(late) + "\n")
    _, on_time, _ = cli("backtest", "--source", str(EXAMPLE_CSV), "--from", "2025-10-05", "--to", "2026-02-21", "--format", "json")
    code, delayed, err = cli("backtest", "--source", str(path), "--from", "2025-10-05", "--to", "2026-02-21", "--format", "json")
    assert code == 0, err
    first = {a["kind"]: dt.date.fromisoformat(a["date"]) for a in reversed(json.loads(on_time)["alerts"])}
    later = {a["kind"]: dt.date.fromisoformat(a["date"]) for a in reversed(json.loads(delayed)["alerts"])}
    assert later["breach"] - first["breach"] >= dt.timedelta(days=15)


def test_backtest_says_when_the_daily_job_would_report_otherwise(in_tmp: Path) -> None:
    """Good grades arrive on time, bad ones 20 days late: the backtest resolves the breach on a day
    the daily job re-run with all grades would still call a breach, and it says so."""
    rng = random.Random(3)
    start = dt.date(2025, 6, 1)
    lines = ["game_date,system_id,is_correct,graded_at"]
    for i in range(200):
        day = start + dt.timedelta(days=i)
        for k in range(60):
            if i < 140:
                correct, graded = rng.random() < 0.66, day
            elif i < 160:
                correct, graded = rng.random() < 0.35, day
            elif k % 2:
                correct, graded = rng.random() < 0.85, day
            else:
                correct, graded = rng.random() < 0.10, day + dt.timedelta(days=20)
            lines.append(f"{day},m,{str(correct).lower()},{graded}")
    path = in_tmp / "late_bad.csv"
    path.write_text("\n".join(lines) + "\n")
    result = json.loads(cli("backtest", "--source", str(path), "--from", "2025-10-01", "--to", "2025-12-17", "--format", "json")[1])
    kinds = [(a["kind"], a["detail"]) for a in result["alerts"]]
    breach = [detail for kind, detail in kinds if kind == "breach"]
    assert breach and "daily job" not in breach[0], kinds
    resolved = [detail for kind, detail in kinds if kind == "resolved" and detail.startswith("breach resolved")]
    assert resolved and "the daily job re-run for" in resolved[0] and "would say breach instead" in resolved[0], kinds
    code, text, _ = cli("backtest", "--source", str(path), "--from", "2025-10-01", "--to", "2025-12-17")
    assert code == 0 and "the alert state starts empty on 2025-10-01" in text


def test_backtest_bad_input() -> None:
    assert "--from 2026-02-01 is after --to 2026-01-01" in expect_input_error(
        "backtest", "--source", str(EXAMPLE_CSV), "--from", "2026-02-01", "--to", "2026-01-01"
    )
    assert "the following arguments are required: --from" in expect_input_error("backtest", "--source", str(EXAMPLE_CSV), "--to", "2026-01-01")
    assert "no rows with a game date" in expect_input_error("backtest", "--source", str(EXAMPLE_CSV), "--from", "2024-01-01", "--to", "2024-02-01")


def test_backtest_text_lists_one_line_per_alert() -> None:
    code, out, _ = cli("backtest", "--source", str(EXAMPLE_CSV), "--from", "2025-12-01", "--to", "2026-01-10")
    lines = out.splitlines()
    assert code == 0 and lines[0].endswith(f"{EXAMPLE_CSV}: {len(lines) - 2} alert(s)")
    assert lines[1].startswith("(each day sees the grades known that day")
    assert any(" catboost_v8 " in line and " breach " in line for line in lines[2:])
