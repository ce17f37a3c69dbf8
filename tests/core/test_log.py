"""Structured logs: JSON lines with a severity, and secrets never written."""
from __future__ import annotations

import io
import json
import logging

from predguard.log import configure


def test_json_lines_with_severity_and_redaction():
    stream = io.StringIO()
    configure(stream=stream)
    try:
        logging.getLogger("t").warning(
            "posting to https://hooks.slack.com/services/T0/B0/secret with xoxb-123-abc",
            extra={"slack_token": "xoxb-123-abc", "channel": "#alerts"},
        )
    finally:
        logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_predguard", False)]
    line = stream.getvalue().strip()
    entry = json.loads(line)
    assert entry["severity"] == "WARNING" and entry["channel"] == "#alerts"
    assert "xoxb-123-abc" not in line and "hooks.slack.com/services" not in line
    assert entry["slack_token"] == "[redacted]"
