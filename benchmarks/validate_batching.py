"""`predguard validate`: one batched query vs the hand-run way (one query per check, or per number).

    python benchmarks/validate_batching.py               # DuckDB, and the BigQuery emulator when it starts
    python benchmarks/validate_batching.py --repeat 10

The example platform's nine checks (examples/prediction-platform/pyproject.toml) for the game
day after the games. Three ways to get the same numbers, each after the same schema read:

- batched (ours): one SELECT of scalar subqueries for every check, then the values (2 round trips);
- per check (named baseline: how the platform validated by hand, one query per check);
- per metric (one query per number: rows, matched, nulls, ...).

On BigQuery every round trip is a query job (submit, poll, fetch), so the round trips are the
cost; the local emulator stands in for it here (real BigQuery adds its own scheduling latency to
every job). Each row
is the best of `--repeat` runs; the values are checked equal across the three.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from predguard.monitors.validate import batch, runner  # noqa: E402
from predguard.monitors.validate.config import ValidateConfig, load_validate_config  # noqa: E402
from predguard.monitors.validate.dialect import SqlContext  # noqa: E402
from predguard.monitors.validate.warehouse import BigQueryWarehouse, DuckDBWarehouse, Warehouse  # noqa: E402

DAY = dt.date(2026, 1, 30)
NOW = dt.datetime(2026, 1, 31, 14, tzinfo=dt.timezone.utc)
EXAMPLE = REPO / "examples" / "prediction-platform"


def parts(config: ValidateConfig, w: Warehouse) -> list[batch.Part]:
    sql = SqlContext(w.dialect, w.relations(), w.dialect.param("day"), w.dialect.param("now"))
    return [batch.check_part(c, sql) for c in config.checks]


def batched(config: ValidateConfig, w: Warehouse) -> dict[str, Any]:
    report = runner.validate(config, w, DAY, NOW, "post_game")
    return {r.name: r.value for r in report.results}


def per_check(config: ValidateConfig, w: Warehouse) -> dict[str, Any]:
    w.catalog()
    row: dict[str, Any] = {}
    for part in parts(config, w):
        row.update(w.query(batch.select_sql([part]), DAY, NOW))
    return {c.name: _value(row, c.name) for c in config.checks}


def per_metric(config: ValidateConfig, w: Warehouse) -> dict[str, Any]:
    w.catalog()
    row: dict[str, Any] = {}
    for part in parts(config, w):
        for alias, expr in part.metrics:
            row.update(w.query(f"SELECT ({expr}) AS {alias}", DAY, NOW))
    values: dict[str, Any] = {}
    for part in parts(config, w):  # the values, computed from the metrics as the batch would
        sql = batch.select_sql([batch.Part(part.name, tuple((a, repr_literal(row[a])) for a, _ in part.metrics), part.values)])
        values.update(w.query(sql, DAY, NOW))
    return {c.name: _value(values, c.name) for c in config.checks}


def repr_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _value(row: dict[str, Any], check: str) -> Any:
    raw = row.get(f"{check}__post_game", row.get(check))
    return None if raw is None else round(float(raw), 9)


def measure(name: str, make: Callable[[], Warehouse], config: ValidateConfig, repeat: int) -> list[tuple[str, str, float, int]]:
    rows = []
    reference: dict[str, Any] | None = None
    for label, how in (("per check (baseline)", per_check), ("per metric", per_metric), ("batched (ours)", batched)):
        best, trips = float("inf"), 0
        for _ in range(repeat):
            w = make()
            start = time.perf_counter()
            values = how(config, w)
            best = min(best, time.perf_counter() - start)
            trips = w.round_trips
            w.close()
        values = {k: (None if v is None else round(v, 9)) for k, v in values.items()}
        if reference is None:
            reference = values
        assert values == reference, (label, values, reference)
        rows.append((name, label, best, trips))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = load_validate_config(EXAMPLE / "pyproject.toml")
    rows = measure("DuckDB (embedded)", lambda: DuckDBWarehouse(config.tables, config.base_dir), config, args.repeat)

    from tests.support import bigquery_emulator

    with tempfile.TemporaryDirectory() as tmp:
        try:
            server = bigquery_emulator.start(Path(tmp))
        except bigquery_emulator.EmulatorUnavailable as exc:
            print(f"BigQuery emulator skipped: {exc}", file=sys.stderr)
        else:
            try:
                from tests.monitors.validate.test_bigquery import load_tables

                client = server.client()
                dataset = f"{client.project}.bench"
                client.create_dataset(dataset)
                load_tables(client, dataset, EXAMPLE / "data")
                tables = {name: name for name in config.tables}
                project, ds = dataset.split(".")
                rows += measure("BigQuery emulator", lambda: BigQueryWarehouse(project, ds, tables, client=client), config, args.repeat)
            finally:
                server.stop()

    print("| warehouse | approach | round trips | time (s) | vs baseline |")
    print("|---|---|---|---|---|")
    for name, label, seconds, trips in rows:
        base = next(s for n, lab, s, _ in rows if n == name and lab.startswith("per check"))
        ratio = "1.0x" if label.startswith("per check") else f"{base / seconds:.1f}x faster" if seconds < base else f"{seconds / base:.1f}x slower"
        print(f"| {name} | {label} | {trips} | {seconds:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
