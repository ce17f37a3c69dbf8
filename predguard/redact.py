"""The one secret redactor: every log line, delivery error and report goes through `redact`.

Two kinds of secret are caught. Shapes that are secret wherever they appear (URL passwords,
secret-named query parameters, Authorization/Bearer values, Slack tokens and webhook URLs, a GCP
service-account key's private key), and values the running process holds, whatever they look
like: those it registered (a Slack token or webhook URL) and the values of its environment
variables whose names look secret (DB_PASSWORD, WAREHOUSE_API_KEY, ...).
"""
from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any

MARK = "[redacted]"

# Keys whose value is a secret whatever it looks like (dict keys, JSON fields, log extras).
_SECRET_KEY = re.compile(r"token|secret|password|passwd|webhook|authorization|api_?key|private_key|credential", re.I)
# Query parameters that carry a credential (?access_token=..., &sig=..., &key=...).
_SECRET_PARAM = r"(?:[A-Za-z_-]*(?:token|secret|password|passwd|api_?key|signature)|key|sig|auth)"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A whole PEM private key (a GCP key file's "private_key", with real or escaped newlines).
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----(?:\\n|\n)?", re.S), MARK),
    # JSON "private_key_id": "..." and "private_key": "..." (a key file pasted into a message).
    (re.compile(r'("private_key(?:_id)?"\s*:\s*")(?:[^"\\]|\\.)*(")'), rf"\g<1>{MARK}\g<2>"),
    # Slack incoming-webhook URLs: the path is the credential.
    (re.compile(r"https://hooks\.slack(?:-gov)?\.com/\S+"), MARK),
    # Slack tokens: bot, user, app, refresh, configuration.
    (re.compile(r"\bxox[abposrce]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+"), MARK),
    # Authorization headers and bare bearer/basic credentials.
    (re.compile(r"(\bAuthorization[\"']?\s*[:=]\s*[\"']?(?:[A-Za-z]+\s+)?)[^\s,;\"']+", re.I), rf"\g<1>{MARK}"),
    (re.compile(r"(\bBearer\s+)(?!\[redacted\])[A-Za-z0-9._~+/=-]+", re.I), rf"\g<1>{MARK}"),
    # scheme://user:password@host
    (re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+(@)"), rf"\g<1>{MARK}\g<2>"),
    # ?token=...&api_key=...
    (re.compile(rf"([?&]{_SECRET_PARAM}=)[^&#\s]+", re.I), rf"\g<1>{MARK}"),
)

# Shorter values of secret-named variables ("1", "true", a port) are not secrets worth erasing
# from every line that happens to contain them.
MIN_ENV_SECRET_LENGTH = 8

_known: set[str] = set()
_known_lock = threading.Lock()


def register(secret: str) -> None:
    """Redact `secret` verbatim from now on (a token or webhook URL this process holds)."""
    if secret:
        with _known_lock:
            _known.add(secret)


def redact(value: Any) -> Any:
    """`value` with every secret replaced by [redacted]; dicts and lists are walked, keys that
    name a credential have their whole value redacted, other types pass through unchanged."""
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, dict):
        return {k: MARK if _SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def environment_secrets() -> set[str]:
    """Values of the environment variables whose names look secret (read each time: the
    environment can change while the process runs)."""
    return {value for name, value in os.environ.items()
            if _SECRET_KEY.search(name) and len(value) >= MIN_ENV_SECRET_LENGTH}


def _redact_text(text: str) -> str:
    with _known_lock:
        known = _known | environment_secrets()
    for secret in sorted(known, key=len, reverse=True):  # longest first: a URL before a token inside it
        text = text.replace(secret, MARK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Redacts a record's message (arguments merged in) before any handler sees it; attach it to
    a logger that a third-party library writes to (slack-sdk logs request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = _redact_text(record.getMessage()), None
        return True
