"""The lexer: directives, continuations, comments, heredocs, keywords, and unreadable input."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.hooks.dockerfile.lexer import lex, read_dockerfile
from predguard.errors import InputError


def keywords(text: str) -> list[tuple[str, int, str]]:
    return [(i.keyword, i.line, i.value) for i in lex(text, "Dockerfile").instructions]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("FROM a\nRUN echo hi \\\n  there\n", [("FROM", 1, "a"), ("RUN", 2, "echo hi   there")], id="backslash-continuation"),
        pytest.param("# escape=`\nFROM a\nRUN echo `\n  there\n", [("FROM", 2, "a"), ("RUN", 3, "echo   there")], id="backtick-escape-directive"),
        pytest.param(
            "# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN dir `\n  c:\\\n",
            [("FROM", 3, "a"), ("RUN", 4, "dir   c:\\")],
            id="escape-after-syntax-directive",
        ),
        pytest.param(
            "# check=skip=all\n# escape=`\nFROM a\nRUN a `\n b\n", [("FROM", 3, "a"), ("RUN", 4, "a  b")], id="escape-after-check-directive"
        ),
        pytest.param(
            "# a comment\n# escape=`\nFROM a\nRUN a `\nRUN b\n",
            [("FROM", 3, "a"), ("RUN", 4, "a `"), ("RUN", 5, "b")],
            id="directive-after-comment-is-a-comment",
        ),
        pytest.param("\n# escape=`\nFROM a\nRUN a `\n", [("FROM", 3, "a"), ("RUN", 4, "a `")], id="directive-after-blank-line-is-a-comment"),
        pytest.param(
            "FROM a\nRUN a \\\n  # dropped comment\n  b\n", [("FROM", 1, "a"), ("RUN", 2, "a   b")], id="comment-inside-continuation-dropped"
        ),
        pytest.param(
            "FROM a\nRUN a \\\n\n  b\nRUN c\n", [("FROM", 1, "a"), ("RUN", 2, "a   b"), ("RUN", 5, "c")], id="empty-continuation-line"
        ),
        pytest.param(
            "FROM a\nRUN a \\\n   \t\n  b\n", [("FROM", 1, "a"), ("RUN", 2, "a   b")], id="whitespace-only-continuation-line"
        ),
        pytest.param("from a\ncopy x y\nWorkDir /w\n", [("FROM", 1, "a"), ("COPY", 2, "x y"), ("WORKDIR", 3, "/w")], id="keywords-case-insensitive"),
        pytest.param("\ufeffFROM a\n", [("FROM", 1, "a")], id="utf8-bom"),
        pytest.param("FROM a\r\nRUN b \\\r\n c\r\n", [("FROM", 1, "a"), ("RUN", 2, "b  c")], id="crlf"),
    ],
)
def test_instructions(text: str, expected: list[tuple[str, int, str]]) -> None:
    assert keywords(text) == expected


@pytest.mark.parametrize(
    ("text", "bodies", "end_line", "next_keyword"),
    [
        pytest.param("FROM a\nRUN <<EOF\nset -e\npip install x\nEOF\nRUN b\n", [("EOF", "set -e\npip install x\n", True)], 5, "RUN", id="run-heredoc"),
        pytest.param("FROM a\nRUN <<-EOF\n\tpip install x\n\tEOF\nCMD c\n", [("EOF", "pip install x\n", True)], 4, "CMD", id="chomp-tabs"),
        pytest.param("FROM a\nRUN <<'EOF'\necho $X\nEOF\nCMD c\n", [("EOF", "echo $X\n", False)], 4, "CMD", id="single-quoted-name"),
        pytest.param('FROM a\nRUN <<"EOF"\necho $X\nEOF\nCMD c\n', [("EOF", "echo $X\n", False)], 4, "CMD", id="double-quoted-name"),
        pytest.param("FROM a\nRUN <<\\EOF\necho $X\nEOF\nCMD c\n", [("EOF", "echo $X\n", False)], 4, "CMD", id="escaped-name"),
        pytest.param(
            "FROM a\nRUN <<A cat && <<B cat\na1\nA\nb1\nB\nCMD c\n", [("A", "a1\n", True), ("B", "b1\n", True)], 6, "CMD", id="two-heredocs-one-line"
        ),
        pytest.param("FROM a\nRUN python3 \\\n  <<EOF\nprint(1)\nEOF\nCMD c\n", [("EOF", "print(1)\n", True)], 5, "CMD", id="after-continued-line"),
        pytest.param("FROM a\nCOPY <<EOF /app/x.py\nX = 1\nEOF\nCMD c\n", [("EOF", "X = 1\n", True)], 4, "CMD", id="copy-heredoc"),
        pytest.param("FROM a\nRUN echo '<<EOF'\nCMD c\n", [], 2, "CMD", id="quoted-heredoc-marker-is-not-one"),
        pytest.param("FROM a\nENV X=<<EOF\nCMD c\n", [], 2, "CMD", id="heredoc-only-for-run-copy-add"),
    ],
)
def test_heredocs(text: str, bodies: list[tuple[str, str, bool]], end_line: int, next_keyword: str) -> None:
    instructions = lex(text, "Dockerfile").instructions
    first = instructions[1]
    assert [(d.name, d.body, d.expand) for d in first.heredocs] == bodies
    assert first.end_line == end_line
    # The body never leaks out as bogus instructions (dockerfile-parse alone gives SET, PIP, EOF).
    assert [i.keyword for i in instructions] == ["FROM", first.keyword, next_keyword]


def test_unterminated_heredoc_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        lex("FROM a\nRUN <<EOF\npip install x\n", "svc/Dockerfile")
    assert info.value.where == "svc/Dockerfile:2"
    assert "unterminated heredoc <<EOF" in info.value.message


def test_invalid_escape_directive() -> None:
    with pytest.raises(InputError, match="escape directive"):
        lex("# escape=x\nFROM a\n", "Dockerfile")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("# predguard: ignore[PG101,PG105]\nFROM a\nCOPY x y\n", {0: frozenset({"PG101", "PG105"})}, id="before-first-from-whole-file"),
        pytest.param("FROM a\n# predguard: ignore[PG105]\n\nCOPY x y\n", {4: frozenset({"PG105"})}, id="applies-to-next-instruction"),
        pytest.param("FROM a\n# just a comment\nCOPY x y\n", {}, id="plain-comment-is-no-pragma"),
        pytest.param("FROM a\nCOPY x y\n", {}, id="none"),
    ],
)
def test_pragmas(text: str, expected: dict[int, frozenset[str]]) -> None:
    assert lex(text, "Dockerfile").ignored_codes == expected


@pytest.mark.parametrize(
    ("data", "message", "where"),
    [
        pytest.param(b"FROM a\nRUN \x00\n", "NUL byte", "Dockerfile:2", id="nul-byte"),
        pytest.param(b"FROM a\nCOPY caf\xe9 /x\n", "not valid UTF-8", "Dockerfile:2", id="latin-1"),
    ],
)
def test_unreadable_bytes(tmp_path: Path, data: bytes, message: str, where: str) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as info:
        read_dockerfile(path, "Dockerfile")
    assert info.value.where == where


def test_valid_utf8_reads(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes("FROM a\nLABEL x=café\n".encode())
    assert read_dockerfile(path, "Dockerfile").endswith("café\n")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read Dockerfile"):
        read_dockerfile(tmp_path / "nope", "nope")
    with pytest.raises(InputError, match="is a directory"):
        read_dockerfile(tmp_path, "dir")


@pytest.mark.parametrize(
    ("comment", "codes"),
    [
        ("# predguard: ignore[PG105, pg106]", {"PG105", "PG106"}),
        ("# predguard: ignore", {"*"}),
        ("# predguard: ignore[*]", {"*"}),
        ("# predguard ignore PG105", set()),
        ("# see predguard: ignore[PG105] docs", set()),
    ],
)
def test_pragma_syntax(comment: str, codes: set[str]) -> None:
    assert lex(f"FROM a\n{comment}\nCOPY x y\n", "Dockerfile").ignored_codes == ({3: frozenset(codes)} if codes else {})


def test_pragma_inside_a_continuation_applies_to_that_instruction() -> None:
    assert lex("FROM a\nCOPY x \\\n  # predguard: ignore[PG105]\n  y\n", "Dockerfile").ignored_codes == {2: frozenset({"PG105"})}


@pytest.mark.parametrize(
    ("args", "escape", "expected"),
    [
        ("<<EOF", "\\", [("EOF", False, True)]),
        ("<<-'EOT' cat", "\\", [("EOT", True, False)]),
        # an escaped quote does not end a double-quoted word: "<<EOF" inside it is text
        ('echo "a\\" <<EOF"', "\\", []),
        # with `# escape=`` the backtick escapes, and a backslash is plain text
        ('echo "a`" <<EOF"', "`", []),
        ('echo "a\\" <<EOF', "`", [("EOF", False, True)]),
    ],
)
def test_heredoc_words_follow_the_shell_lexer(args: str, escape: str, expected: list[tuple[str, bool, bool]]) -> None:
    from predguard.hooks.dockerfile.lexer import heredoc_specs

    assert heredoc_specs(args, escape) == expected


@pytest.mark.parametrize("text", ["\\\n", "\\\n\\\n", "FROM python:3.11\n\\\n"])
def test_a_continuation_with_nothing_on_it_is_no_instruction(text: str) -> None:
    # Found by the fuzzer (tests/fuzz): a lone escape character used to raise IndexError.
    keywords = [i.keyword for i in lex(text, "Dockerfile").instructions]
    assert keywords == (["FROM"] if text.startswith("FROM") else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # BuildKit (frontend/dockerfile/parser/parser.go) joins the logical line first and splits the
        # keyword off it; a line holding only the escape carries nothing and continues, and comment
        # and empty lines inside the continuation are dropped. The instruction starts at its first line.
        pytest.param("\\\nFROM python:3.12\n", [("FROM", 1, 2, "python:3.12")], id="lone-escape-before-from"),
        pytest.param(
            "\\\n# a comment\n\n\\\nFROM python:3.12 AS base\n", [("FROM", 1, 5, "python:3.12 AS base")], id="comment-and-empty-lines-inside"
        ),
        pytest.param("  \\  \nFROM a\n", [("FROM", 1, 2, "a")], id="whitespace-around-the-escape"),
        pytest.param("# escape=`\n`\nFROM a\nRUN b\n", [("FROM", 2, 3, "a"), ("RUN", 4, 4, "b")], id="backtick-escape"),
        pytest.param("FROM a\n\\\nCOPY x /y\n", [("FROM", 1, 1, "a"), ("COPY", 2, 3, "x /y")], id="lone-escape-before-copy"),
        pytest.param("FROM\\\n  python:3.12\n", [("FROM", 1, 2, "python:3.12")], id="escape-right-after-the-keyword"),
        pytest.param("FROM a\nCOPY\\\n x /y\n", [("FROM", 1, 1, "a"), ("COPY", 2, 3, "x /y")], id="escape-right-after-copy"),
        pytest.param("FR\\\nOM python:3.12\n", [("FROM", 1, 2, "python:3.12")], id="keyword-split-across-lines"),
        pytest.param("\\\nFROM\\\n\\\n a \\\n  AS b\n", [("FROM", 1, 5, "a   AS b")], id="several-continuations"),
    ],
)
def test_the_keyword_comes_from_the_joined_line(text: str, expected: list[tuple[str, int, int, str]]) -> None:
    assert [(i.keyword, i.line, i.end_line, i.value) for i in lex(text, "Dockerfile").instructions] == expected


def test_a_heredoc_after_a_lone_escape_line_stays_with_its_instruction() -> None:
    instructions = lex("FROM a\n\\\nRUN <<EOF\nset -e\nEOF\nCMD c\n", "Dockerfile").instructions
    assert [(i.keyword, i.line, i.end_line) for i in instructions] == [("FROM", 1, 1), ("RUN", 2, 5), ("CMD", 6, 6)]
    assert [(d.name, d.body) for d in instructions[1].heredocs] == [("EOF", "set -e\n")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # BuildKit's testfiles/continue-at-eof: `RUN something \` as the last line is (run "something");
        # a real Docker build runs such a last COPY. Trailing comment and empty lines change nothing.
        pytest.param("FROM a\nRUN something \\\n", [("FROM", 1, 1, "a"), ("RUN", 2, 2, "something")], id="last-line-continues"),
        pytest.param("FROM a\nCOPY x /y \\", [("FROM", 1, 1, "a"), ("COPY", 2, 2, "x /y")], id="no-final-newline"),
        pytest.param("FROM a\nCOPY x \\\n  /y \\\n\n", [("FROM", 1, 1, "a"), ("COPY", 2, 4, "x   /y")], id="then-an-empty-line"),
        pytest.param("FROM a\nCOPY x /y \\\n# the end\n", [("FROM", 1, 1, "a"), ("COPY", 2, 3, "x /y")], id="then-a-comment"),
        pytest.param("FROM\\\n", [("FROM", 1, 1, "")], id="keyword-and-escape-only"),
    ],
)
def test_a_file_that_ends_inside_a_continuation_ends_the_instruction(text: str, expected: list[tuple[str, int, int, str]]) -> None:
    assert [(i.keyword, i.line, i.end_line, i.value) for i in lex(text, "Dockerfile").instructions] == expected
