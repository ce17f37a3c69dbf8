"""The README's first command: `predguard demo` on the bundled platform, as a real subprocess."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_runs_every_moment_and_each_behaves(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "predguard.cli", "demo", "--workdir", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Traceback" not in result.stderr
    assert "PG101 predictions.worker.data_loaders" in out
    assert "guarded by try/except" in out  # the guarded deferred import is an error, not an optional warning
    assert "COPY predictions/worker/ ./predictions/worker/" in out
    assert "phase 3 on 2026-01-30: complete 5/5" in out
    assert "catboost_v8" in out and "breach" in out
    assert out.count("[ok]") == 5 and "UNEXPECTED" not in out
    assert list((tmp_path / "charts").glob("*.png")), "the terminal notifier writes the chart"
    # README shows an abridged run: every line it shows must be what the demo prints today.
    shown = out.replace(str(tmp_path), "$DEMO").replace(str(REPO), "$REPO")
    excerpt = (REPO / "README.md").read_text().split("Abridged:\n\n```text\n", 1)[1].split("```", 1)[0]
    stale = [line for line in excerpt.splitlines() if line.strip() and line not in shown]
    assert not stale, "README's demo excerpt differs from the demo's output:\n" + "\n".join(stale)


def test_demo_rejects_unknown_options():
    result = subprocess.run([sys.executable, "-m", "predguard.cli", "demo", "--nope"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_a_workdir_that_cannot_be_a_directory_is_one_error_line(tmp_path, where):
    (tmp_path / "a-file").write_text("not a directory\n")
    result = subprocess.run([sys.executable, "-m", "predguard.cli", "demo", "--workdir", str(tmp_path / where)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("predguard demo: error: --workdir ")
    assert "not a directory" in result.stderr


def test_the_demo_never_sees_the_users_slack_or_predguard_settings(monkeypatch):
    from predguard import demo

    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/real")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-real")
    monkeypatch.setenv("PREDGUARD_STORE", "bigquery://real-project/ds")
    env = demo.isolated_environment()
    assert not {"SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "PREDGUARD_STORE"} & set(env)
    # and the drift steps read the example's configuration, not the nearest pyproject.toml
    drift_steps = [s for s in demo.steps(Path("/tmp/demo")) if "drift" in s.argv]
    assert drift_steps and all(s.argv[s.argv.index("--config") + 1].endswith("prediction-platform/pyproject.toml")
                               for s in drift_steps)
