"""Processing modes, and inferring one from a target date against "now" in the league's time zone.

A game day belongs to the league's zone, not UTC: at 01:00 UTC on 31 January it is still
30 January in New York, and a run for the 30th is a same-day run.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from predguard.errors import InputError

DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_BACKFILL_AFTER_DAYS = 7


class ProcessingMode(str, enum.Enum):
    SAME_DAY = "same_day"  # the target date is today (or later) in the league's zone: games may not be played yet
    POST_GAME = "post_game"  # a recent past date: the data must be there
    BACKFILL = "backfill"  # an older date, re-processed: the data must be there too

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ModePolicy:
    """How a processor infers its mode: the league's time zone and when a past date becomes a backfill."""

    timezone: str = DEFAULT_TIMEZONE
    backfill_after_days: int = DEFAULT_BACKFILL_AFTER_DAYS

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"unknown time zone {self.timezone!r} (an IANA name like 'America/New_York')", where="timezone") from None
        if self.backfill_after_days < 1:
            raise InputError(f"backfill_after_days must be at least 1, got {self.backfill_after_days}", where="backfill_after_days")

    def league_today(self, now: datetime) -> date:
        """Today's date in the league's zone. A naive `now` is taken as UTC."""
        aware = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
        return aware.astimezone(ZoneInfo(self.timezone)).date()

    def infer(self, target_date: date, now: datetime) -> ProcessingMode:
        age_days = (self.league_today(now) - target_date).days
        if age_days <= 0:
            return ProcessingMode.SAME_DAY
        if age_days > self.backfill_after_days:
            return ProcessingMode.BACKFILL
        return ProcessingMode.POST_GAME


def parse_mode(value: str, where: str = "mode") -> ProcessingMode:
    try:
        return ProcessingMode(value)
    except ValueError:
        choices = ", ".join(m.value for m in ProcessingMode)
        raise InputError(f"unknown mode {value!r}; one of: {choices}", where=where) from None
