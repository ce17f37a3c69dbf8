"""Slack Block Kit and its plain-text fallback, rendered from `content.Content`.

The fallback `text` is what notifications, screen readers and clients without Block Kit show,
so it carries the whole message, not just the title. Block Kit limits (header 150 chars,
section text 3000, field 2000, 10 fields, 10 context elements) are enforced here so Slack never
answers `invalid_blocks` for a long system id or many notes.
"""
from __future__ import annotations

from typing import Any

from predguard.monitors.alerting.content import Content, Severity

_HEADER_MAX = 150
_TEXT_MAX = 3000
_FIELD_MAX = 2000
_FALLBACK_MAX = 3900  # Slack truncates `text` beyond 40,000 chars; notifications show far less
_NOTES_MAX = 5
_ICON: dict[Severity, str] = {
    "critical": ":rotating_light:",
    "warning": ":warning:",
    "info": ":information_source:",
    "ok": ":white_check_mark:",
}


def escape(text: str) -> str:
    """Slack mrkdwn control characters (https://docs.slack.dev/messaging/formatting-message-text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_blocks(content: Content, *, chart_note: str | None = None) -> list[dict[str, Any]]:
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{escape(label)}*\n{escape(value)}", _FIELD_MAX)}
        for label, value in content.fields[:10]
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(f"{_ICON[content.severity]} {content.title}", _HEADER_MAX), "emoji": True},
        },
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(f"*{escape(content.trend_label)}*\n{escape(content.trend)}", _TEXT_MAX)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(f"*What to do*\n{escape(content.action)}", _TEXT_MAX)}},
    ]
    notes = _notes(content)
    if notes:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(escape(note), _TEXT_MAX)} for note in notes]}
        )
    context = [{"type": "mrkdwn", "text": escape(content.context)}]
    if chart_note:
        context.append({"type": "mrkdwn", "text": escape(chart_note)})
    blocks.append({"type": "context", "elements": context})
    return blocks


def render_fallback(content: Content, *, chart_note: str | None = None) -> str:
    lines = [content.title]
    lines += [f"{label}: {value}" for label, value in content.fields]
    lines.append(f"{content.trend_label}: {content.trend}")
    lines.append(f"What to do: {content.action}")
    lines += _notes(content)
    lines.append(content.context)
    if chart_note:
        lines.append(chart_note)
    return _clip("\n".join(lines), _FALLBACK_MAX)


def _notes(content: Content) -> list[str]:
    notes = list(content.notes[:_NOTES_MAX])
    hidden = len(content.notes) - len(notes)
    if hidden:
        notes.append(f"… and {hidden} more note{'s' if hidden > 1 else ''} (see `predguard drift --format json`)")
    return notes


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
