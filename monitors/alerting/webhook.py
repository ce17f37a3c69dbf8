"""Slack through an incoming webhook: the same Block Kit message, no chart.

Webhooks cannot upload files (and an image block would need a public URL), so the message says
the chart was left out and how to get it. `WebhookClient` never raises on an HTTP error: the
status code is the outcome, checked here. The webhook URL is the secret: it never reaches a
log or an error message.
"""
from __future__ import annotations

import logging

from slack_sdk.webhook import WebhookClient

from predguard.monitors.alerting.blocks import render_blocks, render_fallback
from predguard.monitors.alerting.content import build_content
from predguard.monitors.alerting.delivery import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_SECONDS, Delivery
from predguard.monitors.alerting.sdk import (
    classify_transport_error,
    log_failure,
    retry_handlers,
    sdk_logger,
)
from predguard.monitors.model import AnyNotification, Notification

log = logging.getLogger(__name__)
CHART_NOTE = (
    "Chart not attached: incoming webhooks cannot upload files. Set a bot token with files:write "
    "to get it in the alert's thread, or run `predguard drift` locally to write it as a PNG."
)


class WebhookNotifier:
    def __init__(self, *, url: str, max_retries: int = DEFAULT_MAX_RETRIES, timeout: int = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._url = url
        self._client = WebhookClient(url, timeout=timeout, logger=sdk_logger(url), retry_handlers=retry_handlers(max_retries))

    def send(self, n: AnyNotification) -> Delivery:
        content = build_content(n)
        chart_note = CHART_NOTE if isinstance(n, Notification) else None  # a report has no chart to miss
        try:
            response = self._client.send(
                text=render_fallback(content, chart_note=chart_note),
                blocks=render_blocks(content, chart_note=chart_note),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (OSError, ValueError) as exc:  # refused, DNS, timeout (after the SDK's retries); unreadable answers
            return self._failed(n, classify_transport_error(exc, "webhook"))
        if response.status_code == 200:
            log.info("slack webhook delivered", extra={"key": n.key, "kind": n.kind})
            return Delivery.delivered()
        status = response.status_code
        # 429 and 5xx pass; 400 invalid_payload, 403 invalid_token, 404 no_service, 410 channel_is_archived do not.
        body = (response.body or "").strip()[:200]
        return self._failed(
            n, Delivery.failed(f"webhook: HTTP {status} {body}".rstrip(), retryable=status == 429 or status >= 500)
        )

    def _failed(self, n: AnyNotification, delivery: Delivery) -> Delivery:
        return log_failure(log, "slack webhook delivery failed", n, delivery)
