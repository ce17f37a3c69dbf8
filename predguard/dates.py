"""The one date grammar for user input: an ISO 8601 calendar date, YYYY-MM-DD, nothing else.

`date.fromisoformat` alone also takes 20260130 and 2026-W05-5 (Python 3.11+), which reads as a
typo more often than a choice; every command and the Pub/Sub push share this stricter form.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from predguard.errors import InputError

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(text: str) -> dt.date:
    """`text` as a date; ValueError saying what was expected unless it is a real YYYY-MM-DD."""
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # 2026-02-30: the right shape, not a day
    raise ValueError(f"{text!r} is not a date in YYYY-MM-DD format")


def iso_date_option(where: str) -> Callable[[str], dt.date]:
    """An argparse `type=` for option `where` (e.g. "--date"): bad input is an InputError naming
    the option (argparse lets it through, unlike ValueError, so the message stays ours)."""

    def parse(text: str) -> dt.date:
        try:
            return parse_iso_date(text)
        except ValueError as exc:
            raise InputError(str(exc), where=where) from None

    return parse
