"""The drift monitor's notifications in the durable outbox (`predguard.outbox`): every
notification is written there before it is sent, and delivered exactly once per key, however
many runs it takes.

The outbox's topic is the alert (fingerprint): a reminder or resolved waits while an earlier
notification of its alert is still pending. The Slack thread lives in the alert state alone:
when an announcement (breach, drift warning, validation alert) is delivered its ts is written there at once, and
a reminder or resolved enqueued before its thread was known is threaded from there when sent.

Before re-sending a notification whose previous attempt's fate is unknown (a claim that outlived
its lease, or a retryable failure such as a timeout after the request left), the outbox asks a
notifier that has `find_delivered(n)` (the bot-token Slack notifier: the alert key is in the
message's metadata) and records the message it finds instead of posting a second one. A
notifier without it (webhook) keeps the window: a crash between Slack accepting and the outbox
recording repeats the message once, chosen over losing it. `in_flight()` lists notifications
claimed by a deliverer within its lease, so a rerun can say that an alert is pending.
`delivery_exit_code` is how a command tells its scheduler that a notification is not delivered.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sized
from typing import Protocol

from predguard.monitors.alerting.delivery import Delivery, Notifier
from predguard.monitors.model import ALERT_KINDS, AnyNotification
from predguard.errors import EXIT_OK, EXIT_PENDING
from predguard.monitors.serialize import notification_from_json, notification_to_json
from predguard.outbox import Entry, InFlight, Outbox, Waiting

__all__ = ["Attempt", "InFlight", "NotificationOutbox", "Threads", "delivery_exit_code"]

log = logging.getLogger(__name__)

ANNOUNCEMENTS = ALERT_KINDS  # the messages that open a Slack thread
REPLIES = ("reminder", "resolved")  # the messages posted in it


class Threads(Protocol):
    """Where an alert's Slack thread is kept (the alert state stores)."""

    def thread_ts(self, fp: str) -> str | None: ...

    def set_thread_ts(self, fp: str, ts: str) -> None: ...


class Attempt(Protocol):
    """One delivery as a command reports it: sent True, False (kept for the next run or
    dead-lettered), None (a dry run)."""

    @property
    def sent(self) -> bool | None: ...


def delivery_exit_code(attempts: Iterable[Attempt], in_flight: Sized) -> int:
    """EXIT_PENDING (75) while a notification stays in the outbox undelivered -- this run's
    delivery failed (kept for the next run, or dead-lettered) or another run holds it within its
    lease -- else EXIT_OK. Findings (exit 1) are the command's own and win over this."""
    if len(in_flight) or any(a.sent is False for a in attempts):
        return EXIT_PENDING
    return EXIT_OK


class NotificationOutbox(Outbox):
    def enqueue(self, n: AnyNotification) -> bool:
        """Store `n` durably. False when its key is already here (pending, delivered or dead)."""
        added = self.put(n.kind, n.key, notification_to_json(n), topic=n.fingerprint, blob=n.chart_png)
        log.info("outbox enqueue", extra={"key": n.key, "kind": n.kind, "added": added})
        return added

    def deliver_pending(self, notifier: Notifier, threads: Threads | None = None) -> list[tuple[str, Delivery]]:
        """Send every pending notification once, oldest first; what happened to each key tried."""

        def send(entry: Entry) -> Delivery:
            try:
                n = notification_from_json(entry.payload, entry.blob)
            except (ValueError, KeyError, TypeError) as exc:
                return Delivery.failed(f"stored payload unreadable: {exc}", retryable=False)
            if n.thread_ts is None and n.kind in REPLIES and threads is not None:
                n = dataclasses.replace(n, thread_ts=threads.thread_ts(n.fingerprint))
            try:
                delivery = _find_or_send(notifier, n, look_first=entry.unknown_fate)
            except Exception as exc:  # a notifier bug must not strand the row in 'sending'
                log.exception("notifier raised", extra={"key": n.key})
                return Delivery.failed(f"notifier raised {type(exc).__name__}: {exc}", retryable=True)
            if delivery.ok and delivery.ts and n.kind in ANNOUNCEMENTS and threads is not None:
                threads.set_thread_ts(n.fingerprint, delivery.ts)  # before a reply of this alert is sent
            return delivery

        results: list[tuple[str, Delivery]] = []
        for entry, outcome in self.deliver(send):
            if isinstance(outcome, Waiting):
                outcome = Delivery.failed("waiting for an earlier notification of this alert", retryable=True)
            assert isinstance(outcome, Delivery)
            results.append((entry.key, outcome))
        return results


def _find_or_send(notifier: Notifier, n: AnyNotification, *, look_first: bool) -> Delivery:
    find = getattr(notifier, "find_delivered", None)
    if look_first and find is not None:
        found: Delivery | None = find(n)
        if found is not None:
            log.info("outbox found an earlier delivery", extra={"key": n.key, "ts": found.ts})
            return found
    return notifier.send(n)
