"""[tool.predguard.drift]: values, relative paths, and a clear error for each mistake."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.monitors.config import ColumnMap, DriftConfig, load_drift_config
from predguard.errors import InputError


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    assert load_drift_config(None) == DriftConfig(origin="defaults")


def test_values_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, """
[tool.predguard.drift]
source = "data/graded.parquet"
columns = { system_id = "model" }
systems = ["a", "b"]
state = "var/state.sqlite"
repeat_days = 3
fail_on = "breach"
retrain_command = "make retrain"
[tool.predguard.drift.detection]
floor = 0.5
""")
    config = load_drift_config(search_from=tmp_path)
    assert config.origin == str(path)  # found by searching upwards from the directory
    assert config.source == str(tmp_path / "data" / "graded.parquet")
    assert config.columns == ColumnMap(system_id="model")
    assert config.systems == ("a", "b") and config.repeat_days == 3 and config.fail_on == "breach"
    assert config.state == tmp_path / "var" / "state.sqlite"
    assert config.retrain_command == ("make", "retrain")
    assert config.detection == {"floor": 0.5}


def test_a_bigquery_source_is_not_made_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, '[tool.predguard.drift]\nsource = "bigquery:my-proj.ds.t"\n')
    assert load_drift_config(path).source == "bigquery:my-proj.ds.t"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("systems = 'a'", "systems must be a list, got str 'a'"),
        ("columns = { is_correct = 1 }", "columns.is_correct must be a str"),
        ("retrain_command = [1]", "retrain_command[] must be a str"),
        ("detection = 3", "detection must be a dict"),
    ],
)
def test_mistakes_name_the_key_and_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, f"[tool.predguard.drift]\n{body}\n")
    with pytest.raises(InputError) as info:
        load_drift_config(path)
    assert message in str(info.value) and str(path) in str(info.value)
