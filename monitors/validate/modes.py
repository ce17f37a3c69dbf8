"""Which expectations apply: pre_game (before the day's games: grading cannot exist yet) or
post_game (after them: everything must be there). `auto` decides from the clock and the
schedule in the league's time zone — a game day belongs to the league's zone, not UTC.

    the day is after today (league time)              -> pre_game
    the day is before today                           -> post_game
    the day is today, some of its games not final     -> pre_game
    the day is today, every game final                -> post_game
    the day is today, no games (or no schedule)       -> pre_game: nothing has been played
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from predguard.monitors.validate.config import Schedule
from predguard.monitors.validate.dialect import SqlContext, count_if
from predguard.monitors.validate.model import Mode

SCHEDULE_PART = "_schedule"


def league_today(now: dt.datetime, timezone: str) -> dt.date:
    return now.astimezone(ZoneInfo(timezone)).date()


def schedule_metrics(schedule: Schedule, sql: SqlContext) -> dict[str, str]:
    finals = ", ".join(sql.dialect.literal(v) for v in schedule.final_values)
    source = f"FROM {sql.rel(schedule.table)} WHERE {sql.on_day(schedule.date_column)}"
    return {
        "games": f"SELECT COUNT(*) {source}",
        "final": f"SELECT {count_if(f'{sql.col(schedule.status_column)} IN ({finals})')} {source}",
    }


def decide(day: dt.date, now: dt.datetime, timezone: str, games: int | None, final: int | None, note: str = "") -> tuple[Mode, str]:
    """The mode for `day` at `now`, and why (for the report)."""
    local = now.astimezone(ZoneInfo(timezone))
    clock = f"{local:%Y-%m-%d %H:%M} {timezone}"
    today = local.date()
    if day > today:
        return "pre_game", f"auto: {day} has not started, at {clock}"
    if day < today:
        return "post_game", f"auto: {day} is over, at {clock}"
    if games is None:
        return "pre_game", f"auto: {day} is today and the schedule is unknown{note}, at {clock}"
    if games == 0:
        return "pre_game", f"auto: no games scheduled on {day}, at {clock}"
    if (final or 0) >= games:
        return "post_game", f"auto: all {games} games on {day} are final, at {clock}"
    return "pre_game", f"auto: {games - (final or 0)} of {games} games on {day} not final yet, at {clock}"
