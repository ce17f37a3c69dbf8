"""Instruction arguments: flags, exec vs shell form, ARG/ENV pairs."""
from __future__ import annotations

import pytest

from predguard.hooks.dockerfile.instructions import parse_arg, parse_env, parse_flags, parse_json_array


@pytest.mark.parametrize(
    ("value", "flags", "rest"),
    [
        ("--from=builder /src/ ./", [("from", "builder")], "/src/ ./"),
        ("--exclude=*.md --exclude=tests a/ b/", [("exclude", "*.md"), ("exclude", "tests")], "a/ b/"),
        ("--parents --link src/ /app/", [("parents", None), ("link", None)], "src/ /app/"),
        ('--chown="1000:1000" --chmod=644 a b', [("chown", "1000:1000"), ("chmod", "644")], "a b"),
        ('--from=x ["a b", "c/"]', [("from", "x")], '["a b", "c/"]'),
        ("-- --weird-name /d/", [], "--weird-name /d/"),
        ("a --from=x b", [], "a --from=x b"),  # flags only before the arguments
        ("--FROM=Builder a b", [("from", "Builder")], "a b"),
    ],
)
def test_parse_flags(value: str, flags: list[tuple[str, str | None]], rest: str) -> None:
    assert parse_flags(value) == (flags, rest)


@pytest.mark.parametrize(
    ("rest", "argv"),
    [
        ('["a b", "c/"]', ["a b", "c/"]),
        ('  ["python", "-m", "app"]  ', ["python", "-m", "app"]),
        ('["python", app.py]', None),  # invalid JSON: shell form
        ("[1, 2]", None),  # not strings: shell form
        ("python -m app", None),
    ],
)
def test_parse_json_array(rest: str, argv: list[str] | None) -> None:
    assert parse_json_array(rest) == argv


@pytest.mark.parametrize(
    ("value", "pairs"),
    [
        ("A=1 B=2", [("A", "1"), ("B", "2")]),
        ('A="x y" B=$A', [("A", '"x y"'), ("B", "$A")]),
        ("LEGACY some value here", [("LEGACY", "some value here")]),
    ],
)
def test_parse_env(value: str, pairs: list[tuple[str, str]]) -> None:
    assert parse_env(value, "\\") == pairs


@pytest.mark.parametrize(("value", "pairs"), [("X", [("X", None)]), ("X=1 Y", [("X", "1"), ("Y", None)]), ("X=", [("X", "")])])
def test_parse_arg(value: str, pairs: list[tuple[str, str | None]]) -> None:
    assert parse_arg(value, "\\") == pairs
