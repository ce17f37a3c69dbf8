"""One validation run: schema guard, one batched query, mode, then a status per check."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from predguard.monitors.validate import batch, schema_guard
from predguard.monitors.validate.config import ValidateConfig
from predguard.monitors.validate.dialect import SqlContext
from predguard.monitors.validate.kinds import KINDS
from predguard.monitors.validate.model import Check, CheckResult, Mode, Report
from predguard.monitors.validate.modes import SCHEDULE_PART, decide, schedule_metrics
from predguard.monitors.validate.warehouse import Warehouse

RequestedMode = Literal["pre_game", "post_game", "auto"]


def validate(config: ValidateConfig, warehouse: Warehouse, day: dt.date, now: dt.datetime, requested: RequestedMode) -> Report:
    catalog = warehouse.catalog()
    degraded = {c.name: reason for c in config.checks if (reason := schema_guard.missing(c, catalog)) is not None}
    sql = SqlContext(warehouse.dialect, warehouse.relations(), warehouse.dialect.param("day"), warehouse.dialect.param("now"))
    parts = [batch.check_part(c, sql) for c in config.checks if c.name not in degraded]

    notes: list[str] = []
    schedule_note = ""
    if requested == "auto" and config.schedule is not None:
        s = config.schedule
        have = {name.lower() for name in catalog.columns.get(s.table, {})}
        if s.table in catalog.missing or not {s.date_column.lower(), s.status_column.lower()} <= have:
            schedule_note = f" (schedule table {s.table} unreadable or missing {s.date_column}/{s.status_column})"
            notes.append(f"schedule not used{schedule_note}")
        else:
            metrics = tuple((batch.metric_alias(SCHEDULE_PART, k), v) for k, v in schedule_metrics(s, sql).items())
            parts.append(batch.Part(SCHEDULE_PART, metrics, ()))

    result = batch.run(warehouse, parts, day, now)
    if requested == "auto":
        games, final = result.row.get(f"{SCHEDULE_PART}__games"), result.row.get(f"{SCHEDULE_PART}__final")
        if SCHEDULE_PART in result.failed:
            notes.append(f"schedule query failed: {result.failed[SCHEDULE_PART]}")
        mode, mode_reason = decide(day, now, config.timezone, _int(games), _int(final), schedule_note)
    else:
        mode, mode_reason = requested, f"--mode {requested}"

    results = []
    for check in config.checks:
        if check.name in degraded:
            results.append(_degraded(check, mode, degraded[check.name]))
        elif check.name in result.failed:
            results.append(_degraded(check, mode, f"query failed: {result.failed[check.name]}"))
        else:
            results.append(judge(check, mode, result.row))
    return Report(day, mode, mode_reason, now, warehouse.label, warehouse.round_trips, tuple(results), tuple(notes))


def judge(check: Check, mode: Mode, row: Mapping[str, Any]) -> CheckResult:
    kind = KINDS[check.kind]
    expectation = check.expectations[mode]
    metrics = batch.metrics_of(check, row)
    raw = row.get(batch.value_alias(check.name, mode), row.get(check.name))
    value = None if raw is None else float(raw)
    evidence = kind.evidence(check, metrics, mode)
    threshold = expectation.bounds.describe(kind.unit) if expectation.applies else "—"
    base = dict(name=check.name, kind=check.kind, table=check.table, value=value, threshold=threshold, evidence=evidence)
    if not expectation.applies:
        return CheckResult(status="not_applicable", reason=expectation.reason, **base)  # type: ignore[arg-type]
    if value is None:
        return CheckResult(status=kind.empty_status, reason=kind.empty_reason(check, metrics), **base)  # type: ignore[arg-type]
    return CheckResult(status=expectation.bounds.judge(value), **base)  # type: ignore[arg-type]


def _degraded(check: Check, mode: Mode, reason: str) -> CheckResult:
    expectation = check.expectations[mode]
    threshold = expectation.bounds.describe(KINDS[check.kind].unit) if expectation.applies else "—"
    return CheckResult(check.name, check.kind, check.table, "degraded", None, threshold, "", reason)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
