"""Structured logs: one JSON object a line (with a `severity` Cloud Logging understands) when
stderr is not a terminal, plain text when it is. Secrets never reach a log: every message,
extra field and traceback goes through `predguard.redact`."""
from __future__ import annotations

import json
import logging
import sys
from typing import Any

from predguard.redact import redact

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


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


def configure(level: int = logging.INFO, stream: Any = None) -> None:
    """Install the predguard log handler on the root logger (idempotent)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    if hasattr(stream, "isatty") and stream.isatty():
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_predguard", False)]
    handler._predguard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
