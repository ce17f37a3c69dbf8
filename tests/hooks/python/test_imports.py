"""predguard.hooks.python.imports: which imports a file can make at run time."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.hooks.python.imports import parse_file


def refs(tmp_path: Path, source: str | bytes) -> list[tuple[str, int, tuple[str, ...], int, bool]]:
    path = tmp_path / "mod.py"
    path.write_bytes(source if isinstance(source, bytes) else source.encode())
    parsed = parse_file(path)
    assert parsed.problem is None, parsed.problem
    return [(r.module, r.level, r.names, r.line, r.optional) for r in parsed.imports]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import a.b, c\n", [("a.b", 0, (), 1, False), ("c", 0, (), 1, False)]),
        ("from a import b as x, c\n", [("a", 0, ("b", "c"), 1, False)]),
        ("def f():\n    from a.b import c\n", [("a.b", 0, ("c",), 2, False)]),
        ("class K:\n    import a\n", [("a", 0, (), 2, False)]),
        ("if X:\n    import a\nelse:\n    import b\n", [("a", 0, (), 2, False), ("b", 0, (), 4, False)]),
        ("from . import x\nfrom ..p import y\n", [("", 1, ("x",), 1, False), ("p", 2, ("y",), 2, False)]),
        ("from __future__ import annotations\n", []),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n", [("typing", 0, ("TYPE_CHECKING",), 1, False)]),
        ("import typing\nif typing.TYPE_CHECKING:\n    import a\nelse:\n    import b\n", [("typing", 0, (), 1, False), ("b", 0, (), 5, False)]),
        ("if not TYPE_CHECKING:\n    import a\n", [("a", 0, (), 2, False)]),
        ("try:\n    import a\nexcept ImportError:\n    import b\n", [("a", 0, (), 2, True), ("b", 0, (), 4, False)]),
        ("try:\n    import a\nexcept (ValueError, ModuleNotFoundError):\n    pass\n", [("a", 0, (), 2, True)]),
        ("try:\n    import a\nexcept ValueError:\n    pass\n", [("a", 0, (), 2, False)]),
        ("try:\n    import a\nexcept:\n    pass\nelse:\n    import b\n", [("a", 0, (), 2, True), ("b", 0, (), 6, False)]),
        ("import importlib\nm = importlib.import_module('a.b')\n", [("importlib", 0, (), 1, False), ("a.b", 0, (), 2, False)]),
        ("from importlib import import_module\ndef f():\n    import_module('.x', package='p.q')\n",
         [("importlib", 0, ("import_module",), 1, False), ("p.q.x", 0, (), 3, False)]),
        ("import importlib\nimportlib.import_module('..x', __package__)\n", [("importlib", 0, (), 1, False), ("x", 2, (), 2, False)]),
        ("__import__('a.b')\n", [("a.b", 0, (), 1, False)]),
        ("import importlib\nname = 'a'\nimportlib.import_module(name)\n", [("importlib", 0, (), 1, False)]),
    ],
    ids=[
        "import", "from", "deferred", "class-level", "conditional", "relative", "future", "TYPE_CHECKING",
        "typing.TYPE_CHECKING else runs", "not TYPE_CHECKING runs", "optional try", "optional tuple handler",
        "other handler is required", "bare except optional, else required", "importlib literal", "importlib relative with package",
        "importlib __package__", "__import__", "importlib computed name is skipped",
    ],
)
def test_extracts_imports(tmp_path: Path, source: str, expected: list[tuple[str, int, tuple[str, ...], int, bool]]) -> None:
    assert refs(tmp_path, source) == expected


def test_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("x = 'é'; import a\n", encoding="utf-8")
    [ref] = parse_file(path).imports
    assert ref.column == 10


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [
        (b"def f(:\n    pass\n", 1, 7, "syntax error"),
        (b"import os\nprint 'hello'\n", 2, 1, "Python 2"),
        (b"import os\nx = '\xe9t\xe9'\n", 2, 6, "not valid utf-8"),
        (b"x = '\xff'\n", 1, 6, "not valid utf-8"),
        (b"import os\nx = 1\x00\n", 2, 6, "NUL byte"),
        (b"# -*- coding: klingon -*-\nimport os\n", 1, 1, "encoding"),
    ],
    ids=["syntax error", "python 2 print", "non-UTF-8 bytes", "non-UTF-8 on line 1", "NUL byte", "unknown coding cookie"],
)
def test_unparsable_files_are_problems_not_crashes(tmp_path: Path, source: bytes, line: int, column: int, words: str) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(source)
    parsed = parse_file(path)
    assert parsed.imports == ()
    assert parsed.problem is not None
    assert (parsed.problem.line, parsed.problem.column) == (line, column)
    assert words.lower() in parsed.problem.message.lower()


def test_pep263_cookie_is_respected(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\nimport a\nx = 'été'\n".encode("latin-1"))
    parsed = parse_file(path)
    assert parsed.problem is None
    assert [r.module for r in parsed.imports] == ["a"]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfimport a\n")
    assert [r.module for r in parse_file(path).imports] == ["a"]


@pytest.mark.parametrize(
    ("line", "suppressed"),
    [
        ("import a  # predguard: ignore[PG101]", {"PG101"}),
        ("import a  # predguard: ignore[PG101, pg104]", {"PG101", "PG104"}),
        ("import a  # predguard: ignore", {"PG101", "PG104", "PG999"}),
        ("import a  # predguard: ignore[PG104]", {"PG104"}),
        ("import a  # noqa", set()),
    ],
)
def test_inline_suppression(tmp_path: Path, line: str, suppressed: set[str]) -> None:
    path = tmp_path / "s.py"
    path.write_text(line + "\n")
    parsed = parse_file(path)
    assert {code for code in ("PG101", "PG104", "PG999") if parsed.suppressed(1, code)} == suppressed
    assert not parsed.suppressed(2, "PG101")


def test_each_file_is_parsed_once_while_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "c.py"
    path.write_text("import a\n")
    first = parse_file(path)
    assert parse_file(path) is first
    path.write_text("import a, b\n")
    assert [r.module for r in parse_file(path).imports] == ["a", "b"]


def test_line_numbers_follow_python_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "ff.py"
    path.write_bytes("x = '\u2028'\f\r\nimport a  # predguard: ignore\rimport b\n".encode())
    parsed = parse_file(path)
    assert [(r.module, r.line) for r in parsed.imports] == [("a", 2), ("b", 3)]
    assert parsed.suppressed(2, "PG101") and not parsed.suppressed(3, "PG101")


@pytest.mark.parametrize("kind", ["missing", "directory", "symlink loop"])
def test_unreadable_files_are_problems(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "gone.py"
    if kind == "directory":
        path.mkdir()
    elif kind == "symlink loop":
        path.symlink_to(tmp_path / "loop.py")
        (tmp_path / "loop.py").symlink_to(path)
    parsed = parse_file(path)
    assert parsed.imports == () and parsed.problem is not None
    assert parsed.problem.message.startswith("cannot be read")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_line_numbers_count_every_newline_the_parser_counts(tmp_path: Path, newline: str) -> None:
    """Statements are skipped by the lines that mention `import`: the numbering must be the parser's."""
    source = newline.join(["x = 1", "def f():", "    y = 2", "    import a", "TABLE = [", "    1,", "]", "import b", ""])
    assert refs(tmp_path, source.encode()) == [("a", 0, (), 4, False), ("b", 0, (), 8, False)]
