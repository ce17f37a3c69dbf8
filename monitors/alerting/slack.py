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

Exactly once: every post carries its alert key in Slack message metadata
(`event_type` predguard_alert, `event_payload.key`). When the outbox re-sends something whose
previous attempt's fate is unknown (the run crashed after Slack accepted the post, or a
timeout), it first calls `find_delivered`, which reads the channel's recent history
(conversations.history with include_all_metadata; needs the channels:history scope, plus
channels:read when `channel` is a name rather than an id) and returns the earlier message
instead of posting again. If that look-up itself fails, the message is sent (a possible
repeat, never a loss) and the reason is logged.
"""
from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from predguard.monitors.alerting.blocks import render_blocks, render_fallback
from predguard.monitors.alerting.content import build_content
from predguard.monitors.alerting.delivery import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_SECONDS, SLACK_API_URL, Delivery
from predguard.monitors.alerting.sdk import (
    classify_api_error,
    classify_transport_error,
    log_failure,
    retry_handlers,
    sdk_logger,
)
from predguard.monitors.model import AnyNotification, Notification
from predguard.redact import redact

log = logging.getLogger(__name__)
METADATA_EVENT = "predguard_alert"
HISTORY_PAGES = 5  # x 200 messages: far more than a channel receives between two daily runs


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
        self._resolved_channel: str | None = None
        self._client = WebClient(
            token=token,
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=timeout,
            logger=sdk_logger(token),
            retry_handlers=retry_handlers(max_retries),
        )

    def send(self, n: AnyNotification) -> Delivery:
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
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": n.key}},
            )
        except SlackApiError as exc:
            return self._failed(n, classify_api_error(exc, "chat.postMessage"))
        except (OSError, ValueError) as exc:  # refused, DNS, timeouts, resets (after the SDK's retries); unreadable answers
            return self._failed(n, classify_transport_error(exc, "chat.postMessage"))

        ts = str(response["ts"])
        channel_id = str(response.get("channel") or self.channel)  # uploads need the id, not "#name"
        self._resolved_channel = self._resolved_channel or (channel_id if response.get("channel") else None)
        log.info(
            "slack message delivered",
            extra={"key": n.key, "kind": n.kind, "channel": channel_id, "ts": ts, "thread_ts": n.thread_ts},
        )
        warning = self._upload_chart(n, channel_id, thread_ts=n.thread_ts or ts) if isinstance(n, Notification) else None
        return Delivery.delivered(ts=ts, warning=warning)

    def find_delivered(self, n: AnyNotification) -> Delivery | None:
        """The earlier post of `n` in the channel's recent history, or None (then send it)."""
        try:
            channel_id = self._channel_id()
            cursor = None
            for _ in range(HISTORY_PAGES):
                page = self._client.conversations_history(
                    channel=channel_id, include_all_metadata=True, limit=200, cursor=cursor
                )
                for message in page.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == n.key:
                        log.info("slack message already delivered", extra={"key": n.key, "ts": message.get("ts")})
                        return Delivery.delivered(ts=str(message["ts"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except (SlackApiError, OSError) as exc:
            reason = redact(f"{type(exc).__name__}: {exc}")
            log.warning("slack history look-up failed; sending (a repeat is possible)", extra={"key": n.key, "reason": reason})
        return None

    def _channel_id(self) -> str:
        """conversations.history needs the id; a configured "#name" is looked up once."""
        if self._resolved_channel is not None:
            return self._resolved_channel
        name = self.channel.removeprefix("#")
        if not self.channel.startswith("#") and name[:1] in ("C", "G") and name.isupper():
            self._resolved_channel = name
            return name
        cursor = None
        while True:
            page = self._client.conversations_list(types="public_channel,private_channel", limit=1000, cursor=cursor)
            for channel in page.get("channels") or []:
                if channel.get("name") == name:
                    self._resolved_channel = str(channel["id"])
                    return self._resolved_channel
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise OSError(f"channel {self.channel!r} not found by conversations.list")

    def _upload_chart(self, n: Notification, channel_id: str, *, thread_ts: str) -> str | None:
        as_of = n.verdict.as_of.isoformat()
        try:
            self._client.files_upload_v2(
                channel=channel_id,
                thread_ts=thread_ts,
                content=_chart(n),
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

    def _failed(self, n: AnyNotification, delivery: Delivery) -> Delivery:
        return log_failure(log, "slack delivery failed", n, delivery)


def _chart(n: Notification) -> bytes:
    from predguard.monitors.chart import notification_chart  # matplotlib: only when a chart is sent

    return notification_chart(n)
