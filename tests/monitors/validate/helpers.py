"""The example platform's validation setup, copied to a temporary directory so a test can change
a table (rename a column, add grades) without touching the repository."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

from predguard.errors import run_cli
from predguard.monitors.validate.command import main

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "prediction-platform"
PRE_GAME_NOW = "2026-01-30T17:00:00Z"  # noon in New York on the game day: its 3 games not played
POST_GAME_NOW = "2026-01-31T14:00:00Z"  # the next morning: the games are over
GAME_DAY = "2026-01-30"


def copy_example(tmp: Path) -> Path:
    """The example's pyproject.toml and data/ in `tmp`; returns the pyproject path."""
    shutil.copy(EXAMPLE / "pyproject.toml", tmp / "pyproject.toml")
    shutil.copytree(EXAMPLE / "data", tmp / "data", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return tmp / "pyproject.toml"


def run(*argv: str, environ: dict[str, str] | None = None, bigquery: Any = None) -> tuple[int, str]:
    out = io.StringIO()
    code = run_cli(lambda a: main(a, out=out, environ=environ or {}, bigquery=bigquery), list(argv), prog="predguard validate")
    return code, out.getvalue()


def run_json(*argv: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    code, text = run(*argv, "--format", "json", **kwargs)
    return code, json.loads(text)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["checks"]}


def rewrite_csv(path: Path, *, rename: dict[str, str] | None = None, add: list[dict[str, str]] | None = None) -> None:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    rows += add or []
    renamed = [(rename or {}).get(f, f) for f in fields]
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(renamed)
        out.writerows([row[f] for f in fields] for row in rows)
