"""Fixtures for the monitors tests."""
from __future__ import annotations

from tests.support.slack_server import slack_server  # noqa: F401  (a fixture: a local server that answers like Slack)
