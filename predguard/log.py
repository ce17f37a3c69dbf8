"""Structured logs, configured once by `predguard` for every command: one JSON object a line
(with a `severity` Cloud Logging understands) when stderr is not a terminal, plain text when it
is. Secrets never reach a log: every message, extra field and traceback goes through
`predguard.redact`, in both forms."""
from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, TextIO

from predguard.errors import InputError
from predguard.redact import redact

LEVEL_ENV = "PREDGUARD_LOG_LEVEL"
DEFAULT_LEVEL = logging.WARNING  # a command's output is its report; logs say what went wrong
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        entry.update(redact(extra))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message` for a person at a terminal, redacted like the JSON form."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return str(redact(super().format(record)))


class _Handler(logging.StreamHandler):
    """Writes to the given stream, else to whatever sys.stderr is at the time (so a command run
    in-process under a test harness that swaps stderr still logs to the right place), choosing
    the form per stream: text for a terminal, JSON lines otherwise."""

    _predguard = True

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream or sys.stderr)
        self._fixed = stream
        self._json, self._text = JsonFormatter(), TextFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = self._fixed or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.setFormatter(self._text if callable(isatty) and isatty() else self._json)
        super().emit(record)


def configure(level: int | None = None, stream: TextIO | None = None) -> None:
    """Install the predguard handler on the root logger, replacing an earlier one (idempotent).

    Level: `level`, else $PREDGUARD_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR), else WARNING.
    """
    if level is None:
        name = os.environ.get(LEVEL_ENV, "").strip().upper() or logging.getLevelName(DEFAULT_LEVEL)
        if name not in _LEVELS:
            raise InputError(f"{name!r} is not a log level; one of {', '.join(_LEVELS)}", where=f"${LEVEL_ENV}")
        level = logging.getLevelName(name)
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_predguard", False)]
    root.addHandler(_Handler(stream))
    root.setLevel(level)
