"""Fixtures shared by every package's tests."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support import bigquery_emulator


@pytest.fixture(scope="session")
def bigquery_emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bigquery_emulator.BigQueryEmulator]:
    """One emulator process for the whole run (it starts in ~2 s); tests isolate by dataset."""
    try:
        server = bigquery_emulator.start(tmp_path_factory.mktemp("bqemu"))
    except bigquery_emulator.EmulatorUnavailable as exc:
        pytest.skip(f"BigQuery emulator unavailable: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bq_client(bigquery_emulator_server: bigquery_emulator.BigQueryEmulator):
    """A real google.cloud.bigquery.Client talking to the local emulator (project "test-proj")."""
    return bigquery_emulator_server.client()


@pytest.fixture
def bq_dataset(bq_client) -> str:
    """A fresh, empty dataset for one test: "test-proj.ds_<hex>"."""
    dataset_id = f"{bq_client.project}.ds_{uuid.uuid4().hex[:10]}"
    bq_client.create_dataset(dataset_id)
    return dataset_id
