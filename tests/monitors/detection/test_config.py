from __future__ import annotations

import pytest

from predguard.monitors.detection import DetectionConfig
from predguard.errors import InputError


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"floor": 1.2}, "floor = 1.2: expected a number strictly between 0 and 1"),
        ({"floor": "0.55"}, "floor = '0.55'"),
        ({"warning_drop": 0.0}, "warning_drop = 0.0"),
        ({"breach_false_alarms_per_year": 0}, "breach_false_alarms_per_year = 0"),
        ({"reference_days": 0}, "reference_days = 0"),
        ({"min_week_n": -1}, "min_week_n = -1"),
        ({"min_recovery_days": True}, "min_recovery_days = True"),
        ({"min_reference_days": 60}, "min_reference_days = 60: expected at most reference_days (56)"),
        ({"floor": 0.97}, "breach_shift"),
        ({"cold_start_phi": 0.5}, "cold_start_phi = 0.5: expected a number from 1 to 100"),
        ({"cold_start_prior_days": -1}, "cold_start_prior_days = -1"),
        ({"weeks_rule_min_n": 0}, "weeks_rule_min_n = 0"),
        ({"weeks_rule_backstop_below_n": -5}, "weeks_rule_backstop_below_n = -5"),
    ],
)
def test_bad_settings_are_input_errors(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DetectionConfig(**overrides)  # type: ignore[arg-type]


def test_from_mapping_names_the_table_and_unknown_keys() -> None:
    assert DetectionConfig.from_mapping({"floor": 0.5}).floor == 0.5
    with pytest.raises(InputError) as caught:
        DetectionConfig.from_mapping({"flor": 0.5})
    assert "unknown detection setting 'flor'" in caught.value.message
    assert caught.value.where == "[tool.predguard.drift.detection]"
    with pytest.raises(InputError) as caught:
        DetectionConfig.from_mapping({"floor": 2}, where="pyproject.toml [tool.predguard.drift]")
    assert caught.value.where == "pyproject.toml [tool.predguard.drift]"


def test_fleet_budget_is_split_across_systems() -> None:
    config = DetectionConfig.for_fleet(systems=4, fleet_false_alarms_per_year=0.2)
    assert config.breach_false_alarms_per_year == pytest.approx(0.05)
    with pytest.raises(InputError):
        DetectionConfig.for_fleet(systems=0, fleet_false_alarms_per_year=0.2)
