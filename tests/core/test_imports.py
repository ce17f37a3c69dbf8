"""Heavy libraries are imported only where used, and every logger is named under `predguard.`."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("slack_sdk", "matplotlib", "google.cloud.bigquery", "pybreaker", "duckdb", "scipy")


def loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    return set(json.loads(out))


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        ("import predguard.monitors.alerting", set()),
        ("from predguard.monitors.alerting import build_notifier, Delivery", set()),
        ("import predguard.monitors.drift", set()),
        ("import predguard.monitors.outbox", set()),
        ("import predguard.processors", {"pybreaker"}),  # the breaker guards Processor.load
        ("import predguard.cli, predguard.outbox, predguard.bigquery, predguard.log", set()),
        ("import predguard.hooks.check_dockerfiles", set()),
    ],
)
def test_importing_a_module_loads_no_heavy_library_it_does_not_use(statement: str, allowed: set[str]) -> None:
    assert loaded_after(statement) <= allowed


def test_the_heavy_library_loads_when_the_notifier_is_named() -> None:
    assert {"slack_sdk"} <= loaded_after("from predguard.monitors.alerting import SlackNotifier")


def test_the_slack_api_url_constant_is_slack_sdks() -> None:
    from slack_sdk import WebClient

    from predguard.monitors.alerting.delivery import SLACK_API_URL

    assert SLACK_API_URL == WebClient.BASE_URL


def _logger_names(path: Path) -> list[tuple[int, str]]:
    """The loggers a module creates to log to: `name = logging.getLogger(...)` (configuring a
    third-party library's logger, e.g. httpx's level, is not creating one)."""
    found = []
    for assign in ast.walk(ast.parse(path.read_text(), str(path))):
        node = assign.value if isinstance(assign, ast.Assign) else None
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "getLogger" and node.args:
            arg = node.args[0]
            name = "__name__" if isinstance(arg, ast.Name) and arg.id == "__name__" else (
                arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else ast.unparse(arg))
            found.append((node.lineno, name))
    return found


def test_every_logger_is_named_under_predguard() -> None:
    # Folders install as predguard.<folder>, so __name__ is always under `predguard.`.
    bad = []
    for folder in ("predguard", "hooks", "verify", "processors", "monitors"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for line, name in _logger_names(path):
                if name != "__name__" and not name.startswith("predguard."):
                    bad.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert bad == []
