"""Shell-word expansion, case by case against BuildKit's shell.Lex behaviour."""
from __future__ import annotations

import pytest

from predguard.hooks.dockerfile.variables import expand, split_words

ENV: dict[str, str | None] = {"X": "val", "EMPTY": "", "DECLARED": None, "P": "/usr/local/lib/python"}


@pytest.mark.parametrize(
    ("word", "text", "undefined"),
    [
        ("$X", "val", ()),
        ("${X}", "val", ()),
        ("a${X}b", "avalb", ()),
        ("$Y", "", ("Y",)),
        ("${Y}", "", ("Y",)),
        ("$DECLARED", "", ()),  # `ARG DECLARED` without a value: empty but not undefined
        ("${X:-w}", "val", ()),
        ("${Y:-w}", "w", ()),
        ("${EMPTY:-w}", "w", ()),
        ("${EMPTY-w}", "", ()),
        ("${Y-w}", "w", ()),
        ("${X:+w}", "w", ()),
        ("${EMPTY:+w}", "", ()),
        ("${EMPTY+w}", "w", ()),
        ("${Y+w}", "", ()),
        ("${Y:-${X}}", "val", ()),
        ("${Y:-$Z}", "", ("Z",)),
        ("\\$X", "$X", ()),
        ("'$X'", "$X", ()),
        ('"$X"', "val", ()),
        ('"a b"', "a b", ()),
        ('"\\$X"', "$X", ()),
        ("$", "$", ()),
        ("a$-b", "a$-b", ()),
        ("${P#*/}", "usr/local/lib/python", ()),
        ("${P##*/}", "python", ()),
        ("${P%/*}", "/usr/local/lib", ()),
        ("${P%%/l*}", "/usr", ()),
        ("${P/l/L}", "/usr/Local/lib/python", ()),
        ("${P//l/L}", "/usr/LocaL/Lib/python", ()),
    ],
)
def test_expand(word: str, text: str, undefined: tuple[str, ...]) -> None:
    result = expand(word, ENV)
    assert (result.text, result.undefined) == (text, undefined)


def test_backtick_escape() -> None:
    assert expand("`$X", ENV, "`").text == "$X"
    assert expand("c:\\dir", ENV, "`").text == "c:\\dir"  # backslash is literal with the backtick escape


def test_keep_quotes_for_shell_form() -> None:
    assert expand('"a b" $X', ENV, unquote=False).text == '"a b" val'


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('A=1 B="two words" C=3', ["A=1", 'B="two words"', "C=3"]),
        ("A=a\\ b C", ["A=a\\ b", "C"]),
        ("A='x y'", ["A='x y'"]),
    ],
)
def test_split_words(line: str, words: list[str]) -> None:
    assert split_words(line) == words
