"""The run-marker table's shape lives in the shared core (predguard.run_markers) so monitors can
read it without importing processors; these tests keep the writer and that shape in step."""
from __future__ import annotations

from predguard import run_markers
from predguard.processors.base import Outcome
from predguard.processors.markers import RunMarker
from predguard.processors.modes import ProcessingMode
from predguard.processors.stores.bigquery import MARKERS_TABLE, _MARKER_SCHEMA


def test_every_marker_field_is_a_column_in_the_same_order() -> None:
    assert tuple(RunMarker.__dataclass_fields__) == run_markers.COLUMN_NAMES


def test_the_bigquery_store_creates_the_shared_shape() -> None:
    assert MARKERS_TABLE == run_markers.TABLE
    assert tuple(_MARKER_SCHEMA) == run_markers.COLUMNS


def test_the_values_readers_rely_on_are_the_processors_own() -> None:
    assert Outcome.SUCCESS.value == run_markers.OUTCOME_SUCCESS
    assert Outcome.SKIPPED.value == run_markers.OUTCOME_SKIPPED
    assert ProcessingMode.SAME_DAY.value == run_markers.MODE_SAME_DAY
