"""The share of a phase's processors done for the day, from the run markers they record.

Each processor's latest marker for the day decides (the rules of `predguard phase-status`):
a success is done; a skip the processor declared expected (e.g. no data yet on the same day)
is done; a failure or an unexpected skip is not; no marker at all is "never ran" — told apart
from "ran and skipped". In post_game mode a skip recorded in same_day mode no longer counts:
after the games the processor must have run again on the real data.

The table's shape comes from the shared core (`predguard.run_markers`), not from processors.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from predguard import run_markers
from predguard.monitors.validate.dialect import SqlContext, count_if, share
from predguard.monitors.validate.kinds.base import CheckKind, ColumnRef, ParseContext, fail
from predguard.monitors.validate.model import Bounds, Check, Mode

_PROCESSOR = re.compile(r"^[A-Za-z0-9_.:-]+$")
_READ = ("processor", "target_date", "outcome", "expected_skip", "mode", "recorded_at", "run_id")
assert set(_READ) <= set(run_markers.COLUMN_NAMES)


class PhaseCompletion(CheckKind):
    name = "phase_completion"
    summary = "share of a phase's processors done, from run markers"
    keys = frozenset({"phase", "processors"})
    ratio = True
    default_bounds = Bounds(error_below=1.0)
    unit = "share"

    def parse(self, check: str, table: str | None, raw: Mapping[str, Any], ctx: ParseContext) -> dict[str, Any]:
        processors = raw.get("processors")
        phase = raw.get("phase")
        if processors is None:
            if phase is None:
                raise fail(check, "give `phase` (its processors come from [tool.predguard.phases]) or `processors`", ctx)
            if isinstance(phase, bool) or not isinstance(phase, (int, str)):
                raise fail(check, f"`phase` must be a phase number, got {phase!r}", ctx)
            processors = ctx.phases.get(str(phase))
            if processors is None:
                raise fail(check, f"phase {phase} is not listed in [tool.predguard.phases]", ctx)
        if not isinstance(processors, list) or not processors or not all(isinstance(p, str) and _PROCESSOR.match(p) for p in processors):
            raise fail(check, f"`processors` must be a non-empty list of processor names, got {processors!r}", ctx)
        return {"phase": phase, "processors": tuple(processors)}

    def columns(self, check: Check) -> dict[str, tuple[str, ...]]:
        return {check.table or "": _READ}

    def metrics(self, check: Check, sql: SqlContext) -> dict[str, str]:
        d = sql.dialect
        names = ", ".join(d.literal(p) for p in check.options["processors"])
        order = f"{d.as_timestamp(sql.col('recorded_at'))} DESC, {sql.col('run_id')} DESC"
        latest = (
            f"SELECT {sql.col('processor')} AS _p, {sql.col('outcome')} AS _o, {d.as_bool(sql.col('expected_skip'))} AS _s, "
            f"{sql.col('mode')} AS _m, ROW_NUMBER() OVER (PARTITION BY {sql.col('processor')} ORDER BY {order}) AS _rn "
            f"FROM {sql.rel(check.table or '')} WHERE {sql.on_day('target_date')} AND {sql.col('processor')} IN ({names})"
        )
        source = f"FROM ({latest}) AS l WHERE l._rn = 1"
        success = f"l._o = {d.literal(run_markers.OUTCOME_SUCCESS)}"
        skip = f"(l._o = {d.literal(run_markers.OUTCOME_SKIPPED)} AND COALESCE(l._s, FALSE))"
        same_day = f"COALESCE(l._m, '') = {d.literal(run_markers.MODE_SAME_DAY)}"
        return {
            "done": f"SELECT {count_if(f'{success} OR {skip}')} {source}",
            "done_post_game": f"SELECT {count_if(f'{success} OR ({skip} AND NOT {same_day})')} {source}",
            "same_day_skips": f"SELECT {count_if(f'{skip} AND {same_day}')} {source}",
            "ran": f"SELECT {d.string_list('l._p')} {source}",
            "not_done": f"SELECT {d.string_list(f'CASE WHEN NOT ({success} OR {skip}) THEN l._p END')} {source}",
        }

    def values(self, check: Check, col: ColumnRef) -> dict[Mode | Literal["any"], str]:
        total = len(check.options["processors"])
        return {"pre_game": share(col("done"), str(total)), "post_game": share(col("done_post_game"), str(total))}

    def evidence(self, check: Check, metrics: Mapping[str, Any], mode: Mode) -> str:
        processors = check.options["processors"]
        ran = set(_names(metrics["ran"]))
        done = metrics["done_post_game" if mode == "post_game" else "done"] or 0
        label = f"phase {check.options['phase']}" if check.options["phase"] is not None else "processors"
        parts = [f"{label}: {done}/{len(processors)} done"]
        same_day = metrics["same_day_skips"] or 0
        if same_day:
            counted = "not counted after the games" if mode == "post_game" else "expected before the games"
            parts.append(f"{same_day} skipped same-day ({counted})")
        not_done = sorted(_names(metrics["not_done"]))
        if not_done:
            parts.append(f"failed or unexpected skip: {', '.join(not_done)}")
        never = [p for p in processors if p not in ran]
        if never:
            parts.append(f"never ran: {', '.join(never)}")
        return "; ".join(parts)


def _names(value: Any) -> list[str]:
    return [n for n in str(value).split(",") if n] if value else []


KIND = PhaseCompletion()
