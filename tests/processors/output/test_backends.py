"""open_backend(): one string picks the backend; bad strings are one clear InputError."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.errors import InputError
from predguard.processors.output import DuckDBBackend, conform, open_backend, publish
from tests.processors.output.conftest import PREDICTIONS, prediction


def test_duckdb_file_backend_persists_across_reopen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    backend = open_backend("duckdb:///out/predictions.duckdb")
    assert isinstance(backend, DuckDBBackend)
    publish(conform([prediction("p1", 1.0)], PREDICTIONS), backend, run_id="r1")
    backend.close()
    monkeypatch.chdir("/")
    reopened = open_backend(f"duckdb:///{tmp_path}/out/predictions.duckdb")  # four slashes: an absolute path
    report = publish(conform([prediction("p1", 1.0)], PREDICTIONS), reopened, run_id="r2")
    assert (report.inserted, report.unchanged) == (0, 1)
    reopened.close()


def test_default_comes_from_the_environment_then_the_embedded_file(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREDGUARD_OUTPUT", "duckdb:///:memory:")
    open_backend().close()
    assert not (tmp_path / ".predguard").exists()
    monkeypatch.delenv("PREDGUARD_OUTPUT")
    open_backend().close()
    assert (tmp_path / ".predguard" / "output.duckdb").is_file()


@pytest.mark.parametrize(("spec", "message"), [
    ("out.duckdb", "needs a scheme"),
    ("duckdb://", "needs a file path"),
    ("bigquery://proj", "bigquery://PROJECT/DATASET"),
    ("bigquery://proj/ds/extra", "bigquery://PROJECT/DATASET"),
    ("postgres://db/x", "unknown output"),
])
def test_bad_specs_are_input_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        open_backend(spec)
    assert caught.value.where == "--output"
