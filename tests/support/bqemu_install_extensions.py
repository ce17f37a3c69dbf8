"""Register the DuckDB extensions shipped as wheels with the emulator's DuckDB.

DuckDB cannot download extensions on these machines (no extension server), and the
local-bigquery emulator needs icu, spatial and ducklake. The wheels carry the binaries;
`INSTALL '<file>'` copies each into DuckDB's extension directory (~/.duckdb). Run with the
emulator's Python 3.13 interpreter. Idempotent.
"""
from __future__ import annotations

import importlib
import pathlib

import duckdb

for name in ("icu", "spatial", "ducklake"):
    package = importlib.import_module(f"duckdb_extension_{name}")
    files = sorted(pathlib.Path(package.__path__[0]).glob(f"extensions/v{duckdb.__version__}/*.duckdb_extension"))
    if not files:
        raise SystemExit(f"no {name} extension for duckdb {duckdb.__version__} in {package.__path__[0]}")
    duckdb.sql(f"INSTALL '{files[0]}'")
    print(f"installed {name} from {files[0].name}")
