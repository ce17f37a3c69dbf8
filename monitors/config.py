"""`[tool.predguard.drift]`: where the graded predictions are, how the job keeps its state.

Every key is optional; an unknown key or a value of the wrong type is an InputError naming
the key and the file (a typo must not silently fall back to a default).

    [tool.predguard.drift]
    source = "bigquery:my-proj.predictions.graded"      # or a .csv / .parquet / .duckdb path
    table = "graded"                                     # the table inside a DuckDB file
    columns = { game_date = "game_day", system_id = "model", is_correct = "hit" }
    sql = "SELECT ... FROM source"                       # a custom source (see sources.py)
    systems = ["catboost_v8", "ensemble_v1"]             # expected systems: a silent one is reported
    state = ".predguard/drift-state.sqlite"              # embedded alert state + monitoring table
    state_table = "my-proj.ops.drift_alert_state"        # production: BigQuery instead
    history_table = "my-proj.ops.drift_runs"
    repeat_days = 7                                      # remind at most this often while firing
    fail_on = "breach"                                   # exit 1 while a breach fires (default: never)
    retrain_command = ["make", "retrain"]                # run on a confirmed breach
    retrain_webhook = "https://ci.example.com/hooks/retrain"
    [tool.predguard.drift.detection]                     # passed to DetectionConfig
    floor = 0.55
    [tool.predguard.drift.slack]                         # see predguard.monitors.alerting
    channel = "#model-alerts"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from predguard.config import find_pyproject, load_table
from predguard.errors import InputError

DEFAULT_STATE_PATH = Path(".predguard") / "drift-state.sqlite"
COLUMN_ROLES = ("game_date", "system_id", "is_correct", "graded_at")
FAIL_ON = ("never", "breach", "drift_warning")


@dataclass(frozen=True)
class ColumnMap:
    """The table's column names for each role. `graded_at` is optional in the table."""

    game_date: str = "game_date"
    system_id: str = "system_id"
    is_correct: str = "is_correct"
    graded_at: str = "graded_at"


@dataclass(frozen=True)
class DriftConfig:
    source: str | None = None
    table: str | None = None
    columns: ColumnMap = ColumnMap()
    sql: str | None = None
    systems: tuple[str, ...] = ()
    state: Path | None = None  # None: DEFAULT_STATE_PATH under the current directory
    state_table: str | None = None
    history_table: str | None = None
    repeat_days: int = 7
    fail_on: str = "never"
    retrain_command: tuple[str, ...] = ()
    retrain_webhook: str | None = None
    detection: dict[str, Any] = field(default_factory=dict)
    slack: dict[str, Any] = field(default_factory=dict)  # [tool.predguard.drift.slack], for predguard.monitors.alerting
    base_dir: Path = Path(".")  # relative paths in the file are relative to it
    origin: str = "defaults"  # where the values came from, for messages


_STR_KEYS = ("source", "table", "sql", "state_table", "history_table", "retrain_webhook")


def load_drift_config(path: Path | None = None, *, search_from: Path | None = None) -> DriftConfig:
    """Read the drift table from `path`, or from the nearest pyproject.toml above `search_from`."""
    if path is None and search_from is not None:
        path = find_pyproject(search_from)
    raw = load_table(path, "drift")
    where = str(path) if path else "defaults"
    return parse_drift_config(raw, where=where, base_dir=path.parent if path else Path("."))


def parse_drift_config(raw: dict[str, Any], *, where: str, base_dir: Path) -> DriftConfig:
    known = {*_STR_KEYS, "columns", "systems", "state", "repeat_days", "fail_on", "retrain_command", "detection", "slack"}
    for key in raw:
        if key not in known:
            raise InputError(f"unknown key {key!r} in [tool.predguard.drift]; known keys: {', '.join(sorted(known))}", where=where)
    values: dict[str, Any] = {}
    for key in _STR_KEYS:
        if key in raw:
            values[key] = _expect(raw[key], str, key, where)
    if "columns" in raw:
        columns = _expect(raw["columns"], dict, "columns", where)
        for role, name in columns.items():
            if role not in COLUMN_ROLES:
                raise InputError(f"columns.{role}: unknown role; roles are {', '.join(COLUMN_ROLES)}", where=where)
            _expect(name, str, f"columns.{role}", where)
        values["columns"] = ColumnMap(**columns)
    if "systems" in raw:
        systems = _expect(raw["systems"], list, "systems", where)
        values["systems"] = tuple(_expect(s, str, "systems[]", where) for s in systems)
    if "state" in raw:
        values["state"] = base_dir / _expect(raw["state"], str, "state", where)
    if "repeat_days" in raw:
        repeat = _expect(raw["repeat_days"], int, "repeat_days", where)
        if repeat < 1:
            raise InputError(f"repeat_days must be at least 1, got {repeat}", where=where)
        values["repeat_days"] = repeat
    if "fail_on" in raw:
        fail_on = _expect(raw["fail_on"], str, "fail_on", where)
        if fail_on not in FAIL_ON:
            raise InputError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}", where=where)
        values["fail_on"] = fail_on
    if "retrain_command" in raw:
        command = raw["retrain_command"]
        if isinstance(command, str):
            command = command.split()
        command = _expect(command, list, "retrain_command", where)
        values["retrain_command"] = tuple(_expect(c, str, "retrain_command[]", where) for c in command)
    for key in ("detection", "slack"):
        if key in raw:
            values[key] = dict(_expect(raw[key], dict, key, where))
    if "source" in values and not values["source"].startswith("bigquery:"):
        values["source"] = str(base_dir / values["source"])  # a local file named in the config
    return DriftConfig(**values, base_dir=base_dir, origin=where)


def _expect(value: Any, kind: type, key: str, where: str) -> Any:
    # bool is an int in Python: a `repeat_days = true` must not pass as 1
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(f"{key} must be a {kind.__name__}, got {type(value).__name__} {value!r}", where=where)
    return value
