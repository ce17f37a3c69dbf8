"""The phase-3 processors. Box-score processors find nothing on a game day before the games
are final: that is the expected same-day skip, not a failure. Context processors read the
schedule, which exists ahead of time, so they succeed on the same day.

Each declares its output table (predguard.processors.output.OutputSchema) and writes through
write–audit–publish, keyed by the table's primary key: a re-run or a redelivery rewrites the
same rows, never duplicates them.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from statistics import mean
from typing import Any, ClassVar

import duckdb

from data_processors.analytics import sources, warehouse
from predguard.processors import ProcessingMode, Processor, RunContext, ValidationError
from predguard.processors.output import Audit, Column, InRange, OutputSchema

Rows = list[dict[str, Any]]


def _key(*names: str) -> list[Column]:
    return [Column(n, "DATE" if n == "game_date" else "STRING", required=True) for n in names]


class _Phase3(Processor):
    phase = 3
    # The warehouse file locked by another process, or a volume hiccup: worth a redelivery.
    transient_errors = (duckdb.IOException,)
    output: ClassVar[OutputSchema]
    audits: ClassVar[tuple[Audit, ...]] = ()
    source: ClassVar[str] = ""  # the input recorded as provenance (source_used_<input>)

    def load(self, data: Rows, ctx: RunContext) -> int:
        source = self.output.provenance[0]
        return warehouse.write(self.output, data, run_id=ctx.run_id, audits=self.audits, provenance={source: self.source})


class _BoxScoreProcessor(_Phase3):
    """Reads one date's box scores; a date whose games are not all final is a same-day date."""

    source = "box_scores.csv"

    def determine_mode(self, target_date: date, now: datetime) -> ProcessingMode:
        # Games not final yet (late games end after midnight in the league's zone) ⇒ same day.
        if sources.games_not_final(target_date):
            return ProcessingMode.SAME_DAY
        return super().determine_mode(target_date, now)

    def extract(self, ctx: RunContext) -> Rows:
        return sources.box_scores(ctx.target_date)

    def validate(self, data: Rows, ctx: RunContext) -> Rows:
        bad = [r for r in data if int(r["minutes"]) < 0 or int(r["points"]) < 0]
        if bad:
            raise ValidationError(f"{len(bad)} box-score line(s) with negative minutes or points, e.g. game {bad[0]['game_id']}")
        return data


def _possessions(lines: Rows) -> float:
    return sum(int(r["fga"]) + 0.44 * int(r["fta"]) - int(r["oreb"]) + int(r["turnovers"]) for r in lines)


class PlayerGameSummary(_BoxScoreProcessor):
    name = "player_game_summary"
    output = OutputSchema(
        "player_game_summary",
        [*_key("game_id", "player"), Column("game_date", "DATE", required=True), Column("team", "STRING", required=True),
         Column("minutes", "INT64", required=True), Column("points", "INT64", required=True),
         Column("rebounds", "INT64"), Column("assists", "INT64"), Column("points_per_36", "FLOAT64")],
        primary_key=("game_id", "player"),
        provenance=("box_scores",),
    )
    audits = (InRange("points", 0, 100), InRange("minutes", 0, 65))

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        out = []
        for r in data:
            row = {"game_id": r["game_id"], "game_date": r["game_date"], "team": r["team"], "player": r["player"],
                   "minutes": int(r["minutes"]), "points": int(r["points"]), "rebounds": int(r["rebounds"]),
                   "assists": int(r["assists"])}
            if int(r["minutes"]):  # no minutes: no rate (NULL, and the row says it is degraded)
                row["points_per_36"] = round(int(r["points"]) * 36 / int(r["minutes"]), 2)
            out.append(row)
        return out


class TeamOffenseGameSummary(_BoxScoreProcessor):
    name = "team_offense_game_summary"
    output = OutputSchema(
        "team_offense_game_summary",
        [*_key("game_id", "team"), Column("game_date", "DATE", required=True), Column("points", "INT64", required=True),
         Column("assists", "INT64"), Column("possessions", "FLOAT64"), Column("offensive_rating", "FLOAT64")],
        primary_key=("game_id", "team"),
        provenance=("box_scores",),
    )

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        by_team: dict[tuple[str, str], Rows] = defaultdict(list)
        for r in data:
            by_team[(r["game_id"], r["team"])].append(r)
        out = []
        for (game_id, team), lines in sorted(by_team.items()):
            points = sum(int(r["points"]) for r in lines)
            possessions = _possessions(lines)
            row = {"game_id": game_id, "game_date": lines[0]["game_date"], "team": team, "points": points,
                   "assists": sum(int(r["assists"]) for r in lines), "possessions": round(possessions, 1)}
            if possessions:
                row["offensive_rating"] = round(100 * points / possessions, 1)
            out.append(row)
        return out


class TeamDefenseGameSummary(_BoxScoreProcessor):
    name = "team_defense_game_summary"
    output = OutputSchema(
        "team_defense_game_summary",
        [*_key("game_id", "team"), Column("game_date", "DATE", required=True),
         Column("points_allowed", "INT64", required=True), Column("defensive_rating", "FLOAT64")],
        primary_key=("game_id", "team"),
        provenance=("box_scores",),
    )

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        allowed: dict[tuple[str, str], Rows] = defaultdict(list)
        for r in data:  # a line scored against the opponent is points the opponent allowed
            allowed[(r["game_id"], r["opponent"])].append(r)
        out = []
        for (game_id, team), lines in sorted(allowed.items()):
            points = sum(int(r["points"]) for r in lines)
            possessions = _possessions(lines)
            row = {"game_id": game_id, "game_date": lines[0]["game_date"], "team": team, "points_allowed": points}
            if possessions:
                row["defensive_rating"] = round(100 * points / possessions, 1)
            out.append(row)
        return out


class UpcomingTeamGameContext(_Phase3):
    """Each team playing on the date, with its rest days since its previous game."""

    name = "upcoming_team_game_context"
    source = "schedule.csv"
    output = OutputSchema(
        "upcoming_team_game_context",
        [*_key("game_id", "team"), Column("game_date", "DATE", required=True), Column("is_home", "BOOL", required=True),
         Column("rest_days", "INT64")],
        primary_key=("game_id", "team"),
        provenance=("schedule",),
    )

    def extract(self, ctx: RunContext) -> Rows:
        return sources.schedule(ctx.target_date)

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        previous = sources.schedule(before=ctx.target_date)
        out = []
        for game in data:
            for team, home in ((game["home_team"], True), (game["away_team"], False)):
                row = {"game_id": game["game_id"], "game_date": game["game_date"], "team": team, "is_home": home}
                dates = [g["game_date"] for g in previous if team in (g["home_team"], g["away_team"])]
                if dates:  # no earlier game in the data: rest unknown, left NULL (degraded), never guessed
                    row["rest_days"] = (ctx.target_date - date.fromisoformat(max(dates))).days - 1
                out.append(row)
        return out


class UpcomingPlayerGameContext(_Phase3):
    """Each player of a team playing on the date, with his points over his last 5 games."""

    name = "upcoming_player_game_context"
    source = "box_scores.csv"
    window = 5
    output = OutputSchema(
        "upcoming_player_game_context",
        [*_key("game_id", "player"), Column("game_date", "DATE", required=True), Column("team", "STRING", required=True),
         Column("games_in_window", "INT64", required=True), Column("points_avg_last_5", "FLOAT64")],
        primary_key=("game_id", "player"),
        provenance=("box_scores",),
    )

    def extract(self, ctx: RunContext) -> Rows:
        return sources.schedule(ctx.target_date)

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        history = sorted(sources.box_scores(before=ctx.target_date), key=lambda r: r["game_date"])
        out = []
        for game in data:
            for team in (game["home_team"], game["away_team"]):
                for player in sorted({r["player"] for r in history if r["team"] == team}):
                    recent = [int(r["points"]) for r in history if r["player"] == player][-self.window:]
                    out.append({
                        "game_id": game["game_id"], "game_date": game["game_date"], "team": team, "player": player,
                        "games_in_window": len(recent), "points_avg_last_5": round(mean(recent), 1),
                    })
        return out


PHASE3: tuple[type[Processor], ...] = (
    PlayerGameSummary,
    TeamOffenseGameSummary,
    TeamDefenseGameSummary,
    UpcomingTeamGameContext,
    UpcomingPlayerGameContext,
)
