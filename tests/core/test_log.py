"""Structured logs: configured by the CLI for every command, JSON lines with a severity off a
terminal, text at one, and secrets never written in either form."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from predguard import cli
from predguard.log import configure


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers, root.level = handlers, level


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_with_severity_and_redaction() -> None:
    stream = io.StringIO()
    configure(logging.INFO, stream=stream)
    logging.getLogger("predguard.t").warning(
        "posting to https://hooks.slack.com/services/T0/B0/secret with xoxb-123-abc",
        extra={"slack_token": "xoxb-123-abc", "channel": "#alerts"},
    )
    line = stream.getvalue().strip()
    entry = json.loads(line)
    assert entry["severity"] == "WARNING" and entry["channel"] == "#alerts" and entry["logger"] == "predguard.t"
    assert "xoxb-123-abc" not in line and "hooks.slack.com/services" not in line
    assert entry["slack_token"] == "[redacted]"


def test_text_at_a_terminal_is_redacted_too() -> None:
    stream = Terminal()
    configure(logging.INFO, stream=stream)
    logging.getLogger("predguard.t").error("GET https://api.example/x?api_key=k-123 failed")
    assert stream.getvalue() == "ERROR predguard.t: GET https://api.example/x?api_key=[redacted] failed\n"


def test_configure_twice_keeps_one_handler() -> None:
    configure(stream=io.StringIO())
    configure(stream=io.StringIO())
    assert sum(getattr(h, "_predguard", False) for h in logging.getLogger().handlers) == 1
    assert logging.getLogger().level == logging.WARNING  # the default: a command's report is its output


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_command_configures_logging(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_predguard", False)]
    assert cli.main([command, "--no-such-option"]) == 2
    capsys.readouterr()
    logging.getLogger("predguard.t").warning("token xoxb-9-9 leaked?")
    entry = json.loads(capsys.readouterr().err)  # stderr is not a terminal here: JSON
    assert entry == {"severity": "WARNING", "logger": "predguard.t", "message": "token [redacted] leaked?"}


def test_the_level_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PREDGUARD_LOG_LEVEL", "info")
    configure(stream=io.StringIO())
    assert logging.getLogger().level == logging.INFO
    monkeypatch.setenv("PREDGUARD_LOG_LEVEL", "loud")
    assert cli.main(["phase-status", "--phase", "3", "--date", "2026-01-30"]) == 2
    assert capsys.readouterr().err == "predguard phase-status: error: $PREDGUARD_LOG_LEVEL: 'LOUD' is not a log level; one of DEBUG, INFO, WARNING, ERROR, CRITICAL\n"
