"""Every command's usage errors: one line `predguard <command>: error: arguments: ...`, exit 2."""
from __future__ import annotations

import pytest

from predguard import cli


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check-dockerfiles", "--bogus"], "predguard check-dockerfiles: error: arguments: unrecognized arguments: --bogus"),
        (["phase-status", "--phase", "3"], "predguard phase-status: error: arguments: the following arguments are required: --date"),
        (["drift", "--format", "xml"], "predguard drift: error: arguments: argument --format: invalid choice: 'xml' (choose from 'text', 'json')"),
        (["drift", "backtest", "--to", "2026-01-01"], "predguard drift: error: arguments: the following arguments are required: --from"),
        (["demo", "--bogus"], "predguard demo: error: arguments: unrecognized arguments: --bogus"),
        (["phase-status", "--phase", "3", "--date", "20260130"], "predguard phase-status: error: --date: '20260130' is not a date in YYYY-MM-DD format"),
        (["drift", "--as-of", "20260130"], "predguard drift: error: --as-of: '20260130' is not a date in YYYY-MM-DD format"),
        (["drift", "backtest", "--from", "2026-1-1", "--to", "2026-01-02"], "predguard drift: error: --from: '2026-1-1' is not a date in YYYY-MM-DD format"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == expected + "\n"
