"""The run-marker table as stored: its name, columns and the values a reader needs.

Processors write one row per run (`predguard.processors.markers.RunMarker`); monitors read
them (`predguard validate`'s phase-completion check). Both take the table's shape from here,
so neither imports the other (the import contracts in pyproject.toml).
"""
from __future__ import annotations

TABLE = "run_markers"

# (column, BigQuery type), in the order the stores create them.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "STRING"),
    ("processor", "STRING"),
    ("target_date", "DATE"),
    ("mode", "STRING"),
    ("outcome", "STRING"),
    ("reason", "STRING"),
    ("phase", "INT64"),
    ("expected_skip", "BOOL"),
    ("message_id", "STRING"),
    ("attempt", "INT64"),
    ("duration_seconds", "FLOAT64"),
    ("revision", "STRING"),
    ("rows_extracted", "INT64"),
    ("rows_loaded", "INT64"),
    ("error", "STRING"),
    ("recorded_at", "TIMESTAMP"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in COLUMNS)

# Values of `outcome` and `mode` that decide whether a phase's processor is done.
OUTCOME_SUCCESS = "success"
OUTCOME_SKIPPED = "skipped"
MODE_SAME_DAY = "same_day"
