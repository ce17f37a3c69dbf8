"""Trigger retraining on a confirmed breach: a configured command, or a webhook POST.

Called only for a "breach" notification — the state change — so one breach triggers one
retraining, however many days it keeps firing and however often the job is re-run.
A trigger that fails is reported (and logged) but never hides the alert itself.
(Pub/Sub topics and GitHub issues are not implemented: a command can do either, e.g.
`gcloud pubsub topics publish ...` or `gh issue create ...`.)
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from predguard.monitors.model import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriggerResult:
    system_id: str
    how: str  # "command" or "webhook"
    ok: bool
    detail: str  # exit code / HTTP status, or the error


def payload(notification: Notification) -> dict[str, object]:
    verdict = notification.verdict
    return {
        "event": "predguard.drift.breach",
        "system_id": verdict.system_id,
        "as_of": verdict.as_of.isoformat(),
        "hit_rate": verdict.current.rate,
        "n": verdict.current.n,
        "floor": verdict.floor,
        "breach_since": verdict.breach_since.isoformat() if verdict.breach_since else None,
        "key": notification.key,
    }


def trigger(
    notification: Notification, *, command: Sequence[str] = (), webhook: str | None = None, timeout: float = 600.0
) -> list[TriggerResult]:
    if notification.kind != "breach":
        return []
    results = []
    if command:
        results.append(run_command(notification, command, timeout=timeout))
    if webhook:
        results.append(post_webhook(notification, webhook))
    return results


def run_command(notification: Notification, command: Sequence[str], *, timeout: float) -> TriggerResult:
    """Run the command with the breach in its environment (PREDGUARD_* variables)."""
    data = payload(notification)
    env = {**os.environ, "PREDGUARD_EVENT": json.dumps(data)}
    env.update({f"PREDGUARD_{k.upper()}": "" if v is None else str(v) for k, v in data.items() if k != "event"})
    system = notification.verdict.system_id
    try:
        done = subprocess.run(list(command), env=env, timeout=timeout, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        result = TriggerResult(system, "command", False, f"command not found: {command[0]}")
    except subprocess.TimeoutExpired:
        result = TriggerResult(system, "command", False, f"timed out after {timeout:g} s")
    else:
        detail = f"exit {done.returncode}"
        if done.returncode != 0 and done.stderr.strip():
            detail += f": {done.stderr.strip().splitlines()[-1]}"
        result = TriggerResult(system, "command", done.returncode == 0, detail)
    log.info("retrain command", extra={"system_id": system, "ok": result.ok, "detail": result.detail})
    return result


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError))


@retry(retry=retry_if_exception(_transient), stop=stop_after_attempt(3), wait=wait_exponential_jitter(multiplier=0.5, max=4), reraise=True)
def _post(url: str, body: bytes, timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the configured URL)
        return int(response.status)


def post_webhook(notification: Notification, url: str, *, timeout: float = 10.0) -> TriggerResult:
    """POST the breach as JSON; 429/5xx/connection errors are retried with backoff and jitter."""
    system = notification.verdict.system_id
    body = json.dumps(payload(notification)).encode()
    try:
        status = _post(url, body, timeout)
        result = TriggerResult(system, "webhook", 200 <= status < 300, f"HTTP {status}")
    except urllib.error.HTTPError as exc:
        result = TriggerResult(system, "webhook", False, f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        result = TriggerResult(system, "webhook", False, f"unreachable: {reason}")
    # the URL may carry a secret: it is never logged
    log.info("retrain webhook", extra={"system_id": system, "ok": result.ok, "detail": result.detail})
    return result
