"""Make rows fit a declared output schema without ever guessing a value.

- A declared optional column absent from a row becomes a typed NULL; the row is flagged
  `is_degraded` with a short reason ("missing optional: odds_line").
- A required column absent or null, a value of the wrong type, an unknown column: the row is
  rejected with its reason (and later quarantined by id), never repaired.
- `source_used_<input>` records where each provenance input came from: the row's own value
  wins, else the batch-level `provenance` mapping; unknown provenance is NULL and degraded.
- Rows sharing a primary key are deduplicated, the last one winning, and counted.

An explicit `None` for an optional column is a deliberate NULL and does not degrade the row;
a producer that knows a value is missing for a reason passes `degraded_reason` itself.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from predguard.errors import InputError
from predguard.processors.output.schema import DEGRADED_REASON, IS_DEGRADED, SOURCE_PREFIX, ColumnType, OutputSchema

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Rejection:
    """A record kept out of the target: its id (the primary key, or `#<position>` when the key
    itself is unusable), why, at which stage (`conform` or `audit`), and the row as given."""

    record_id: str
    reason: str
    stage: str
    payload: Mapping[str, Any]

    def payload_json(self) -> str:
        return json.dumps(self.payload, default=str, sort_keys=True)


@dataclass(frozen=True)
class ConformedBatch:
    """Rows ready to write (every column of `schema.all_columns`, typed), and the rest."""

    schema: OutputSchema
    rows: tuple[dict[str, Any], ...]
    rejected: tuple[Rejection, ...]
    deduplicated: int
    received: int

    @property
    def degraded(self) -> int:
        return sum(1 for row in self.rows if row[IS_DEGRADED])


def record_id(key: tuple[Any, ...]) -> str:
    """A stable string id for a primary key: the value itself for a one-column key, a JSON
    array for a composite key."""
    if len(key) == 1:
        value = key[0]
        return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
    return json.dumps(list(key), default=lambda v: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v))


def coerce(value: Any, column_type: ColumnType) -> Any:
    """`value` as the Python type of `column_type`, or ValueError saying why not. Converts only
    where nothing is guessed: an int into a float, an ISO date string into a date."""
    if column_type is ColumnType.STRING:
        if isinstance(value, str):
            return value
    elif column_type is ColumnType.INT64:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            if not INT64_MIN <= int(value) <= INT64_MAX:
                raise ValueError(f"{value} is outside the INT64 range")
            return int(value)
    elif column_type is ColumnType.FLOAT64:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(f"{value} is not a finite number")
            return number
    elif column_type is ColumnType.BOOL:
        if isinstance(value, bool):
            return value
    elif column_type is ColumnType.DATE:
        if isinstance(value, dt.datetime):
            raise ValueError(f"expected DATE, got a datetime ({value.isoformat()})")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and len(value) == 10:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected DATE (YYYY-MM-DD), got {value!r}") from None
    elif column_type is ColumnType.TIMESTAMP:
        stamp = value
        if isinstance(value, str):
            try:
                stamp = dt.datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected an ISO 8601 TIMESTAMP, got {value!r}") from None
        if isinstance(stamp, dt.datetime):
            if stamp.tzinfo is None or stamp.utcoffset() is None:
                raise ValueError(f"TIMESTAMP {value!r} has no time zone (refusing to guess one)")
            return stamp.astimezone(dt.timezone.utc)
    raise ValueError(f"expected {column_type.value}, got {type(value).__name__} {value!r}")


def conform(
    rows: Iterable[Mapping[str, Any]],
    schema: OutputSchema,
    *,
    provenance: Mapping[str, str | None] | None = None,
) -> ConformedBatch:
    """Fit `rows` to `schema` (see the module docstring for the rules)."""
    provenance = dict(provenance or {})
    unknown_sources = sorted(set(provenance) - set(schema.provenance))
    if unknown_sources:
        raise InputError(f"provenance given for undeclared input(s) {', '.join(unknown_sources)} "
                         f"(declared: {', '.join(schema.provenance) or 'none'})", where=f"output {schema.table}")
    accepted: dict[tuple[Any, ...], tuple[int, dict[str, Any] | Rejection]] = {}
    unkeyed: list[tuple[int, Rejection]] = []
    received = deduplicated = 0
    for position, raw in enumerate(rows):
        received += 1
        key, outcome = _conform_row(position, raw, schema, provenance)
        if key is None:  # no usable key: always a rejection
            assert isinstance(outcome, Rejection)
            unkeyed.append((position, outcome))
            continue
        if key in accepted:
            deduplicated += 1
            del accepted[key]  # re-insert so the survivor keeps the position of the last occurrence
        accepted[key] = (position, outcome)
    ordered = sorted([*accepted.values(), *unkeyed], key=lambda item: item[0])
    return ConformedBatch(
        schema=schema,
        rows=tuple(outcome for _, outcome in ordered if isinstance(outcome, dict)),
        rejected=tuple(outcome for _, outcome in ordered if isinstance(outcome, Rejection)),
        deduplicated=deduplicated,
        received=received,
    )


def _conform_row(
    position: int, raw: Any, schema: OutputSchema, provenance: Mapping[str, str | None]
) -> tuple[tuple[Any, ...] | None, dict[str, Any] | Rejection]:
    if not isinstance(raw, Mapping):
        return None, Rejection(f"#{position}", f"row is a {type(raw).__name__}, not a mapping", "conform",
                               {"row": repr(raw)})
    payload = dict(raw)
    problems: list[str] = []
    missing_optional: list[str] = []
    row: dict[str, Any] = {}
    for column in schema.columns:
        if column.name not in raw:
            if column.required:
                problems.append(f"missing required column {column.name}")
            else:
                missing_optional.append(column.name)
            row[column.name] = None
            continue
        value = raw[column.name]
        if value is None:
            if column.required:
                problems.append(f"required column {column.name} is null")
            row[column.name] = None
            continue
        try:
            row[column.name] = coerce(value, column.type)
        except ValueError as exc:
            problems.append(f"{column.name}: {exc}")
            row[column.name] = None

    key_ok = all(row[k] is not None for k in schema.primary_key)
    key = tuple(row[k] for k in schema.primary_key) if key_ok else None
    rid = record_id(key) if key is not None else f"#{position}"

    unknown = sorted(str(k) for k in raw if k not in schema.writable_names)
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")

    reasons: list[str] = []
    given_reason = raw.get(DEGRADED_REASON)
    if given_reason is not None:
        if isinstance(given_reason, str) and given_reason.strip():
            reasons.append(given_reason.strip())
        else:
            problems.append(f"{DEGRADED_REASON} must be a non-empty string, got {given_reason!r}")
    if missing_optional:
        reasons.append(f"missing optional: {', '.join(missing_optional)}")
    unknown_provenance: list[str] = []
    for source in schema.provenance:
        name = SOURCE_PREFIX + source
        value = raw[name] if name in raw else provenance.get(source)
        if value is not None and not isinstance(value, str):
            problems.append(f"{name}: expected STRING, got {type(value).__name__} {value!r}")
            value = None
        if value is None:
            unknown_provenance.append(source)
        row[name] = value
    if unknown_provenance:
        reasons.append(f"no provenance for {', '.join(unknown_provenance)}")

    if problems:
        return key, Rejection(rid, "; ".join(problems), "conform", payload)
    row[IS_DEGRADED] = bool(reasons)
    row[DEGRADED_REASON] = "; ".join(reasons) if reasons else None
    return key, row
