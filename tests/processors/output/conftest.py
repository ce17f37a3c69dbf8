"""One `warehouse` fixture over both output backends: the embedded DuckDB default and BigQuery
through the real client against the local emulator (those cases are marked `bigquery`).

The helpers beside the backend (`create`, `insert`, `rows`) let a test shape a target table the
way someone else might have, and read back what really landed, in each backend's own SQL."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from predguard.processors.output import Column, ColumnType, OutputSchema
from predguard.processors.output.duckdb_backend import DDL_TYPES, DuckDBBackend

PREDICTIONS = OutputSchema(
    "player_predictions",
    columns=[
        Column("game_date", "DATE", required=True),
        Column("player_id", "STRING", required=True),
        Column("predicted_points", "FLOAT64", required=True),
        Column("odds_line", "FLOAT64"),
        Column("minutes_projection", "INT64"),
    ],
    primary_key=("game_date", "player_id"),
    provenance=("odds",),
)
GAME_DAY = dt.date(2026, 1, 30)


def prediction(player: str, points: float, **extra: Any) -> dict[str, Any]:
    return {"game_date": GAME_DAY, "player_id": player, "predicted_points": points, **extra}


@dataclass
class Warehouse:
    kind: str
    backend: Any
    client: Any = None  # duckdb connection or bigquery.Client
    dataset: str = ""

    def create(self, table: str, columns: Sequence[tuple[str, ColumnType, bool]]) -> None:
        """A table as another tool might have made it: (name, type, not_null) columns, no key."""
        if self.kind == "duckdb":
            defs = ", ".join(f'"{n}" {DDL_TYPES[t]}{" NOT NULL" if nn else ""}' for n, t, nn in columns)
            self.client.execute(f'CREATE TABLE "{table}" ({defs})')
        else:
            defs = ", ".join(f"`{n}` {t.value}{' NOT NULL' if nn else ''}" for n, t, nn in columns)
            self.client.query(f"CREATE TABLE `{self.dataset}.{table}` ({defs})").result(timeout=30)

    def insert(self, table: str, row: dict[str, Any]) -> None:
        names = list(row)
        if self.kind == "duckdb":
            cols = ", ".join(f'"{n}"' for n in names)
            self.client.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(names))})',
                                [row[n] for n in names])
        else:
            from google.cloud import bigquery

            types = {bool: "BOOL", int: "INT64", float: "FLOAT64", str: "STRING", dt.date: "DATE"}
            params = [bigquery.ScalarQueryParameter(n, types[type(row[n])], row[n]) for n in names]
            cols = ", ".join(f"`{n}`" for n in names)
            self.client.query(
                f"INSERT INTO `{self.dataset}.{table}` ({cols}) VALUES ({', '.join('@' + n for n in names)})",
                job_config=bigquery.QueryJobConfig(query_parameters=params)).result(timeout=30)

    def rows(self, table: str, order_by: str = "player_id") -> list[dict[str, Any]]:
        """Every row, ordered; timestamps are left out (DuckDB needs pytz to fetch them)."""
        if self.kind == "duckdb":
            cursor = self.client.execute(f'SELECT * EXCLUDE (quarantined_at) FROM "{table}" ORDER BY "{order_by}"'
                                         if table.endswith("__quarantine")
                                         else f'SELECT * FROM "{table}" ORDER BY "{order_by}"')
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, values)) for values in cursor.fetchall()]
        result = self.client.query(f"SELECT * FROM `{self.dataset}.{table}` ORDER BY `{order_by}`").result(timeout=30)
        return [{k: v for k, v in dict(row).items() if k != "quarantined_at"} for row in result]

    def tables(self) -> list[str]:
        if self.kind == "duckdb":
            return sorted(name for (name,) in self.client.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").fetchall())
        return sorted(t.table_id for t in self.client.list_tables(self.dataset))


@pytest.fixture(params=["duckdb", pytest.param("bigquery", marks=pytest.mark.bigquery)])
def warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """Each backend in turn: for what differs by backend (catalog reads, SQL, atomicity, cleanup)."""
    if request.param == "duckdb":
        backend = DuckDBBackend.open()
        yield Warehouse("duckdb", backend, backend.connection)
        backend.close()
        return
    from predguard.processors.output.bigquery_backend import BigQueryBackend

    client = request.getfixturevalue("bq_client")
    dataset = request.getfixturevalue("bq_dataset")
    yield Warehouse("bigquery", BigQueryBackend(client, dataset, timeout_s=30), client, dataset)


@pytest.fixture
def embedded() -> Iterator[Warehouse]:
    """DuckDB only: for the writer's own logic, which no backend changes (keeps the suite fast)."""
    backend = DuckDBBackend.open()
    yield Warehouse("duckdb", backend, backend.connection)
    backend.close()
