"""Alert delivery: one Notifier per channel, chosen from `[tool.predguard.drift.slack]` and the
environment.

    a bot token in $token_env (default SLACK_BOT_TOKEN)    -> SlackNotifier (message + chart in thread)
    else a webhook URL in $webhook_env (SLACK_WEBHOOK_URL)  -> WebhookNotifier (message, no chart)
    else                                                    -> TerminalNotifier (text + PNG file)

Secrets come only from the environment: a `token` or `webhook_url` written in the config file
is refused (it would end up in git), and neither ever reaches a log.
"""
from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from predguard.errors import InputError
from predguard.monitors.alerting.delivery import DEFAULT_MAX_RETRIES, SLACK_API_URL, Delivery, Notifier

if TYPE_CHECKING:
    from predguard.monitors.alerting.slack import SlackNotifier
    from predguard.monitors.alerting.terminal import TerminalNotifier
    from predguard.monitors.alerting.webhook import WebhookNotifier

__all__ = ["Delivery", "Notifier", "build_notifier", "SlackNotifier", "WebhookNotifier", "TerminalNotifier"]

# The notifiers load slack-sdk and matplotlib (0.8 s): imported when one is built or named, so a
# run that needs neither (a dry run, the terminal without a chart) never pays for them.
_NOTIFIERS = {"SlackNotifier": "slack", "WebhookNotifier": "webhook", "TerminalNotifier": "terminal"}


def __getattr__(name: str) -> Any:
    if name in _NOTIFIERS:
        module = importlib.import_module(f"{__name__}.{_NOTIFIERS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

WHERE = "[tool.predguard.drift.slack]"
_KNOWN_KEYS = frozenset({"token_env", "webhook_env", "channel", "base_url", "max_retries"})
_SECRET_KEYS = frozenset({"token", "bot_token", "webhook", "webhook_url", "url"})


def build_notifier(
    config: Mapping[str, Any],
    *,
    out: TextIO = sys.stdout,
    chart_dir: Path = Path(".predguard/charts"),
    environ: Mapping[str, str] | None = None,
) -> Notifier:
    env = os.environ if environ is None else environ
    _check_keys(config)
    token_env = _name(config, "token_env", "SLACK_BOT_TOKEN")
    webhook_env = _name(config, "webhook_env", "SLACK_WEBHOOK_URL")
    max_retries = config.get("max_retries", DEFAULT_MAX_RETRIES)
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or not 0 <= max_retries <= 10:
        raise InputError(f"max_retries must be an integer from 0 to 10, got {max_retries!r}", where=WHERE)

    token = env.get(token_env, "").strip()
    if token:
        channel = config.get("channel")
        if not isinstance(channel, str) or not channel.strip():
            raise InputError(
                f"a bot token is set in ${token_env} but no channel: add channel = \"#alerts\" (or a channel id)",
                where=WHERE,
            )
        base_url = config.get("base_url", SLACK_API_URL)
        _check_url(base_url, "base_url")
        from predguard.monitors.alerting.slack import SlackNotifier

        return SlackNotifier(token=token, channel=channel.strip(), base_url=base_url, max_retries=max_retries)

    webhook_url = env.get(webhook_env, "").strip()
    if webhook_url:
        if urlsplit(webhook_url).scheme not in ("http", "https") or not urlsplit(webhook_url).netloc:
            # Never echo the value: it is the secret.
            raise InputError(f"${webhook_env} is not an http(s) URL", where=webhook_env)
        from predguard.monitors.alerting.webhook import WebhookNotifier

        return WebhookNotifier(url=webhook_url, max_retries=max_retries)

    from predguard.monitors.alerting.terminal import TerminalNotifier

    return TerminalNotifier(out=out, chart_dir=chart_dir)


def _check_keys(config: Mapping[str, Any]) -> None:
    secrets = sorted(set(config) & _SECRET_KEYS)
    if secrets:
        raise InputError(
            f"`{secrets[0]}` must not be in the config file (it would be committed): put the secret in the "
            "environment (SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL, or the variables named by token_env/webhook_env)",
            where=WHERE,
        )
    unknown = sorted(set(config) - _KNOWN_KEYS)
    if unknown:
        raise InputError(f"unknown key `{unknown[0]}` (expected one of {', '.join(sorted(_KNOWN_KEYS))})", where=WHERE)


def _name(config: Mapping[str, Any], key: str, default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{key} must name an environment variable, got {value!r}", where=WHERE)
    return value.strip()


def _check_url(value: Any, key: str) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{key} must be an http(s) URL such as {SLACK_API_URL}, got {value!r}", where=WHERE)
