"""One JSON object a line, with the `severity` field Cloud Logging reads."""
from __future__ import annotations

import json
import logging
import sys


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"severity": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:  # the traceback is the evidence (Cloud Error Reporting reads stack_trace)
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Json())
    logging.basicConfig(level=level, handlers=[handler], force=True)
