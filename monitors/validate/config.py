"""`[tool.predguard.validate]` (or a TOML file of its own): the warehouse, its tables, the checks.

    [tool.predguard.validate]
    warehouse = "duckdb"                    # embedded (default), or "bigquery:PROJECT.DATASET"
    timezone = "America/New_York"           # the league's zone: what "today" means for auto mode
    notify_on = ["warn", "error"]           # statuses that post to Slack ("degraded" may be added)
    [tool.predguard.validate.tables]        # every table a check may read, by name
    predictions = "data/predictions.csv"    # DuckDB: a .csv/.parquet file, or sqlite:PATH[#TABLE];
                                            # BigQuery: [[project.]dataset.]table
    [tool.predguard.validate.schedule]      # for --mode auto (optional)
    table = "schedule"
    [[tool.predguard.validate.checks]]
    name = "grading_coverage"
    kind = "coverage"
    table = "predictions"
    ...kind options...
    mostly = 0.98                           # thresholds for every mode...
    pre_game = "not_applicable"             # ...or per mode: a table of thresholds, or not applicable

Everything is checked before any query: an unknown key or kind, a threshold of the wrong type,
a table that is not declared — one line naming the check, exit 2.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from predguard import run_markers
from predguard.config import find_pyproject, load_table
from predguard.errors import InputError
from predguard.monitors.validate.dialect import IDENTIFIER
from predguard.monitors.validate.kinds import KINDS, CheckKind, ParseContext
from predguard.monitors.validate.kinds.base import declared_table, fail, number
from predguard.monitors.validate.model import MODES, Bounds, Check, Expectation, Mode

DEFAULT_STATE_PATH = Path(".predguard") / "validate-state.sqlite"
DEFAULT_VIEW = "predguard_daily_validation"
NOTIFIABLE = ("warn", "error", "degraded")
_BQ_WAREHOUSE = re.compile(r"^bigquery:(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])\.(?P<dataset>\w{1,1024})$")
_BQ_TABLE = re.compile(r"^(?:(?:[a-z][a-z0-9-]{4,28}[a-z0-9])\.)?(?:\w{1,1024}\.)?[\w-]{1,1024}$")
_LOCAL_SUFFIXES = (".csv", ".parquet", ".pq")
_STATUS_VALUE = re.compile(r"^[\w .-]+$")
_SQLITE = re.compile(r"^sqlite:[^#]+(#[A-Za-z_][A-Za-z0-9_]*)?$")
_CHECK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

_TOP_KEYS = frozenset({"warehouse", "tables", "checks", "timezone", "schedule", "notify_on", "repeat_days", "state", "state_table", "slack", "view"})
_CHECK_KEYS = frozenset({"name", "kind", "table", "description", *MODES})
_THRESHOLD_KEYS = frozenset({"warn_below", "error_below", "warn_above", "error_above", "mostly", "warn_mostly", "warn_after_hours", "error_after_hours"})
_MODE_KEYS = _THRESHOLD_KEYS | {"applies", "reason"}


@dataclass(frozen=True)
class Schedule:
    table: str
    date_column: str = "game_date"
    status_column: str = "status"
    final_values: tuple[str, ...] = ("final",)


@dataclass(frozen=True)
class ValidateConfig:
    checks: tuple[Check, ...]
    tables: Mapping[str, str]  # name -> location as written (a file, or a BigQuery table)
    warehouse: str = "duckdb"
    timezone: str = "America/New_York"
    schedule: Schedule | None = None
    notify_on: frozenset[str] = frozenset({"warn", "error"})
    repeat_days: int = 7
    state: Path | None = None
    state_table: str | None = None
    slack: dict[str, Any] = field(default_factory=dict)
    view: str = DEFAULT_VIEW
    base_dir: Path = Path(".")
    origin: str = "defaults"

    @property
    def bigquery(self) -> tuple[str, str] | None:
        """(project, dataset) of a BigQuery warehouse, None for DuckDB."""
        match = _BQ_WAREHOUSE.match(self.warehouse)
        return (match["project"], match["dataset"]) if match else None


def load_validate_config(path: Path | None = None, *, search_from: Path | None = None) -> ValidateConfig:
    if path is None and search_from is not None:
        path = find_pyproject(search_from)
    if path is None:
        raise InputError("no pyproject.toml found here or above: pass --config FILE with [tool.predguard.validate]", where="--config")
    raw = load_table(path, "validate")
    if not raw and path.name != "pyproject.toml":
        raw = _whole_file(path)  # a validate.toml of its own: the table is the whole file
    return parse_validate_config(raw, where=str(path), base_dir=path.parent, phases=load_table(path, "phases"))


def _whole_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # load_table already named these
        raise InputError(f"cannot read: {exc}", where=str(path)) from None


def parse_validate_config(raw: Mapping[str, Any], *, where: str, base_dir: Path, phases: Mapping[str, Any] | None = None) -> ValidateConfig:
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise InputError(f"[tool.predguard.validate]: unknown key `{unknown[0]}` (expected one of {', '.join(sorted(_TOP_KEYS))})", where=where)
    warehouse = raw.get("warehouse", "duckdb")
    if not isinstance(warehouse, str) or not (warehouse == "duckdb" or _BQ_WAREHOUSE.match(warehouse)):
        raise InputError(f"[tool.predguard.validate]: warehouse must be \"duckdb\" or \"bigquery:PROJECT.DATASET\", got {warehouse!r}", where=where)
    tables = _tables(raw.get("tables", {}), warehouse, where)
    raw_checks = raw.get("checks", [])
    if not isinstance(raw_checks, list) or not raw_checks:
        raise InputError("no checks declared: add at least one [[tool.predguard.validate.checks]] with a name and a kind", where=where)
    ctx = ParseContext(frozenset(tables), {str(k): v for k, v in (phases or {}).items()}, where)
    checks: list[Check] = []
    for index, item in enumerate(raw_checks):
        check = _check(item, index, ctx)
        if any(c.name == check.name for c in checks):
            raise fail(check.name, "declared twice (check names must be unique)", ctx)
        checks.append(check)
    return ValidateConfig(
        checks=tuple(checks),
        tables=tables,
        warehouse=warehouse,
        timezone=_timezone(raw.get("timezone", "America/New_York"), where),
        schedule=_schedule(raw.get("schedule"), ctx),
        notify_on=_notify_on(raw.get("notify_on", ["warn", "error"]), where),
        repeat_days=_positive_int(raw.get("repeat_days", 7), "repeat_days", where),
        state=(base_dir / raw["state"]) if isinstance(raw.get("state"), str) else _optional_str(raw, "state", where),
        state_table=_optional_str(raw, "state_table", where),
        slack=_table(raw.get("slack", {}), "slack", where),
        view=_view(raw.get("view", DEFAULT_VIEW), where),
        base_dir=base_dir,
        origin=where,
    )


def _tables(raw: Any, warehouse: str, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InputError("[tool.predguard.validate.tables] must be a table of name = location", where=where)
    tables: dict[str, str] = {}
    for name, location in raw.items():
        if not IDENTIFIER.match(name):
            raise InputError(f"[tool.predguard.validate.tables]: table name {name!r} must be an identifier (letters, digits, _)", where=where)
        if not isinstance(location, str) or not location:
            raise InputError(f"[tool.predguard.validate.tables]: {name} must be a string location, got {location!r}", where=where)
        if warehouse == "duckdb" and not (location.lower().endswith(_LOCAL_SUFFIXES) or _SQLITE.match(location)):
            raise InputError(
                f"[tool.predguard.validate.tables]: {name} = {location!r}: DuckDB reads .csv or .parquet files, "
                "or sqlite:PATH[#TABLE]",
                where=where,
            )
        if warehouse != "duckdb" and not _BQ_TABLE.match(location):
            raise InputError(f"[tool.predguard.validate.tables]: {name} = {location!r} is not a BigQuery [[project.]dataset.]table", where=where)
        tables[name] = location
    return tables


def _check(item: Any, index: int, ctx: ParseContext) -> Check:
    if not isinstance(item, dict):
        raise InputError(f"[[tool.predguard.validate.checks]] #{index + 1} must be a table", where=ctx.where)
    name = item.get("name")
    if not isinstance(name, str) or not _CHECK_NAME.match(name) or "__" in name:
        # It names the check's columns in the batch and the dashboard view: `<name>__<metric>`.
        raise InputError(
            f"[[tool.predguard.validate.checks]] #{index + 1}: `name` must start with a letter and use letters, digits "
            f"and single underscores, got {name!r}",
            where=ctx.where,
        )
    kind_name = item.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        raise fail(name, f"unknown kind {kind_name!r} (one of: {', '.join(KINDS)})", ctx)
    unknown = sorted(set(item) - _CHECK_KEYS - _THRESHOLD_KEYS - kind.keys)
    if unknown:
        allowed = ", ".join(sorted(_CHECK_KEYS | _THRESHOLD_KEYS | kind.keys))
        raise fail(name, f"unknown key `{unknown[0]}` for a {kind.name} check (expected one of {allowed})", ctx)
    table_value = item.get("table", run_markers.TABLE if kind.name == "phase_completion" else None)
    table = declared_table(name, table_value, "table", ctx) if table_value is not None else None
    options = kind.parse(name, table, item, ctx)
    description = item.get("description", "")
    if not isinstance(description, str):
        raise fail(name, "`description` must be a string", ctx)
    return Check(name, kind.name, table, options, _expectations(name, kind, item, ctx), description)


def _expectations(check: str, kind: CheckKind, item: Mapping[str, Any], ctx: ParseContext) -> dict[Mode, Expectation]:
    shared = _bounds(check, kind, item, ctx, "")
    result: dict[Mode, Expectation] = {}
    for mode in MODES:
        raw = item.get(mode)
        if raw == "not_applicable" or raw is False:
            result[mode] = Expectation(applies=False, reason=f"not expected in {mode}")
            continue
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise fail(check, f"`{mode}` must be \"not_applicable\" or a table of thresholds, got {raw!r}", ctx)
        unknown = sorted(set(raw) - _MODE_KEYS)
        if unknown:
            raise fail(check, f"[{mode}]: unknown key `{unknown[0]}` (expected one of {', '.join(sorted(_MODE_KEYS))})", ctx)
        applies = raw.get("applies", True)
        if not isinstance(applies, bool):
            raise fail(check, f"[{mode}]: `applies` must be true or false, got {applies!r}", ctx)
        reason = raw.get("reason", f"not expected in {mode}")
        if not isinstance(reason, str):
            raise fail(check, f"[{mode}]: `reason` must be a string", ctx)
        merged = {**shared, **_bounds(check, kind, raw, ctx, f"[{mode}] ")}
        bounds = Bounds(**merged) if merged else kind.default_bounds
        if applies and bounds is None:
            raise fail(check, f"no thresholds for {mode}: a {kind.name} check needs e.g. error_above / error_below{_hint(kind)}", ctx)
        if applies and bounds is not None:
            _consistent(check, bounds, mode, ctx)
        result[mode] = Expectation(applies=applies, bounds=bounds or Bounds(), reason="" if applies else reason)
    return result


def _bounds(check: str, kind: CheckKind, raw: Mapping[str, Any], ctx: ParseContext, label: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for key in sorted(_THRESHOLD_KEYS & set(raw)):
        value = number(check, raw, key, ctx)
        assert value is not None
        if key in ("mostly", "warn_mostly"):
            if not kind.ratio:
                raise fail(check, f"{label}`{key}` applies to ratio checks (coverage, null_rate, phase_completion, error_rate), not {kind.name}", ctx)
            if not 0 <= value <= 1:
                raise fail(check, f"{label}`{key}` must be a share from 0 to 1, got {value:g}", ctx)
            level = "error" if key == "mostly" else "warn"
            if kind.failing_share:
                values[f"{level}_above"] = round(1 - value, 12)
            else:
                values[f"{level}_below"] = value
        elif key.endswith("_after_hours"):
            if kind.name != "freshness":
                raise fail(check, f"{label}`{key}` applies to freshness checks only", ctx)
            values[f"{key.split('_')[0]}_above"] = value
        else:
            values[key] = value
    return values


def _consistent(check: str, b: Bounds, mode: str, ctx: ParseContext) -> None:
    if b.warn_below is not None and b.error_below is not None and b.warn_below < b.error_below:
        raise fail(check, f"[{mode}]: warn below {b.warn_below:g} is under error below {b.error_below:g}: the warning must come first", ctx)
    if b.warn_above is not None and b.error_above is not None and b.warn_above > b.error_above:
        raise fail(check, f"[{mode}]: warn above {b.warn_above:g} is over error above {b.error_above:g}: the warning must come first", ctx)


def _hint(kind: CheckKind) -> str:
    return " (or error_after_hours)" if kind.name == "freshness" else " (or mostly)" if kind.ratio else ""


def _schedule(raw: Any, ctx: ParseContext) -> Schedule | None:
    if raw is None:
        return None
    where = "[tool.predguard.validate.schedule]"
    if not isinstance(raw, dict) or "table" not in raw:
        raise InputError(f"{where} must be a table with at least `table`", where=ctx.where)
    unknown = sorted(set(raw) - {"table", "date_column", "status_column", "final_values"})
    if unknown:
        raise InputError(f"{where}: unknown key `{unknown[0]}`", where=ctx.where)
    if raw["table"] not in ctx.tables:
        raise InputError(f"{where}: table {raw['table']!r} is not declared in [tool.predguard.validate.tables]", where=ctx.where)
    columns = {}
    for key in ("date_column", "status_column"):
        value = raw.get(key, Schedule.__dataclass_fields__[key].default)
        if not isinstance(value, str) or not IDENTIFIER.match(value):
            raise InputError(f"{where}: {key} must be a column name, got {value!r}", where=ctx.where)
        columns[key] = value
    finals = raw.get("final_values", ["final"])
    if not isinstance(finals, list) or not finals or not all(isinstance(v, str) and _STATUS_VALUE.match(v) for v in finals):
        raise InputError(f"{where}: final_values must be a non-empty list of plain status strings, got {finals!r}", where=ctx.where)
    return Schedule(raw["table"], columns["date_column"], columns["status_column"], tuple(finals))


def _timezone(value: Any, where: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not isinstance(value, str):
            raise ValueError
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"[tool.predguard.validate]: unknown time zone {value!r} (an IANA name like \"America/New_York\")", where=where) from None
    return value


def _notify_on(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(v in NOTIFIABLE for v in value):
        raise InputError(f"[tool.predguard.validate]: notify_on must be a list of {', '.join(NOTIFIABLE)}, got {value!r}", where=where)
    return frozenset(value)


def _positive_int(value: Any, key: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"[tool.predguard.validate]: {key} must be a positive integer, got {value!r}", where=where)
    return value


def _optional_str(raw: Mapping[str, Any], key: str, where: str) -> Any:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"[tool.predguard.validate]: {key} must be a string, got {value!r}", where=where)
    return value


def _table(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"[tool.predguard.validate.{key}] must be a table", where=where)
    return dict(value)


def _view(value: Any, where: str) -> str:
    if not isinstance(value, str) or not re.match(r"^[\w-]+(\.[\w-]+){0,2}$", value):
        raise InputError(f"[tool.predguard.validate]: view must be a view name ([[project.]dataset.]name), got {value!r}", where=where)
    return value
