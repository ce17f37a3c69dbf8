"""The short fuzz profile (CI): a few hundred generated inputs per target through the real
entry points; the long profile is benchmarks/fuzz.py. Properties: tests/fuzz/targets.py."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.targets import TARGETS

EXAMPLES = int(os.environ.get("PREDGUARD_FUZZ_EXAMPLES", "150"))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TARGETS))
def test_no_input_breaks_the_contract(name: str) -> None:
    target, strategy = TARGETS[name]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(strategy)
    def run(value: object) -> None:
        target(value)

    run()
