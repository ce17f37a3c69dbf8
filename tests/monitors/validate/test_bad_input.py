"""Bad configuration and arguments: exit 2 and one line naming the check (or option), before any
query runs — through the `predguard` dispatcher in-process, and once as a real subprocess."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from predguard.cli import main as predguard_main
from tests.monitors.validate.helpers import copy_example

BASE = """
[tool.predguard.validate.tables]
predictions = "data/predictions.csv"
"""


def predguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "predguard.cli", "validate", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def write(tmp: Path, body: str) -> Path:
    (tmp / "pyproject.toml").write_text(BASE + body, encoding="utf-8")
    return tmp / "pyproject.toml"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[tool.predguard.validate.checks]]\nname = "loaded"\nkind = "row_cont"\ntable = "predictions"\n',
            "check 'loaded': unknown kind 'row_cont' (one of: row_count, freshness, coverage, null_rate, duplicate_keys, phase_completion, custom_sql, error_rate)",
        ),
        (
            '[[tool.predguard.validate.checks]]\nname = "loaded"\nkind = "row_count"\ntable = "predictions"\nerror_below = "10"\n',
            "check 'loaded': `error_below` must be a number, got str '10'",
        ),
        (
            '[[tool.predguard.validate.checks]]\nname = "graded"\nkind = "null_rate"\ntable = "predictions"\ncolumn = "line"\n[tool.predguard.validate.checks.post_game]\nmostly = true\n',
            "check 'graded': `mostly` must be a number, got bool True",
        ),
        (
            '[[tool.predguard.validate.checks]]\nname = "graded"\nkind = "coverage"\ntable = "predictions"\nkey = ["prediction_id"]\nmatched_in = "gradez"\n',
            "check 'graded': table 'gradez' is not declared in [tool.predguard.validate.tables] (declared: predictions)",
        ),
        (
            '[[tool.predguard.validate.checks]]\nname = "loaded"\nkind = "row_count"\ntable = "predictionz"\n',
            "check 'loaded': table 'predictionz' is not declared in [tool.predguard.validate.tables] (declared: predictions)",
        ),
        ("", "no checks declared: add at least one [[tool.predguard.validate.checks]] with a name and a kind"),
        (
            '[[tool.predguard.validate.checks]]\nname = "fresh"\nkind = "freshness"\ntable = "predictions"\ntimestamp_column = "created_at"\n',
            "check 'fresh': no thresholds for pre_game: a freshness check needs e.g. error_above / error_below (or error_after_hours)",
        ),
        (
            '[[tool.predguard.validate.checks]]\nname = "loaded"\nkind = "row_count"\ntable = "predictions"\nmostly = 0.9\n',
            "check 'loaded': `mostly` applies to ratio checks (coverage, null_rate, phase_completion, error_rate), not row_count",
        ),
        (
            '[[tool.predguard.validate.checks]]\nname = "loaded"\nkind = "row_count"\ntable = "predictions"\npre_game = "skip"\n',
            "check 'loaded': `pre_game` must be \"not_applicable\" or a table of thresholds, got 'skip'",
        ),
        (
            '[[tool.predguard.validate.checks]]\nname = "nulls"\nkind = "null_rate"\ntable = "predictions"\ncolumn = "line"\nwarn_above = 0.2\nerror_above = 0.1\n',
            "check 'nulls': [pre_game]: warn above 0.2 is over error above 0.1: the warning must come first",
        ),
    ],
    ids=["unknown-kind", "threshold-string", "mostly-bool", "undeclared-matched-table", "undeclared-table", "empty", "no-thresholds", "mostly-on-count", "bad-mode", "warn-after-error"],
)
def test_bad_configuration_is_one_line_naming_the_check(tmp_path: Path, body: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, body)
    assert predguard_main(["validate", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"predguard validate: error: {config}: {message}\n"


def test_the_installed_command_says_the_same(tmp_path: Path) -> None:
    config = write(tmp_path, '[[tool.predguard.validate.checks]]\nname = "loaded"\nkind = "row_cont"\ntable = "predictions"\n')
    result = predguard("--config", str(config), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"predguard validate: error: {config}: check 'loaded': unknown kind 'row_cont'")
    assert result.stderr.count("\n") == 1  # one line, no traceback


def test_no_validate_table_at_all_is_the_empty_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert predguard_main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no checks declared" in err


def test_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = copy_example(tmp_path)
    assert predguard_main(["validate", "--config", str(config), "--date", "30/01/2026"]) == 2
    assert capsys.readouterr().err == "predguard validate: error: --date: '30/01/2026' is not a date in YYYY-MM-DD format\n"
    assert predguard_main(["validate", "--config", str(config), "--now", "noon"]) == 2
    assert capsys.readouterr().err == "predguard validate: error: --now: 'noon' is not a timestamp such as 2026-01-30T17:00:00Z\n"
    assert predguard_main(["validate", "--config", str(config), "--mode", "halftime"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'halftime'" in err
    assert predguard_main(["validate", "--config", str(config), "--output", "view.sql"]) == 2
    assert capsys.readouterr().err == "predguard validate: error: --output: --output is only for --emit-sql\n"
