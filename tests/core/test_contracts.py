"""Every shared-core module is under the "knows nothing of the packages" contract, so a new one
cannot quietly import hooks/verify/processors/monitors (only the CLI and demo dispatch to them)."""
from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DISPATCHERS = {"predguard.__init__", "predguard.cli", "predguard.demo"}


def test_the_core_contract_lists_every_core_module() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"].startswith("the shared core knows nothing"))
    modules = {f"predguard.{p.stem}" for p in (REPO / "predguard").glob("*.py")} - DISPATCHERS
    modules |= {f"predguard.{p.name}" for p in (REPO / "predguard").iterdir() if (p / "__init__.py").is_file()}
    assert set(contract["source_modules"]) == modules
