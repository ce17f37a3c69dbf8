"""Small repositories written by the tests, checked by the real check-dockerfiles entry point."""
from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from predguard.errors import run_cli
from predguard.hooks import check_dockerfiles


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@dataclass(frozen=True)
class Checked:
    code: int
    document: dict[str, Any]
    stderr: str

    def pg102(self) -> list[dict[str, Any]]:
        return [f for f in self.document.get("findings", []) if f["code"] == "PG102"]

    def by_module(self) -> dict[str, dict[str, Any]]:
        return {f["module"]: f for f in self.pg102()}


@pytest.fixture
def check_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Checked]:
    """Write `files` under a fresh root and run `predguard check-dockerfiles --format json` on it."""
    counter = iter(range(1000))

    def run(files: dict[str, str], *args: str) -> Checked:
        root = write_tree(tmp_path / f"repo{next(counter)}", files)
        capsys.readouterr()
        code = run_cli(check_dockerfiles.main, ["--root", str(root), "--format", "json", *args], prog="predguard check-dockerfiles")
        out, err = capsys.readouterr()
        return Checked(code, json.loads(out) if out.strip() else {}, err)

    return run
