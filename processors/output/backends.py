"""Pick an output backend from one string, the same way everywhere (config, CLI, environment).

    duckdb:///out/predictions.duckdb    a file, relative to the working directory
    duckdb:////var/lib/out.duckdb       an absolute file (SQLAlchemy's convention)
    duckdb:///:memory:                  in memory (tests, dry runs)
    bigquery://PROJECT/DATASET          BigQuery, through google-cloud-bigquery's default credentials

No spec: $PREDGUARD_OUTPUT, else the embedded default `duckdb:///.predguard/output.duckdb`.
"""
from __future__ import annotations

import os

from predguard.bigquery import client as bigquery_client
from predguard.bigquery import is_bigquery, parse_name
from predguard.errors import InputError
from predguard.processors.output.backend import OutputBackend

DEFAULT_OUTPUT = "duckdb:///.predguard/output.duckdb"
OUTPUT_ENV = "PREDGUARD_OUTPUT"


def open_backend(spec: str | None = None, *, where: str = "--output") -> OutputBackend:
    spec = (spec or os.environ.get(OUTPUT_ENV) or DEFAULT_OUTPUT).strip()
    scheme, sep, rest = spec.partition("://")
    if not sep:
        raise InputError(f"output {spec!r} needs a scheme: duckdb:///PATH or bigquery://PROJECT/DATASET", where=where)
    if scheme == "duckdb":
        path = rest[1:] if rest.startswith("/") else rest
        if not path:
            raise InputError(f"DuckDB output needs a file path (or :memory:): duckdb:///PATH, got {spec!r}", where=where)
        from predguard.processors.output.duckdb_backend import DuckDBBackend

        return DuckDBBackend.open(path)
    if is_bigquery(spec):
        name = parse_name(spec, ("dataset",), what="output", where=where)
        from predguard.processors.output.bigquery_backend import BigQueryBackend

        return BigQueryBackend(bigquery_client(name.project), name.dataset_id)
    raise InputError(f"unknown output {spec!r}; use duckdb:///PATH or bigquery://PROJECT/DATASET", where=where)
