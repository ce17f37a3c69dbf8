"""Slack only for real issues, through the drift monitor's state, outbox and notifiers: a problem
is posted once, a persisting one is not re-posted, its recovery is posted once (in its thread)."""
from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from predguard.monitors.outbox import NotificationOutbox as Outbox
from predguard.monitors.serialize import notification_from_json, notification_to_json
from predguard.monitors.state import AlertRecord
from predguard.monitors.validate.alerts import step
from predguard.monitors.validate.model import CheckResult, Report
from tests.monitors.validate.helpers import GAME_DAY, POST_GAME_NOW, PRE_GAME_NOW, copy_example, rewrite_csv, run, run_json
from tests.support.slack_server import TOKEN, Reply

NOTIFY = frozenset({"warn", "error"})


def report(day: int, *statuses: tuple[str, str], mode: str = "post_game") -> Report:
    results = tuple(CheckResult(name, "row_count", "t", status, 1.0, "error < 1", "1 rows") for name, status in statuses)  # type: ignore[arg-type]
    return Report(dt.date(2026, 1, day), mode, "--mode", dt.datetime(2026, 1, day, tzinfo=dt.timezone.utc), "duckdb", 2, results)  # type: ignore[arg-type]


def advance(records: dict[str, AlertRecord], r: Report, repeat_days: int = 7) -> str | None:
    changed, notification = step(records, r, notify_on=NOTIFY, repeat_days=repeat_days)
    records.update(changed)
    return None if notification is None else notification.kind


def test_post_once_stay_quiet_then_resolve_once() -> None:
    records: dict[str, AlertRecord] = {}
    assert advance(records, report(1, ("a", "ok"), ("b", "error"))) == "validation"
    assert advance(records, report(2, ("a", "ok"), ("b", "error"))) is None  # persisting: not re-posted
    assert advance(records, report(3, ("a", "ok"), ("b", "not_applicable"), mode="pre_game")) is None  # no evidence either way
    assert advance(records, report(3, ("a", "ok"), ("b", "degraded"))) is None  # blind is not healthy
    assert advance(records, report(4, ("a", "ok"), ("b", "ok"))) == "resolved"
    assert advance(records, report(5, ("a", "ok"), ("b", "ok"))) is None


def test_a_change_of_status_or_a_new_problem_is_posted_a_reminder_after_repeat_days() -> None:
    records: dict[str, AlertRecord] = {}
    assert advance(records, report(1, ("a", "warn"))) == "validation"
    assert advance(records, report(2, ("a", "error"))) == "validation"  # escalated
    assert advance(records, report(3, ("a", "error"), ("b", "warn"))) == "validation"  # another check
    assert advance(records, report(9, ("a", "error"), ("b", "warn")), repeat_days=7) is None
    assert advance(records, report(10, ("a", "error"), ("b", "warn")), repeat_days=7) == "reminder"
    assert advance(records, report(11, ("a", "error"), ("b", "warn")), repeat_days=7) is None
    assert advance(records, report(5, ("a", "ok"), ("b", "ok"))) is None  # an earlier day never rewinds


def test_warnings_alone_are_quiet_when_notify_on_is_error_only() -> None:
    changed, notification = step({}, report(1, ("a", "warn")), notify_on=frozenset({"error"}), repeat_days=7)
    assert notification is None and changed == {}


def test_a_report_notification_round_trips_through_the_outbox_payload() -> None:
    _, notification = step({}, report(1, ("a", "error"), ("b", "warn")), notify_on=NOTIFY, repeat_days=7)
    assert notification is not None
    assert notification_from_json(notification_to_json(notification)) == notification
    assert notification.message.fields == (("ERROR · a", "1 (threshold error < 1) — 1 rows"), ("WARN · b", "1 (threshold error < 1) — 1 rows"))


def slack_project(tmp: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = copy_example(tmp)
    text = config.read_text().replace(
        'state = ".predguard/validate-state.sqlite"',
        f'state = ".predguard/validate-state.sqlite"\n[tool.predguard.validate.slack]\nchannel = "#data-quality"\nbase_url = "{slack_server.api_url}"\nmax_retries = 0',
    )
    config.write_text(text)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    return config


def grade_the_game_day(data: Path) -> None:
    """The games are played: every prediction graded the next morning, the box scores processed."""
    with (data / "predictions.csv").open(newline="") as handle:
        ids = [r["prediction_id"] for r in csv.DictReader(handle) if r["game_date"] == GAME_DAY]
    rewrite_csv(data / "prediction_grades.csv", add=[{"prediction_id": i, "game_date": GAME_DAY, "is_correct": "true", "graded_at": "2026-01-31 09:00:00"} for i in ids])
    with (data / "run_markers.csv").open(newline="") as handle:
        same_day = [r for r in csv.DictReader(handle) if r["target_date"] == GAME_DAY and r["outcome"] == "skipped"]
    rerun = [{**r, "run_id": r["run_id"] + "-rerun", "mode": "post_game", "outcome": "success", "reason": "", "expected_skip": "false", "recorded_at": "2026-01-31 08:30:00"} for r in same_day]
    rewrite_csv(data / "run_markers.csv", add=rerun)


def test_slack_gets_the_problem_once_and_the_recovery_once_in_its_thread(tmp_path: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> None:
    config = slack_project(tmp_path, slack_server, monkeypatch)
    environ = {"SLACK_BOT_TOKEN": TOKEN}
    pre_code, pre = run_json("--config", str(config), "--date", GAME_DAY, "--now", PRE_GAME_NOW, environ=environ)
    assert pre_code == 0 and pre["notifications"] == [] and slack_server.posted_messages() == []  # ok: nothing posted

    code, first = run_json("--config", str(config), "--date", GAME_DAY, "--now", POST_GAME_NOW, environ=environ)
    assert code == 1
    assert [(n["kind"], n["sent"]) for n in first["notifications"]] == [("validation", True)]
    posted = slack_server.posted_messages()
    assert len(posted) == 1
    message = posted[0]
    assert message["channel"] == "#data-quality"
    assert message["text"].startswith("Data validation 2026-01-30 (post_game): 2 error, 1 warn")
    blocks = message["blocks"] if isinstance(message["blocks"], list) else json.loads(message["blocks"])
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert fields[0].startswith("*ERROR · grading_coverage*\n0% (threshold error &lt; 98%, warn &lt; 100%) — 0 of 24 predictions rows matched")

    _, again = run_json("--config", str(config), "--date", GAME_DAY, "--now", "2026-01-31T14:10:00Z", environ=environ)
    assert again["notifications"] == [] and len(slack_server.posted_messages()) == 1  # persisting: not re-posted

    grade_the_game_day(config.parent / "data")
    code, fixed = run_json("--config", str(config), "--date", GAME_DAY, "--now", "2026-01-31T14:20:00Z", environ=environ)
    assert code == 0 and fixed["overall"] == "ok"
    assert [(n["kind"], n["sent"]) for n in fixed["notifications"]] == [("resolved", True)]
    posted = slack_server.posted_messages()
    assert len(posted) == 2
    assert posted[1]["text"].startswith("Resolved: grading_coverage, grades_fresh, phase3_complete healthy again on 2026-01-30 (post_game)")
    assert posted[1]["thread_ts"] == posted[0]["ts"]  # in the alert's thread, kept in the alert state:
    db = sqlite3.connect(config.parent / ".predguard" / "validate-state.sqlite")
    threads = dict(db.execute("SELECT fingerprint, thread_ts FROM alert_state WHERE fingerprint LIKE 'validate:%'").fetchall())
    db.close()
    assert threads == {f"validate:{name}": posted[0]["ts"] for name in ("grading_coverage", "grades_fresh", "phase3_complete")}
    _, quiet = run_json("--config", str(config), "--date", GAME_DAY, "--now", "2026-01-31T14:30:00Z", environ=environ)
    assert quiet["notifications"] == [] and len(slack_server.posted_messages()) == 2


def test_without_slack_the_terminal_prints_the_report_message(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    code, text = run("--config", str(config), "--date", GAME_DAY, "--now", POST_GAME_NOW)
    assert code == 1
    assert "[VALIDATION ERROR] Data validation 2026-01-30 (post_game): 2 error, 1 warn" in text
    assert "validation: posted" in text
    with Outbox(tmp_path / ".predguard" / "validate-outbox.sqlite") as outbox:
        assert outbox.depth() == 0 and outbox.dead_letters() == []


def test_degraded_is_posted_only_when_asked_for() -> None:
    quiet, nothing = step({}, report(1, ("a", "degraded")), notify_on=NOTIFY, repeat_days=7)
    assert nothing is None and quiet == {}
    records, posted = step({}, report(1, ("a", "degraded")), notify_on=NOTIFY | {"degraded"}, repeat_days=7)
    assert posted is not None and posted.kind == "validation" and posted.message.title.endswith(": 1 degraded")
    assert records["validate:a"].rule == "degraded"


def test_the_webhook_posts_the_report_without_a_chart_note(slack_server) -> None:
    from predguard.monitors.alerting.webhook import CHART_NOTE, WebhookNotifier

    _, notification = step({}, report(1, ("a", "error")), notify_on=NOTIFY, repeat_days=7)
    assert notification is not None
    delivery = WebhookNotifier(url=slack_server.webhook_url).send(notification)
    assert delivery.ok
    (posted,) = slack_server.posted_messages()
    assert posted["text"].startswith("Data validation 2026-01-01 (post_game): 1 error")
    assert CHART_NOTE not in posted["text"] and CHART_NOTE not in json.dumps(posted["blocks"])


def test_a_failed_post_of_an_error_report_still_exits_1(tmp_path: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> None:
    config = slack_project(tmp_path, slack_server, monkeypatch)
    slack_server.always("/api/chat.postMessage", Reply(500))
    code, first = run_json("--config", str(config), "--date", GAME_DAY, "--now", POST_GAME_NOW, environ={"SLACK_BOT_TOKEN": TOKEN})
    assert code == 1  # a check at error wins over the undelivered report, as in `predguard drift`
    assert [(n["kind"], n["sent"], n["retryable"]) for n in first["notifications"]] == [("validation", False, True)]


@pytest.mark.parametrize(
    ("reply", "says", "retried"),
    [
        pytest.param(Reply(500), "kept in the outbox for the next run", True, id="retryable"),
        pytest.param(Reply.api_error("channel_not_found"), "dead-lettered", False, id="dead-lettered"),
    ],
)
def test_a_report_that_could_not_be_posted_is_exit_75_not_0(
    tmp_path: Path, slack_server, monkeypatch: pytest.MonkeyPatch, reply: Reply, says: str, retried: bool
) -> None:
    config = slack_project(tmp_path, slack_server, monkeypatch)
    environ = {"SLACK_BOT_TOKEN": TOKEN}
    code, _ = run_json("--config", str(config), "--date", GAME_DAY, "--now", POST_GAME_NOW, environ=environ)
    assert code == 1 and len(slack_server.posted_messages()) == 1  # the problem, posted
    grade_the_game_day(config.parent / "data")
    slack_server.always("/api/chat.postMessage", reply)
    code, text = run("--config", str(config), "--date", GAME_DAY, "--now", "2026-01-31T14:20:00Z", environ=environ)
    assert code == 75, text  # every check ok, but Slack does not have the recovery: a scheduler must see it
    assert "resolved: not posted" in text and says in text
    slack_server.always("/api/chat.postMessage", None)
    code, later = run_json("--config", str(config), "--date", GAME_DAY, "--now", "2026-01-31T14:30:00Z", environ=environ)
    assert code == 0
    assert [(n["kind"], n["sent"]) for n in later["notifications"]] == ([("resolved", True)] if retried else [])
    assert len(slack_server.posted_messages()) == (2 if retried else 1)


def test_a_report_another_run_is_posting_is_pending_exit_75(tmp_path: Path, slack_server, monkeypatch: pytest.MonkeyPatch) -> None:
    from predguard.monitors.alerting.delivery import Delivery

    config = slack_project(tmp_path, slack_server, monkeypatch)
    environ = {"SLACK_BOT_TOKEN": TOKEN}
    slack_server.always("/api/chat.postMessage", Reply(500))
    _, first = run_json("--config", str(config), "--date", GAME_DAY, "--now", POST_GAME_NOW, environ=environ)
    (kept,) = first["notifications"]  # the problem report waits in the outbox
    slack_server.always("/api/chat.postMessage", None)
    grade_the_game_day(config.parent / "data")
    claimed, release = threading.Event(), threading.Event()

    def hold(_entry: object) -> Delivery:  # another run, in the middle of sending it
        claimed.set()
        release.wait(30)
        return Delivery.failed("interrupted", retryable=True)

    with Outbox(tmp_path / ".predguard" / "validate-outbox.sqlite") as other:
        deliverer = threading.Thread(target=other.deliver, args=(hold,))
        deliverer.start()
        try:
            assert claimed.wait(10)
            code, out = run_json("--config", str(config), "--date", GAME_DAY, "--now", "2026-01-31T14:20:00Z", environ=environ)
            code_text, text = run("--config", str(config), "--date", GAME_DAY, "--now", "2026-01-31T14:25:00Z", environ=environ)
        finally:
            release.set()
            deliverer.join()
    assert code == 75 and code_text == 75, (out, text)  # every check ok, but the report's fate is unknown
    (pending,) = out["pending"]
    assert pending["key"] == kept["key"] and pending["kind"] == "validation" and pending["retry_after"] > pending["claimed_at"]
    assert "validation: PENDING — another run claimed it at" in text
