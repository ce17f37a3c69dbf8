"""What a notifier reports back, and the Notifier protocol every channel implements."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from predguard.monitors.model import AnyNotification

SLACK_API_URL = "https://slack.com/api/"  # slack-sdk's WebClient.BASE_URL, without importing slack-sdk
DEFAULT_MAX_RETRIES = 2
DEFAULT_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send.

    ok         the message reached its destination (the outbox marks the key delivered)
    ts         Slack's message ts (the alert's thread for later reminders/resolved); None elsewhere
    error      why it failed (secrets never included)
    retryable  a failure worth trying again on the next run (rate limit, 5xx, network);
               False sends the notification to the dead letters (bad token, unknown channel)
    warning    delivered, but something secondary failed (e.g. the chart upload)
    """

    ok: bool
    ts: str | None = None
    error: str | None = None
    retryable: bool = False
    warning: str | None = None

    @classmethod
    def delivered(cls, ts: str | None = None, warning: str | None = None) -> Delivery:
        return cls(ok=True, ts=ts, warning=warning)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> Delivery:
        return cls(ok=False, error=error, retryable=retryable)


class Notifier(Protocol):
    def send(self, n: AnyNotification) -> Delivery: ...
