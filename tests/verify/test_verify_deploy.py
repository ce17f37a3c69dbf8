"""predguard verify-deploy against real HTTP services on 127.0.0.1 (subprocesses)."""
from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run, predguard
from .deploy_helpers import free_port, service


def verify(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 120) -> tuple[Run, dict[str, Any] | None]:
    run = predguard("verify-deploy", "--format", "json", "-q", *args, env=env, timeout=timeout)
    try:
        return run, json.loads(run.stdout)
    except json.JSONDecodeError:
        return run, None


def outcomes(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in report["checks"]}


def test_a_slow_start_within_the_budget_passes() -> None:
    with service("--start-delay", "3", wait=False) as url:
        run, report = verify("--url", url, "--timeout", "20", "--expect", "status=ok", "--smoke", "/ok")
    assert run.code == 0, run.stdout + run.stderr
    assert report is not None and report["verdict"] == "pass"
    assert report["services"][0]["readiness_attempts"] > 1
    assert {c["outcome"] for c in report["checks"]} == {"pass"}


def test_never_ready_fails_after_the_budget_with_the_attempts_counted() -> None:
    with service("--health-status", "503") as url:
        started = time.monotonic()
        run, report = verify("--url", url, "--timeout", "2", "--smoke", "/ok")
        took = time.monotonic() - started
    assert run.code == 1
    assert report is not None
    ready = outcomes(report)["ready"]
    assert ready["outcome"] == "fail" and ready["attempts"] >= 3
    assert f"not ready after {ready['attempts']} attempts" in ready["reason"] and "status 503" in ready["reason"]
    assert outcomes(report)["smoke GET /ok"]["outcome"] == "inconclusive"
    assert took < 15  # bounded by the 2 s budget (plus interpreter start-up), not by the attempts


def test_the_attempt_bound_stops_before_the_time_budget() -> None:
    with service("--health-status", "503") as url:
        run, report = verify("--url", url, "--timeout", "60", "--attempts", "3")
    assert run.code == 1 and report is not None
    assert outcomes(report)["ready"]["attempts"] == 3


def test_health_200_with_a_failing_json_expectation_fails() -> None:
    with service("--health-json", '{"status": "degraded", "checks": {"db": "down"}}') as url:
        run, report = verify("--url", url, "--expect", "status=ok")
        missing_run, missing = verify("--url", url, "--expect", "checks.cache=up")
    assert run.code == 1 and report is not None
    health = outcomes(report)["health"]
    assert health["outcome"] == "fail" and health["reason"] == 'status is "degraded", expected "ok"'
    assert health["evidence"]["status"] == 200 and '"degraded"' in health["evidence"]["body"]
    assert missing_run.code == 1 and missing is not None
    assert "no 'checks.cache' in the JSON body (no data is a failure)" == outcomes(missing)["health"]["reason"]


def test_smoke_500_fails_with_its_evidence(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    with service("--log", str(log)) as url:
        run, report = verify("--url", url, "--smoke", "POST:/fail={\"game_date\": \"2026-01-30\"}", "--logs-file", log)
    assert run.code == 1 and report is not None
    smoke = outcomes(report)["smoke POST /fail"]
    assert smoke["outcome"] == "fail" and smoke["reason"] == "status 500, expected 2xx"
    assert smoke["evidence"] == {"status": 500, "body": '{"error": "internal"}'}
    logs = outcomes(report)["logs"]
    assert logs["outcome"] == "fail" and any("Traceback (most recent call last)" in line for line in logs["evidence"]["matches"])


def test_a_hanging_endpoint_is_cut_by_its_per_check_timeout(tmp_path: Path) -> None:
    with service() as url:
        spec = tmp_path / "verify.toml"
        spec.write_text(f'[[services]]\nname = "api"\nurl = "{url}"\n\n[[services.checks]]\nname = "hang"\npath = "/hang"\ntimeout = 0.5\n')
        started = time.monotonic()
        run, report = verify("--spec", spec)
        took = time.monotonic() - started
    assert run.code == 1 and report is not None
    hang = outcomes(report)["hang"]
    assert hang["outcome"] == "fail" and hang["reason"] == "no answer within 0.50 s (timeout)"
    assert took < 15


def test_connection_refused_is_never_ready() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    run, report = verify("--url", url, "--timeout", "1.5")
    assert run.code == 1 and report is not None
    ready = outcomes(report)["ready"]
    assert ready["outcome"] == "fail" and "ConnectError" in ready["reason"] and ready["attempts"] >= 2


def test_a_failing_log_command_is_inconclusive_not_a_pass() -> None:
    with service() as url:
        run, report = verify("--url", url, "--logs-cmd", "sh -c 'echo permission denied >&2; exit 7'")
        strict, strict_report = verify("--url", url, "--logs-cmd", "sh -c 'exit 7'", "--strict")
        absent, absent_report = verify("--url", url, "--logs-cmd", "no-such-log-reader-xyz --since {since}")
    assert report is not None and strict_report is not None and absent_report is not None
    logs = outcomes(report)["logs"]
    assert logs["outcome"] == "inconclusive" and "exited 7: permission denied" in logs["reason"]
    assert run.code == 0 and report["verdict"] == "pass"  # not strict: inconclusive does not fail the run ...
    assert strict.code == 1 and strict_report["verdict"] == "fail"  # ... --strict makes it fail
    assert outcomes(absent_report)["logs"]["reason"] == "logs could not be read: command not found: no-such-log-reader-xyz"


def test_a_log_command_sees_only_lines_since_the_start(tmp_path: Path) -> None:
    reader = tmp_path / "read-logs.sh"  # stands in for `gcloud logging read` / `kubectl logs`
    reader.write_text("echo \"2020-01-01T00:00:00Z ModuleNotFoundError: No module named 'old_news'\"\n"
                      "echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) ModuleNotFoundError: No module named 'fresh'\"\n"
                      "echo \"since=$1\"\n")
    with service() as url:
        run, report = verify("--url", url, "--logs-cmd", f"sh {reader} {{since}}")
    assert run.code == 1 and report is not None
    logs = outcomes(report)["logs"]
    assert logs["outcome"] == "fail" and len(logs["evidence"]["matches"]) == 1
    assert "'fresh'" in logs["evidence"]["matches"][0]
    assert logs["evidence"]["lines_scanned"] == 2  # the 2020 line is older than the run


def test_a_log_file_is_read_from_where_it_ended_at_the_start(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("ModuleNotFoundError: No module named 'yesterday'\n")
    with service("--log", str(log)) as url:
        run, report = verify("--url", url, "--smoke", "/ok", "--logs-file", log)
    assert run.code == 0, run.stdout
    assert report is not None and outcomes(report)["logs"]["outcome"] == "pass"


def test_the_rollback_runs_once_and_its_own_failure_is_reported(tmp_path: Path) -> None:
    marker = tmp_path / "rollbacks"
    with service() as url:
        run, report = verify("--url", url, "--smoke", "/fail", "--smoke", "/missing",
                             "--on-fail", f"echo rolled back >> {marker}; echo cannot reach the API >&2; exit 4")
        passing, passing_report = verify("--url", url, "--smoke", "/ok", "--on-fail", f"echo wrongly >> {marker}")
        text = predguard("verify-deploy", "-q", "--url", url, "--smoke", "/fail", "--on-fail", "exit 4")
    assert text.code == 1 and "rollback: exit 4 -> exit 4 (ROLLBACK FAILED)" in text.stdout
    assert run.code == 1 and report is not None
    assert marker.read_text() == "rolled back\n"  # once, and never after a pass
    rollback = report["rollback"]
    assert rollback["exit_code"] == 4 and rollback["outcome"] == "error" and "cannot reach the API" in rollback["output"]
    assert passing.code == 0 and passing_report is not None and passing_report["rollback"] is None


@pytest.mark.parametrize(("content", "message"), [
    ('[[services]]\nname = "api"\nurl = "http://127.0.0.1:1"\ntimeout = \n', "not valid TOML: Invalid value (at line 4, column 11)"),
    ('[[services]]\nname = "api"\nurl = "http://127.0.0.1:1"\nhelth = "/h"\n', "services[0].helth: unknown key"),
    ('[[services]]\nname = "api"\nurl = "http://127.0.0.1:1"\n[[services.checks]]\npath = "/x"\nstatus = [700]\n',
     "services[0].checks[0].status: expected HTTP status codes (100-599), got [700]"),
    ('[defaults]\ntimeout = 5\n', "declare at least one [[services]] table"),
    ('[[services]]\nname = "api"\nurl = "http://127.0.0.1:1"\nheaders = { Authorization = "Bearer ${PREDGUARD_TEST_UNSET_TOKEN}" }\n',
     "services[0].headers.Authorization: environment variable PREDGUARD_TEST_UNSET_TOKEN is not set"),
])
def test_a_malformed_spec_exits_2_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    spec = tmp_path / "verify.toml"
    spec.write_text(content)
    run = predguard("verify-deploy", "--spec", spec)
    assert run.code == 2 and run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"predguard verify-deploy: error: {spec}: ") and message in line


@pytest.mark.parametrize(("args", "message"), [
    ([], "give --url URL or --spec FILE"),
    (["--url", "ftp://x"], "--url: expected an http(s) URL"),
    (["--url", "http://127.0.0.1:1", "--smoke", "POST:/x={bad"], "the body is not JSON"),
    (["--url", "http://127.0.0.1:1", "--expect", "status"], "--expect: expected KEY=VALUE"),
    (["--url", "http://127.0.0.1:1", "--timeout", "0"], "--timeout: must be greater than 0"),
    (["--url", "http://127.0.0.1:1", "--format", "xml"], "argument --format: invalid choice"),
])
def test_bad_flags_exit_2_with_one_line(args: list[str], message: str) -> None:
    run = predguard("verify-deploy", *args)
    assert run.code == 2
    (line,) = run.stderr.splitlines()
    assert message in line


def test_a_spec_verifies_several_services_concurrently_and_renders_junit(tmp_path: Path) -> None:
    with service() as a, service() as b, service("--health-status", "503") as c:
        spec = tmp_path / "verify.toml"
        spec.write_text(
            "[defaults]\ntimeout = 2\n"
            f'[[services]]\nname = "coordinator"\nurl = "{a}"\nexpect = {{ status = "ok", "checks.db" = "up" }}\n'
            f'[[services.checks]]\nname = "dispatch"\nmethod = "POST"\npath = "/ok"\njson = {{ game_date = "2026-01-30" }}\n'
            'status = [200]\nbody_pattern = "g1"\nmax_latency_ms = 5000\n'
            f'[[services]]\nname = "worker"\nurl = "{b}"\n'
            f'[[services.checks]]\nname = "slow"\npath = "/slow?ms=50"\n'
            f'[[services]]\nname = "grader"\nurl = "{c}"\n')
        started = time.monotonic()
        run = predguard("verify-deploy", "--spec", spec, "--format", "junit", "-q")
        took = time.monotonic() - started
    assert run.code == 1, run.stderr
    suite = ET.fromstring(run.stdout).find("testsuite")
    assert suite is not None
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert cases[("coordinator", "dispatch")].find("failure") is None
    assert cases[("worker", "slow")].find("failure") is None
    assert cases[("grader", "ready")].find("failure") is not None
    assert suite.get("failures") == "1"
    assert took < 15  # the 2 s readiness wait of one service does not hold up the others


def test_secrets_in_urls_and_headers_are_never_printed(tmp_path: Path) -> None:
    with service() as url:
        for fmt in ("text", "json", "junit"):
            run = predguard("verify-deploy", "--url", f"{url}/?token=s3cr3t-query", "--header", "Authorization: Bearer s3cr3t-bearer",
                            "--header", "X-Api-Key: s3cr3t-key", "--smoke", "/fail", "--format", fmt,
                            "--on-fail", "echo using s3cr3t-bearer")
            assert run.code == 1
            for secret in ("s3cr3t-query", "s3cr3t-bearer", "s3cr3t-key"):
                assert secret not in run.stdout and secret not in run.stderr, (fmt, secret)
