"""Slack with a bot token: chat.postMessage with Block Kit, then the chart into the alert's thread.

Threading: a breach or drift warning starts a thread; its chart, reminders and the resolved
message go into it (`Notification.thread_ts`). Reminders and resolved are also broadcast to
the channel (`reply_broadcast`): a thread reply alone notifies only people following the
thread, and these are exactly the two messages the whole channel must see — "still broken,
nobody acted" and "all clear" — while staying attached to the alert's history. Both are rare
(at most one reminder per `repeat_days`), so broadcasting them is not noise.

The chart is uploaded after the message with the external-upload flow (`files_upload_v2`:
files.getUploadURLExternal, a raw POST of the bytes, files.completeUploadExternal). The message
is what must arrive exactly once: if only the upload fails, the delivery still counts (no
second message on retry) and the failure is reported as a warning.
"""
from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from predguard.monitors.alerting.blocks import render_blocks, render_fallback
from predguard.monitors.alerting.content import build_content
from predguard.monitors.alerting.delivery import Delivery
from predguard.monitors.alerting.sdk import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    classify_api_error,
    classify_transport_error,
    log_failure,
    retry_handlers,
    sdk_logger,
)
from predguard.monitors.chart import notification_chart
from predguard.monitors.model import Notification
from predguard.redact import redact

log = logging.getLogger(__name__)
SLACK_API_URL = WebClient.BASE_URL


class SlackNotifier:
    def __init__(
        self,
        *,
        token: str,
        channel: str,
        base_url: str = SLACK_API_URL,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: int = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._token = token
        self.channel = channel
        self._client = WebClient(
            token=token,
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=timeout,
            logger=sdk_logger(token),
            retry_handlers=retry_handlers(max_retries),
        )

    def send(self, n: Notification) -> Delivery:
        content = build_content(n)
        broadcast = n.thread_ts is not None and n.kind in ("reminder", "resolved")
        try:
            response = self._client.chat_postMessage(
                channel=self.channel,
                text=render_fallback(content),
                blocks=render_blocks(content),
                thread_ts=n.thread_ts,
                reply_broadcast=broadcast or None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            return self._failed(n, classify_api_error(exc, "chat.postMessage"))
        except (OSError, ValueError) as exc:  # refused, DNS, timeouts, resets (after the SDK's retries); unreadable answers
            return self._failed(n, classify_transport_error(exc, "chat.postMessage"))

        ts = str(response["ts"])
        channel_id = str(response.get("channel") or self.channel)  # uploads need the id, not "#name"
        log.info(
            "slack message delivered",
            extra={"key": n.key, "kind": n.kind, "channel": channel_id, "ts": ts, "thread_ts": n.thread_ts},
        )
        warning = self._upload_chart(n, channel_id, thread_ts=n.thread_ts or ts)
        return Delivery.delivered(ts=ts, warning=warning)

    def _upload_chart(self, n: Notification, channel_id: str, *, thread_ts: str) -> str | None:
        as_of = n.verdict.as_of.isoformat()
        try:
            self._client.files_upload_v2(
                channel=channel_id,
                thread_ts=thread_ts,
                content=notification_chart(n),
                filename=f"{n.verdict.system_id}-{as_of}.png",
                title=f"{n.verdict.system_id} hit rate as of {as_of}",
                alt_txt=f"Daily and weekly hit rate of {n.verdict.system_id} with Wilson intervals and the floor",
            )
        except SlackApiError as exc:
            warning = classify_api_error(exc, "chart upload").error
        except (SlackRequestError, OSError) as exc:  # the raw upload POST has no retry handlers
            warning = f"chart upload: {type(exc).__name__}: {exc}"
        else:
            return None
        warning = redact(str(warning))
        log.warning("slack chart upload failed; the message was delivered", extra={"key": n.key, "reason": warning})
        return warning

    def _failed(self, n: Notification, delivery: Delivery) -> Delivery:
        return log_failure(log, "slack delivery failed", n, delivery)
