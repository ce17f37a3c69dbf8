"""slack-sdk plumbing shared by the bot-token and webhook notifiers: the SDK's own retry
handlers, a logger that cannot leak secrets, and the mapping of failures to retryable or not.
"""
from __future__ import annotations

import logging
import socket
from urllib.error import HTTPError, URLError

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from predguard.monitors.alerting.delivery import Delivery
from predguard.monitors.model import AnyNotification
from predguard.redact import RedactingFilter, redact, register

# Slack error codes that mean "try again later"; every other code (invalid_auth,
# channel_not_found, not_in_channel, missing_scope, invalid_blocks, ...) will not fix itself, so
# the outbox dead-letters it instead of retrying it forever.
RETRYABLE_SLACK_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def retry_handlers(max_retries: int) -> list[RetryHandler]:
    """429 honouring Retry-After, 500/503, and connection errors, with one shared budget."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries),
        ConnectionErrorRetryHandler(max_retry_count=max_retries),
    ]


_sdk_logger = logging.getLogger("predguard.slack_sdk")
_sdk_logger.addFilter(RedactingFilter())
# slack-sdk logs the full request URL (for a webhook, the secret itself) whenever its logger's
# own level is DEBUG or unset; an explicit INFO level turns those lines off, the filter catches the rest.
_sdk_logger.setLevel(logging.INFO)


def sdk_logger(secret: str) -> logging.Logger:
    """The logger to hand to a slack-sdk client that holds `secret` (registered for redaction)."""
    register(secret)
    return _sdk_logger


def classify_api_error(exc: SlackApiError, step: str) -> Delivery:
    status = getattr(exc.response, "status_code", None)
    code = exc.response.get("error") if status == 200 and isinstance(exc.response.data, dict) else None
    code = code or f"HTTP {status}"  # a non-200 body is an HTML error page or the SDK's own note
    retryable = code in RETRYABLE_SLACK_ERRORS or status == 429 or (status is not None and status >= 500)
    return Delivery.failed(f"{step}: Slack answered {code}", retryable=retryable)


def classify_transport_error(exc: BaseException, step: str) -> Delivery:
    """Network failures (refused, reset, timeout) and unreadable answers are worth retrying; HTTP 4xx
    from a proxy is not."""
    if isinstance(exc, HTTPError):
        return Delivery.failed(f"{step}: HTTP {exc.code}", retryable=exc.code == 429 or exc.code >= 500)
    if isinstance(exc, URLError):
        return Delivery.failed(f"{step}: cannot reach Slack ({exc.reason})", retryable=True)
    if isinstance(exc, (TimeoutError, socket.timeout, ConnectionError, OSError)):
        return Delivery.failed(f"{step}: cannot reach Slack ({type(exc).__name__}: {exc})", retryable=True)
    if isinstance(exc, ValueError):  # a body that is not UTF-8 or not JSON: a broken proxy or server, try later
        return Delivery.failed(f"{step}: unreadable answer from Slack ({type(exc).__name__})", retryable=True)
    raise exc


def log_failure(log: logging.Logger, message: str, n: AnyNotification, delivery: Delivery) -> Delivery:
    """Log a failed delivery with its secrets redacted, and return it redacted (both notifiers)."""
    error = redact(delivery.error or "")
    log.warning(message, extra={"key": n.key, "kind": n.kind, "reason": error, "retryable": delivery.retryable})
    return Delivery.failed(error, retryable=delivery.retryable)
