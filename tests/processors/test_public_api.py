"""What a platform needs to wire a processor service is importable from `predguard.processors`."""
from __future__ import annotations

import ast
from pathlib import Path

import predguard.processors as processors

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prediction-platform"


def test_every_public_name_resolves() -> None:
    for name in processors.__all__:
        assert getattr(processors, name) is not None, name
    assert processors.Outbox.__module__ == "predguard.outbox"


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        processors.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_the_example_service_wires_itself_from_the_public_api() -> None:
    used = set()
    for path in (EXAMPLE / "data_processors").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("predguard.processors"):
                used.add(node.module)
    # the package itself, plus the output writer's own public package
    assert used == {"predguard.processors", "predguard.processors.output"}
