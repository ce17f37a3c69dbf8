"""Shell-word expansion as BuildKit's `shell.Lex` does it for builder instructions.

`$X`, `${X}`, `${X:-w}`, `${X-w}`, `${X:+w}`, `${X+w}`, `${X:?w}`, `${X?w}`, the labs forms
`${X#p}`, `${X##p}`, `${X%p}`, `${X%%p}`, `${X/p/r}`, `${X//p/r}`; single quotes literal, double quotes
expanding; the escape character (backslash or backtick) makes the next character literal (`\\$X`).
dockerfile-parse's WordSplitter handles only `$X`/`${X}` (it turns `${X:-w}` into `:-w}`), so this
module replaces it.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass

# An environment maps a name to its value, or to None when it is declared (`ARG X`) without one:
# such a name expands to "" but is not "undefined".
Env = Mapping[str, "str | None"]

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Expansion:
    text: str
    undefined: tuple[str, ...]  # names used without a default that no ARG/ENV defines


def expand(word: str, env: Env, escape: str = "\\", *, unquote: bool = True) -> Expansion:
    """Expand one word. With unquote=False, quotes are kept (as for RUN/CMD shell forms)."""
    lexer = _Lexer(word, env, escape, unquote)
    text = lexer.run(stop="")
    return Expansion(text, tuple(dict.fromkeys(lexer.undefined)))


class _Lexer:
    def __init__(self, s: str, env: Env, escape: str, unquote: bool) -> None:
        self.s = s
        self.i = 0
        self.env = env
        self.escape = escape
        self.unquote = unquote
        self.undefined: list[str] = []

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def run(self, stop: str) -> str:
        out: list[str] = []
        while self.i < len(self.s):
            ch = self.s[self.i]
            if stop and ch == stop:
                return "".join(out)
            self.i += 1
            if ch == "'":
                end = self.s.find("'", self.i)
                end = len(self.s) if end < 0 else end
                literal = self.s[self.i : end]
                out.append(literal if self.unquote else f"'{literal}'")
                self.i = end + 1
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == "$":
                out.append(self.dollar())
            elif ch == self.escape:
                if self.i < len(self.s):  # an escape at the very end is dropped, as BuildKit does
                    nxt = self.s[self.i]
                    self.i += 1
                    out.append(nxt if self.unquote else ch + nxt)
            else:
                out.append(ch)
        return "".join(out)

    def double_quoted(self) -> str:
        out: list[str] = []
        while self.i < len(self.s):
            ch = self.s[self.i]
            self.i += 1
            if ch == '"':
                return "".join(out) if self.unquote else f'"{"".join(out)}"'
            if ch == "$":
                out.append(self.dollar())
            elif ch == self.escape and self.peek() in ('"', "$", self.escape):
                out.append(self.s[self.i] if self.unquote else ch + self.s[self.i])
                self.i += 1
            else:
                out.append(ch)
        return "".join(out) if self.unquote else f'"{"".join(out)}'

    def lookup(self, name: str) -> str | None:
        return self.env.get(name)

    def dollar(self) -> str:
        if self.peek() == "{":
            return self.braced()
        m = _NAME.match(self.s, self.i)
        if not m:
            return "$"
        self.i = m.end()
        return self.plain(m.group(0))

    def plain(self, name: str) -> str:
        if name not in self.env:
            self.undefined.append(name)
        return self.lookup(name) or ""

    def braced(self) -> str:
        start = self.i - 1
        self.i += 1  # "{"
        m = _NAME.match(self.s, self.i)
        if not m:  # not a variable: keep it as written
            end = self.s.find("}", self.i)
            end = len(self.s) if end < 0 else end + 1
            self.i = end
            return self.s[start:end]
        name = m.group(0)
        self.i = m.end()
        op = self.peek()
        if op == "}":
            self.i += 1
            return self.plain(name)
        if op == ":" and self.i + 1 < len(self.s) and self.s[self.i + 1] in "-+?":
            op = self.s[self.i : self.i + 2]
            self.i += 2
        elif op in ("-", "+", "?"):
            self.i += 1
        elif op in ("#", "%"):
            self.i += 1
            if self.peek() == op:
                op += op
                self.i += 1
        elif op == "/":
            self.i += 1
            if self.peek() == "/":
                op = "//"
                self.i += 1
        else:  # unsupported: skip to the closing brace
            end = self.s.find("}", self.i)
            self.i = len(self.s) if end < 0 else end + 1
            return self.plain(name)
        if op in ("/", "//"):
            pattern = self.run(stop="/")
            if self.peek() == "/":
                self.i += 1
            word = self.run(stop="}")
        else:
            word = self.run(stop="}")
        self.i += 1  # "}"
        value = self.lookup(name)
        is_set = value is not None
        if op == ":-":
            return value if value else word
        if op == "-":
            return value if value is not None else word
        if op == ":+":
            return word if value else ""
        if op == "+":
            return word if is_set else ""
        if op in (":?", "?"):
            return value or ""
        value = value or ""
        if op in ("#", "##"):
            return _strip(value, word, prefix=True, greedy=op == "##")
        if op in ("%", "%%"):
            return _strip(value, word, prefix=False, greedy=op == "%%")
        regex = fnmatch.translate(pattern).removesuffix(r"\Z").removeprefix("(?s:").removesuffix(")")
        return re.sub(regex, word, value, count=0 if op == "//" else 1)


def _strip(value: str, pattern: str, *, prefix: bool, greedy: bool) -> str:
    candidates = range(len(value) + 1)
    order = reversed(candidates) if greedy else candidates
    for n in order:
        part = value[:n] if prefix else value[len(value) - n :]
        if fnmatch.fnmatchcase(part, pattern):
            return value[n:] if prefix else value[: len(value) - n]
    return value


def split_words(s: str, escape: str = "\\") -> list[str]:
    """Split on whitespace outside quotes, keeping quotes and escapes (BuildKit's parseWords)."""
    if escape not in s and "'" not in s and '"' not in s:
        return s.split()  # nothing quoted or escaped: plain whitespace splitting is the same
    words: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == escape and i + 1 < len(s) and quote != "'":
            current.append(s[i : i + 2])
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = ""
            current.append(ch)
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch.isspace():
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(ch)
        i += 1
    if current:
        words.append("".join(current))
    return words
