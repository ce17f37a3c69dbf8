"""`predguard validate`: run the configured checks for a day and report; Slack only for real issues.

    predguard validate [--date D] [--mode pre_game|post_game|auto] [--format text|json]
                       [--config FILE] [--now TIMESTAMP] [--dry-run] [--state PATH]
    predguard validate --emit-sql [--output FILE] [--config FILE]

Exit codes: 0 when no check is at `error`, 1 when one is, 2 for bad input (configuration,
arguments) — one line naming the check or option; 75 (EX_TEMPFAIL, as `predguard drift`) when
no check is at `error` but the report was not delivered: its post failed (kept in the outbox for
the next run, or dead-lettered; the output says which) or another run holds it within its lease.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from predguard.arguments import ArgumentParser
from predguard.dates import iso_date_option
from predguard.errors import EXIT_FINDINGS, EXIT_OK, InputError
from predguard.monitors.validate import report as render
from predguard.monitors.validate.config import ValidateConfig, load_validate_config
from predguard.monitors.validate.modes import league_today
from predguard.monitors.validate.runner import validate
from predguard.monitors.validate.warehouse import BigQueryWarehouse, DuckDBWarehouse, Warehouse


def _timestamp(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a timestamp such as 2026-01-30T17:00:00Z", where="--now") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="predguard validate", description="Run the day's data-quality checks and report; Slack only for real issues.")
    p.add_argument("--date", type=iso_date_option("--date"), help="the day to validate (default: today in the league's time zone)")
    p.add_argument("--mode", choices=("pre_game", "post_game", "auto"), default="auto", help="which expectations apply (default: auto)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="the report for people (text) or machines (json; fields are only ever added)")
    p.add_argument("--config", type=Path, help="pyproject.toml with [tool.predguard.validate], or a TOML file of its own (default: the nearest pyproject.toml)")
    p.add_argument("--now", type=_timestamp, help="the clock, e.g. to replay a run (default: now; no zone = UTC)")
    p.add_argument("--dry-run", action="store_true", help="report only: no alert state change, nothing sent")
    p.add_argument("--state", type=Path, help="embedded alert state file (default: config `state`, else .predguard/validate-state.sqlite)")
    p.add_argument("--emit-sql", action="store_true", help="print the dashboard view (every metric, one row per day) and exit")
    p.add_argument("--output", type=Path, help="with --emit-sql: write the view to this file instead of stdout")
    return p


def open_warehouse(config: ValidateConfig, bigquery: Any = None) -> Warehouse:
    if config.bigquery is not None:
        project, dataset = config.bigquery
        return BigQueryWarehouse(project, dataset, config.tables, client=bigquery)
    return DuckDBWarehouse(config.tables, config.base_dir)


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    bigquery: Any = None,
    environ: dict[str, str] | None = None,
) -> int:
    options = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    out = out or sys.stdout
    config = load_validate_config(options.config, search_from=None if options.config else Path.cwd())
    if options.output and not options.emit_sql:
        raise InputError("--output is only for --emit-sql", where="--output")
    warehouse = open_warehouse(config, bigquery)
    try:
        if options.emit_sql:
            return _emit_sql(config, warehouse, options.output, out)
        now = options.now or dt.datetime.now(dt.timezone.utc)
        day = options.date or league_today(now, config.timezone)
        report = validate(config, warehouse, day, now, options.mode)
    finally:
        warehouse.close()

    messages = io.StringIO()
    from predguard.monitors.outbox import delivery_exit_code
    from predguard.monitors.validate.alerts import notify

    done = notify(config, report, dry_run=options.dry_run, state_path=options.state, out=messages, bigquery=bigquery, environ=environ)
    if options.format == "json":
        extra = {"notifications": [s.to_json() for s in done.sent], "pending": [p.to_json() for p in done.pending]}
        out.write(render.render_json(report, extra))
        sys.stderr.write(messages.getvalue())
    else:
        out.write(render.render_text(report))
        for s in done.sent:
            out.write(f"{s.kind}: {s.state_text()}\n")
        for p in done.pending:
            out.write(f"{p.kind}: {p.state_text()}\n")
        if messages.getvalue():
            out.write("\n" + messages.getvalue())
    return EXIT_FINDINGS if report.overall == "error" else delivery_exit_code(done.sent, done.pending)


def _emit_sql(config: ValidateConfig, warehouse: Warehouse, output: Path | None, out: TextIO) -> int:
    from predguard.monitors.validate import schema_guard
    from predguard.monitors.validate.dashboard import view_sql

    catalog = warehouse.catalog()
    degraded = {c.name: reason for c in config.checks if (reason := schema_guard.missing(c, catalog)) is not None}
    view = config.view
    if config.bigquery is not None and view.count(".") == 0:
        view = ".".join(config.bigquery) + "." + view
    try:
        text = view_sql(config, warehouse.dialect, warehouse.relations(), catalog.missing, degraded, view)
    except ValueError as exc:
        raise InputError(f"cannot build the dashboard view: {exc}", where=config.origin) from None
    if output is None:
        out.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.write(f"wrote the dashboard view {view} to {output}\n")
    return EXIT_OK


if __name__ == "__main__":
    from predguard.errors import run_cli

    sys.exit(run_cli(main, prog="predguard validate"))
