"""The phase-3 processors. Box-score processors find nothing on a game day before the games
are final: that is the expected same-day skip, not a failure. Context processors read the
schedule, which exists ahead of time, so they succeed on the same day."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from statistics import mean
from typing import Any, ClassVar

from data_processors.analytics import sources, warehouse
from processors import ProcessingMode, Processor, RunContext
from processors.errors import ValidationError

Rows = list[dict[str, Any]]


class _BoxScoreProcessor(Processor):
    """Reads one date's box scores; a date whose games are not all final is a same-day date."""

    phase = 3
    table: ClassVar[str] = ""
    key: ClassVar[tuple[str, ...]] = ()

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

    def load(self, data: Rows, ctx: RunContext) -> int:
        return warehouse.upsert(self.table, self.key, data)


def _possessions(lines: Rows) -> float:
    return sum(int(r["fga"]) + 0.44 * int(r["fta"]) - int(r["oreb"]) + int(r["turnovers"]) for r in lines)


class PlayerGameSummary(_BoxScoreProcessor):
    name = "player_game_summary"
    table = "player_game_summary"
    key = ("game_id", "player")

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        return [
            {
                "game_id": r["game_id"], "game_date": r["game_date"], "team": r["team"], "player": r["player"],
                "minutes": int(r["minutes"]), "points": int(r["points"]), "rebounds": int(r["rebounds"]),
                "assists": int(r["assists"]),
                "points_per_36": round(int(r["points"]) * 36 / int(r["minutes"]), 2) if int(r["minutes"]) else None,
            }
            for r in data
        ]


class TeamOffenseGameSummary(_BoxScoreProcessor):
    name = "team_offense_game_summary"
    table = "team_offense_game_summary"
    key = ("game_id", "team")

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        by_team: dict[tuple[str, str], Rows] = defaultdict(list)
        for r in data:
            by_team[(r["game_id"], r["team"])].append(r)
        out = []
        for (game_id, team), lines in sorted(by_team.items()):
            points = sum(int(r["points"]) for r in lines)
            possessions = _possessions(lines)
            out.append({
                "game_id": game_id, "game_date": lines[0]["game_date"], "team": team, "points": points,
                "assists": sum(int(r["assists"]) for r in lines), "possessions": round(possessions, 1),
                "offensive_rating": round(100 * points / possessions, 1) if possessions else None,
            })
        return out


class TeamDefenseGameSummary(_BoxScoreProcessor):
    name = "team_defense_game_summary"
    table = "team_defense_game_summary"
    key = ("game_id", "team")

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        allowed: dict[tuple[str, str], Rows] = defaultdict(list)
        for r in data:  # a line scored against the opponent is points the opponent allowed
            allowed[(r["game_id"], r["opponent"])].append(r)
        out = []
        for (game_id, team), lines in sorted(allowed.items()):
            points = sum(int(r["points"]) for r in lines)
            possessions = _possessions(lines)
            out.append({
                "game_id": game_id, "game_date": lines[0]["game_date"], "team": team, "points_allowed": points,
                "defensive_rating": round(100 * points / possessions, 1) if possessions else None,
            })
        return out


class UpcomingTeamGameContext(Processor):
    """Each team playing on the date, with its rest days since its previous game."""

    name = "upcoming_team_game_context"
    phase = 3

    def extract(self, ctx: RunContext) -> Rows:
        return sources.schedule(ctx.target_date)

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        previous = sources.schedule(before=ctx.target_date)
        out = []
        for game in data:
            for team, home in ((game["home_team"], True), (game["away_team"], False)):
                dates = [g["game_date"] for g in previous if team in (g["home_team"], g["away_team"])]
                rest = (ctx.target_date - date.fromisoformat(max(dates))).days - 1 if dates else None
                out.append({"game_id": game["game_id"], "game_date": game["game_date"], "team": team, "is_home": home, "rest_days": rest})
        return out

    def load(self, data: Rows, ctx: RunContext) -> int:
        return warehouse.upsert(self.name, ("game_id", "team"), data)


class UpcomingPlayerGameContext(Processor):
    """Each player of a team playing on the date, with his points over his last 5 games."""

    name = "upcoming_player_game_context"
    phase = 3
    window = 5

    def extract(self, ctx: RunContext) -> Rows:
        return sources.schedule(ctx.target_date)

    def transform(self, data: Rows, ctx: RunContext) -> Rows:
        history = sorted(sources.box_scores(before=ctx.target_date), key=lambda r: r["game_date"])
        out = []
        for game in data:
            for team in (game["home_team"], game["away_team"]):
                players = sorted({r["player"] for r in history if r["team"] == team})
                for player in players:
                    recent = [int(r["points"]) for r in history if r["player"] == player][-self.window:]
                    out.append({
                        "game_id": game["game_id"], "game_date": game["game_date"], "team": team, "player": player,
                        "games_in_window": len(recent), "points_avg_last_5": round(mean(recent), 1) if recent else None,
                    })
        return out

    def load(self, data: Rows, ctx: RunContext) -> int:
        return warehouse.upsert(self.name, ("game_id", "player"), data)


PHASE3: tuple[type[Processor], ...] = (
    PlayerGameSummary,
    TeamOffenseGameSummary,
    TeamDefenseGameSummary,
    UpcomingTeamGameContext,
    UpcomingPlayerGameContext,
)
