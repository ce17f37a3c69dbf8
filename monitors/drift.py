"""`predguard drift`: the daily drift monitor, and `predguard drift backtest`.

    predguard drift [--source SOURCE] [--table NAME] [--as-of DATE] [--format text|json]
                    [--dry-run] [--config FILE] [--state PATH] [--fail-on never|breach|drift_warning]
    predguard drift backtest --source SOURCE --from DATE --to DATE [--format text|json]

This module is the command line; the work lives in one module per job:
drift_job (the daily job for one `as_of` day), drift_backtest (the replay), drift_render
(text and JSON output) and drift_stores (where state and history are kept).

Exit codes: 0 when the job ran — an alert is the signal, not a failed job; 1 when
`--fail-on breach` (or `drift_warning`) is given and such an alert is firing; 2 for bad
input (a malformed source, a missing or mistyped column, no rows in the window, a date in
the future, ...), always with one line saying what and where; 75 (EX_TEMPFAIL) when the job
ran but an alert was not delivered: another run claimed it within its 15-minute lease (running
now, or crashed after sending) — run again after the time the output names — or its delivery
failed (kept in the outbox for the next run, or dead-lettered; the output says which), so a
scheduler sees it (when 1 applies, 1 wins).

JSON output of the daily job (stable; fields are only ever added):
    as_of, source, window {start, end}, bytes_processed (BigQuery dry-run estimate, null for
    local files), rows_after_as_of (rows dated after as_of, ignored), dry_run,
    systems [{system_id, status (ok, below_floor, drift_warning, breach, insufficient_data),
    firing [kinds], hit_rate, hit_rate_low, hit_rate_high, n, hits, statistic, threshold (null:
    none yet), warning_statistic, warning_threshold (null: no baseline yet), baseline_rate,
    floor, breach_since, below_floor_weeks, weeks_rule_firing, breach_reason (cusum /
    weeks_rule / null), notes [..]}],
    notifications [{key, system_id, kind, sent (true / false / null on --dry-run), error,
                   retryable (a failure kept for the next run; false: dead-lettered)}],
    retrain [{system_id, how, ok, detail}],
    pending [{key, system_id, kind, claimed_at, retry_after}] (claimed by another run, fate unknown)
Backtest JSON: {"alerts": [{date, system_id, kind, hit_rate, detail}]} with kind one of
breach, drift_warning, resolved (reminders are not listed), plus from, to, source.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from predguard.arguments import ArgumentParser
from predguard.dates import iso_date_option
from predguard.errors import EXIT_FINDINGS, EXIT_OK, InputError, run_cli
from predguard.monitors.config import DEFAULT_STATE_PATH, FAIL_ON


# Windows reach back up to a year and a half before a day; far-past dates would overflow them,
# and no graded prediction is that old.
EARLIEST = dt.date(1900, 1, 1)


def _in_range(day: dt.date, option: str) -> dt.date:
    if day < EARLIEST:
        raise InputError(f"{day} is before {EARLIEST}: no graded predictions to read", where=option)
    return day


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="bigquery:PROJECT.DATASET.TABLE, or a .csv, .parquet or .duckdb/.db file (default: config `source`)")
    parser.add_argument("--table", help="the table inside a DuckDB database file (default: config `table`)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--config", type=Path, help="a pyproject.toml with [tool.predguard.drift] (default: the nearest one)")


def daily_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="predguard drift", description="Daily drift monitor: hit rate per system, alert on a real drop.")
    _common(parser)
    parser.add_argument("--as-of", type=iso_date_option("--as-of"), help="the day to evaluate (default: today, UTC)")
    parser.add_argument("--dry-run", action="store_true", help="compute and print; send nothing, persist nothing")
    parser.add_argument("--state", type=Path, help=f"embedded state file (default: config `state`, else {DEFAULT_STATE_PATH})")
    parser.add_argument("--fail-on", choices=FAIL_ON, help="exit 1 while such an alert fires (default: never)")
    return parser


def backtest_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="predguard drift backtest", description="Replay the daily job over past days; list the alerts it would have sent.")
    _common(parser)
    parser.add_argument("--from", dest="start", type=iso_date_option("--from"), required=True, help="first day to replay")
    parser.add_argument("--to", dest="end", type=iso_date_option("--to"), required=True, help="last day to replay")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, today: dt.date | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if args[:1] == ["backtest"]:
        return backtest_main(args[1:], out=out, today=today)
    options = daily_parser().parse_args(args)
    from predguard.monitors.drift_job import load_config, run_daily  # after parsing: see backtest_main
    from predguard.monitors.drift_render import daily_json, render_text
    from predguard.monitors.outbox import delivery_exit_code

    config = load_config(options.config)
    as_of = _in_range(options.as_of or today, "--as-of")
    if as_of > today:
        raise InputError(f"{as_of} is in the future (today is {today} UTC): grades for it cannot exist yet", where="--as-of")
    # The terminal notifier (no Slack configured) prints the messages: after the report in
    # text mode, on stderr in json mode so stdout stays one JSON document.
    messages = io.StringIO()
    run = run_daily(
        config,
        source_text=options.source,
        table=options.table,
        as_of=as_of,
        dry_run=options.dry_run,
        state_path=options.state,
        out=messages,
    )
    if options.format == "json":
        json.dump(daily_json(run), out, indent=2)
        out.write("\n")
        sys.stderr.write(messages.getvalue())
    else:
        out.write(render_text(run))
        if messages.getvalue():
            out.write("\n" + messages.getvalue())
    fail_on = options.fail_on or config.fail_on
    firing = {kind for verdict in run.verdicts for kind in verdict.firing}
    if fail_on != "never" and fail_on in firing:
        return EXIT_FINDINGS
    return delivery_exit_code(run.sent, run.pending)


def backtest_main(argv: Sequence[str], *, out: TextIO, today: dt.date) -> int:
    options = backtest_parser().parse_args(list(argv))
    _in_range(options.start, "--from")
    if options.start > options.end:
        raise InputError(f"--from {options.start} is after --to {options.end}", where="--from")
    if options.end > today:
        raise InputError(f"{options.end} is in the future (today is {today} UTC)", where="--to")
    # The job's modules (DuckDB, numpy, tenacity: the monitors extra) load after the arguments
    # parse, so --help and usage errors work in a core-only install.
    from predguard.monitors.drift_backtest import backtest
    from predguard.monitors.drift_job import load_config, resolve_source
    from predguard.monitors.drift_render import backtest_json, backtest_text

    config = load_config(options.config)
    spec = resolve_source(config, options.source, options.table)
    alerts = backtest(config, spec, options.start, options.end)
    start, end = options.start.isoformat(), options.end.isoformat()
    if options.format == "json":
        json.dump(backtest_json(spec.text, start, end, alerts), out, indent=2)
        out.write("\n")
    else:
        out.write(backtest_text(spec.text, start, end, alerts))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run_cli(main, prog="predguard drift"))
