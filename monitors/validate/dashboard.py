"""`predguard validate --emit-sql`: one view with every metric of the configured checks, one row
per day, for a BI dashboard.

It is the run's own SQL with the day taken from a spine of days instead of a parameter: the
schedule's game dates when a schedule is configured, else every date the checked tables hold.
"The clock" of a day is its end (freshness: hours from the newest row to the end of that day).
Checks the schema guard finds unrunnable are left out, each named in a comment, so the view
can always be created.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

from predguard.monitors.validate import batch
from predguard.monitors.validate.config import ValidateConfig
from predguard.monitors.validate.dialect import Dialect, SqlContext

SPINE = "spine"


def spine_sql(config: ValidateConfig, dialect: Dialect, relations: Mapping[str, str], missing_tables: Collection[str], degraded: Collection[str]) -> str:
    sources: list[tuple[str, str]] = []
    if config.schedule is not None and config.schedule.table not in missing_tables:
        sources.append((config.schedule.table, config.schedule.date_column))
    else:
        for check in config.checks:
            column = check.options.get("date_column") if check.kind != "phase_completion" else "target_date"
            if column and check.table and check.name not in degraded:
                sources.append((check.table, column))
    if not sources:
        raise ValueError("no check has a date column to build a day spine from")
    selects = [f"SELECT {dialect.as_date(dialect.ident(col))} AS day FROM {relations[table]}" for table, col in dict.fromkeys(sources)]
    return "SELECT DISTINCT day FROM (" + " UNION ALL ".join(selects) + ") AS d"


def view_sql(
    config: ValidateConfig, dialect: Dialect, relations: Mapping[str, str], missing_tables: Collection[str], degraded: Mapping[str, str], view: str
) -> str:
    """`CREATE OR REPLACE VIEW <view> AS ...`, with a comment per check left out."""
    day = f"{SPINE}.day"
    sql = SqlContext(dialect, relations, day, dialect.end_of_day(day))
    parts = [batch.check_part(c, sql) for c in config.checks if c.name not in degraded]
    body = batch.select_sql(parts, spine=(spine_sql(config, dialect, relations, missing_tables, degraded), SPINE))
    quoted = f"`{view}`" if dialect.engine == "bigquery" else dialect.ident(view)
    header = [
        f"-- predguard validate --emit-sql: every metric of {len(parts)} checks, one row per day ({dialect.engine}).",
        f"-- Columns: day, <check> (the judged value; <check>__<mode> where it depends on the mode), <check>__<metric>.",
    ]
    header += [f"-- left out: {name} ({reason})" for name, reason in degraded.items()]
    return "\n".join(header) + f"\nCREATE OR REPLACE VIEW {quoted} AS\n{body}\nORDER BY day;\n"
