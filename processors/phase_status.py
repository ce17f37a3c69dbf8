"""`predguard phase-status --phase N --date D`: is a phase complete on a date, from the run markers?

Which processors make up phase N: `[tool.predguard.phases]` in pyproject.toml
(`3 = ["player_game_summary", ...]`), the only way a processor that never ran shows as
`missing`; without it, the processors that ever recorded a run in that phase.

Each processor's latest marker for the date decides its status:
- success → complete; an expected skip for the mode (e.g. no_data_same_day) → complete (skipped);
- an unexpected skip, a failure → not complete; no marker at all → missing.
A same-day skip is a promise to come back after the games: once the league day is over
(`--as-of`, default today in `--timezone`), a processor whose latest run is still a same-day
skip reads `post_game_owed`, and a phase complete only thanks to such skips reads
`complete (pre-game)` and is not done.
Exit 0 when complete, 1 when not (post-game runs owed included), 2 on bad input.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from predguard.config import find_pyproject, load_table
from predguard.arguments import ArgumentParser
from predguard.dates import iso_date_option
from predguard.errors import EXIT_FINDINGS, EXIT_OK, InputError
from predguard.processors.base import Outcome
from predguard.processors.markers import RunMarker, latest_by_processor
from predguard.processors.modes import DEFAULT_TIMEZONE, ModePolicy, ProcessingMode
from predguard.processors.stores import STORE_ENV, Store, open_store

STATUS_COMPLETE = "complete"
STATUS_SKIPPED = "skipped"  # an expected skip: counts as complete
STATUS_UNEXPECTED_SKIP = "unexpected_skip"
STATUS_FAILED = "failed"
STATUS_RETRYING = "retrying"  # last run failed transiently: Pub/Sub is redelivering
STATUS_MISSING = "missing"
STATUS_POST_GAME_OWED = "post_game_owed"  # skipped before the games; the day is over, no post-game run yet
DONE = {STATUS_COMPLETE, STATUS_SKIPPED}


@dataclass(frozen=True)
class ProcessorStatus:
    processor: str
    status: str
    outcome: str | None = None
    mode: str | None = None
    reason: str | None = None
    error: str | None = None
    runs: int = 0

    @property
    def done(self) -> bool:
        return self.status in DONE


@dataclass(frozen=True)
class PhaseReport:
    phase: int
    target_date: date
    processors: tuple[ProcessorStatus, ...]
    day_over: bool = False  # the league day of target_date has ended

    @property
    def post_game_owed(self) -> list[str]:
        return [p.processor for p in self.processors if p.status == STATUS_POST_GAME_OWED]

    @property
    def pre_game_only(self) -> bool:
        """Every processor done or done only before its games: `complete (pre-game)`."""
        return self.total > 0 and bool(self.post_game_owed) and self.done + len(self.post_game_owed) == self.total

    @property
    def done(self) -> int:
        return sum(p.done for p in self.processors)

    @property
    def total(self) -> int:
        return len(self.processors)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    def to_dict(self) -> dict[str, object]:
        return {
            "phase": self.phase,
            "date": self.target_date.isoformat(),
            "complete": self.complete,
            "state": _state(self),
            "post_game_owed": self.post_game_owed,
            "done": self.done,
            "total": self.total,
            "processors": [asdict(p) for p in self.processors],
        }


def _state(report: PhaseReport) -> str:
    return "complete" if report.complete else "complete (pre-game)" if report.pre_game_only else "incomplete"


def status_of(name: str, markers: Sequence[RunMarker], day_over: bool = False) -> ProcessorStatus:
    runs = [m for m in markers if m.processor == name]
    if not runs:
        return ProcessorStatus(name, STATUS_MISSING)
    last = latest_by_processor(runs)[name]
    outcome = Outcome(last.outcome)
    if outcome is Outcome.SUCCESS:
        status = STATUS_COMPLETE
    elif outcome is Outcome.SKIPPED and last.expected_skip and last.mode == ProcessingMode.SAME_DAY.value and day_over:
        status = STATUS_POST_GAME_OWED
    elif outcome is Outcome.SKIPPED:
        status = STATUS_SKIPPED if last.expected_skip else STATUS_UNEXPECTED_SKIP
    elif outcome is Outcome.FAILED_TRANSIENT:
        status = STATUS_RETRYING
    else:
        status = STATUS_FAILED
    return ProcessorStatus(name, status, last.outcome, last.mode, last.reason, last.error, len(runs))


def evaluate(
    store: Store, phase: int, target_date: date, processors: Sequence[str] | None = None, *, today: date | None = None
) -> PhaseReport:
    """The phase's report; `processors` None: those the store has seen in this phase.

    `today` is the league's today (default: now in the default league time zone); a
    target date before it is a day that is over, whose same-day skips are owed a post-game run.
    """
    names = list(processors) if processors is not None else store.processors_in_phase(phase)
    markers = store.markers(target_date=target_date)
    today = today or ModePolicy().league_today(datetime.now(timezone.utc))
    day_over = target_date < today
    return PhaseReport(phase, target_date, tuple(status_of(name, markers, day_over) for name in names), day_over)


def summary_line(report: PhaseReport) -> str:
    """e.g. `phase 3 on 2026-01-30: complete 5/5 (2 skipped: no_data_same_day)`."""
    word = _state(report)
    parts = []
    skipped = Counter(p.reason or "" for p in report.processors if p.status == STATUS_SKIPPED)
    if skipped:
        parts.append(f"{sum(skipped.values())} skipped: {', '.join(sorted(skipped))}")
    owed = report.post_game_owed
    if owed:
        parts.append(f"post-game run owed by {len(owed)}: {', '.join(owed)}")
    for status in (STATUS_FAILED, STATUS_RETRYING, STATUS_UNEXPECTED_SKIP, STATUS_MISSING):
        names = [p.processor for p in report.processors if p.status == status]
        if names:
            parts.append(f"{len(names)} {status.replace('_', ' ')}: {', '.join(names)}")
    details = f" ({'; '.join(parts)})" if parts else ""
    return f"phase {report.phase} on {report.target_date.isoformat()}: {word} {report.done}/{report.total}{details}"


def format_text(report: PhaseReport) -> str:
    lines = [summary_line(report)]
    for p in report.processors:
        if p.outcome is None:
            what = p.status
        elif p.status in {STATUS_SKIPPED, STATUS_COMPLETE}:
            what = f"{p.status} ({p.mode}: {p.reason})"
        elif p.status == STATUS_POST_GAME_OWED:
            what = f"skipped before the games ({p.mode}: {p.reason}); post-game run owed"
        else:
            what = f"{p.status} ({p.outcome} in {p.mode}: {p.error or p.reason})"
        lines.append(f"  {p.processor}: {what}")
    return "\n".join(lines)


def phase_processors(config: Path | None, phase: int) -> list[str] | None:
    """The processors `[tool.predguard.phases]` lists for this phase, or None when it lists none."""
    table = load_table(config, "phases")
    for key in table:
        if not key.isdigit():
            raise InputError(f"[tool.predguard.phases] key {key!r} is not a phase number (write `3 = [...]`)", where=str(config))
    listed = table.get(str(phase))
    if listed is None:
        return None
    if not isinstance(listed, list) or not all(isinstance(n, str) and n for n in listed):
        raise InputError(f"[tool.predguard.phases] {phase} must be a list of processor names", where=str(config))
    return list(listed)


def _open_existing_store(spec: str | None) -> Store:
    """The store to read; an SQLite file that does not exist is a wrong path, not an empty phase."""
    store = open_store(spec)
    path = getattr(store, "path", None)
    if isinstance(path, Path) and not path.is_file():
        raise InputError(f"no run-marker store at {path} (no run has been recorded there)", where="--store")
    return store


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="predguard phase-status", description=__doc__.split("\n")[0])
    parser.add_argument("--phase", required=True, help="the phase number, e.g. 3")
    parser.add_argument("--date", required=True, type=iso_date_option("--date"), help="the target date, YYYY-MM-DD")
    parser.add_argument("--store", help=f"sqlite:///PATH or bigquery://PROJECT/DATASET (default ${STORE_ENV}, else .predguard/runs.sqlite3)")
    parser.add_argument("--config", help="pyproject.toml with [tool.predguard.phases] (default: the nearest one)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE, help=f"the league's IANA time zone (default {DEFAULT_TIMEZONE})")
    parser.add_argument("--as-of", type=iso_date_option("--as-of"), help="the league's today, YYYY-MM-DD (default: today in --timezone)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        phase = int(args.phase)
    except ValueError:
        raise InputError(f"{args.phase!r} is not a phase number", where="--phase") from None
    target_date: date = args.date
    policy = ModePolicy(timezone=args.timezone)
    today: date = args.as_of or policy.league_today(datetime.now(timezone.utc))
    config = Path(args.config) if args.config else find_pyproject(Path.cwd())
    names = phase_processors(config, phase)
    store = _open_existing_store(args.store)
    try:
        report = evaluate(store, phase, target_date, names, today=today)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unreadable store is bad input: one line, exit 2
        raise InputError(f"cannot read run markers: {type(exc).__name__}: {exc}", where="--store") from None
    if not report.processors:
        raise InputError(f"no processors known for phase {phase}: list them in [tool.predguard.phases]", where=str(config or "pyproject.toml"))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_text(report))
    return EXIT_OK if report.complete else EXIT_FINDINGS


if __name__ == "__main__":
    import sys

    from predguard.errors import run_cli

    sys.exit(run_cli(main, prog="predguard phase-status"))
