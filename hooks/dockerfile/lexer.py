"""Dockerfile text -> instructions, with BuildKit's parsing rules.

The work is split with dockerfile-parse: this module reads the bytes (UTF-8, NUL, BOM), reads the
parser directives, and makes one pass over the physical lines to find what dockerfile-parse gets
wrong -- heredoc bodies (which it would read as instructions), empty continuation lines (where
it would end the instruction), a keyword that is not followed by whitespace on the instruction's
first line (it reads the keyword from that line alone; BuildKit from the joined line), and a file
that ends inside a continuation (it drops that last instruction). It blanks the first, turns the
second into comment lines, puts the keyword at the start of the line where it ends and closes the
last continuation with an empty line, keeping every line number, and hands that text to
dockerfile-parse, whose `structure` then gives the instructions: keyword, start/end line, and the
value with continuations joined and comment lines dropped. Heredoc bodies and
`# predguard: ignore[...]` pragmas are attached from this pass.
"""
from __future__ import annotations

import errno

import io
import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path

from dockerfile_parse import DockerfileParser

from predguard.hooks.dockerfile.variables import split_words
from predguard.errors import InputError

DIRECTIVES = frozenset({"syntax", "escape", "check"})
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_PRAGMA = re.compile(r"#\s*predguard:\s*ignore(?:\[([A-Za-z0-9*,\s]*)\])?\s*$")
# A heredoc word, as BuildKit's parser sees it: optional fd digits, <<, optional -, then the name.
_HEREDOC_WORD = re.compile(r"^\d*<<(-?)(.+)$")


@dataclass(frozen=True)
class Heredoc:
    name: str
    body: str  # lines joined with "\n", ending with "\n" (BuildKit keeps the final newline)
    expand: bool  # False when the name was quoted: no variable expansion in the body
    chomp: bool  # <<- : leading tabs stripped


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper-case
    value: str  # everything after the keyword, continuations joined, comment lines dropped
    line: int  # 1-based first line
    end_line: int  # 1-based last line (the heredoc terminator when there is one)
    lines: tuple[str, ...]  # the physical lines of the instruction itself (for columns)
    heredocs: tuple[Heredoc, ...] = ()


@dataclass(frozen=True)
class _Span:
    """Where an instruction really starts and ends, and its heredocs (from the lexer's own pass)."""
    start: int  # 0-based
    end: int  # 0-based, the heredoc terminator when there is one
    heredocs: tuple[Heredoc, ...]


@dataclass(frozen=True)
class Lexed:
    escape: str
    directives: dict[str, str]
    instructions: tuple[Instruction, ...]
    ignored_codes: dict[int, frozenset[str]]


def read_dockerfile(path: Path, where: str) -> str:
    """Read a Dockerfile as text, turning every way it can be unreadable into one InputError."""
    if path.exists() and not path.is_dir() and not path.is_file():  # opening a FIFO would hang
        raise InputError("not a regular file (a FIFO, socket or device named like a Dockerfile)", where=where)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError("is a directory, not a Dockerfile", where=where) from None
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else exc.strerror or exc
        raise InputError(f"cannot read Dockerfile: {reason}", where=where) from None
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError("NUL byte in Dockerfile (binary file?)", where=f"{where}:{line}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"Dockerfile is not valid UTF-8 (byte 0x{data[exc.start]:02x})", where=f"{where}:{line}") from None
    return text.removeprefix("\ufeff")


@lru_cache(maxsize=32)
def lex(text: str, where: str) -> Lexed:
    """One lexing per Dockerfile text and run: context inference and the build both read it
    (the result is never mutated)."""
    return _lex(text, where)


def _lex(text: str, where: str) -> Lexed:
    lines = [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    escape, directives, first = _read_directives(lines, where)
    sanitized = list(lines)
    # dockerfile-parse does not know `# check=` (it stops reading directives there): hand it only
    # the escape directive, on the first line, and blank the others.
    for i in range(first):
        sanitized[i] = "#"
    if "escape" in directives:
        sanitized[0] = f"# escape={escape}"  # first, so dockerfile-parse still sees it as a directive
    continues = re.compile(re.escape(escape) + r"[ \t]*$")

    spans: dict[int, _Span] = {}  # keyed by the line where dockerfile-parse will see the instruction start
    pragmas: dict[int, frozenset[str]] = {}
    pending: set[str] = set()
    seen_from = False
    start: int | None = None
    parts: list[str] = []
    part_lines: list[int] = []
    ends_in_continuation = False
    i = first
    while i < len(lines) or start is not None:
        if i == len(lines) and start is not None:  # the file ends inside a continuation: BuildKit ends it there
            ends_in_continuation = True
            i -= 1
        else:
            line = lines[i]
            stripped = line.strip()
            if start is None:
                if not stripped:
                    i += 1
                    continue
                if stripped.startswith("#"):
                    codes = pragma_codes(stripped)
                    if codes:
                        if not seen_from:
                            pragmas[0] = pragmas.get(0, frozenset()) | codes
                        else:
                            pending |= codes
                    i += 1
                    continue
                start, parts, part_lines = i, [], []
            elif not stripped:
                sanitized[i] = "#"  # empty continuation line: Docker keeps going, dockerfile-parse would stop
                i += 1
                continue
            elif stripped.startswith("#"):
                codes = pragma_codes(stripped)  # a pragma inside a continuation applies to that instruction
                if codes:
                    pragmas[start + 1] = pragmas.get(start + 1, frozenset()) | codes
                i += 1  # comment inside a continuation: dropped by both
                continue
            part_lines.append(i)
            if continues.search(line):
                parts.append(continues.sub("", line))
                i += 1
                continue
            parts.append(line)
        words = "".join(parts).split(None, 1)
        keyword = words[0].upper() if words else ""
        if words:
            seen_at = _keyword_first(sanitized, lines, parts, part_lines, start)
        else:  # only escapes up to the end of the file: no instruction (and none for dockerfile-parse)
            sanitized[start : i + 1] = ["#"] * (i + 1 - start)
            seen_at = start
        if keyword == "FROM":
            seen_from = True
        if pending:
            pragmas[start + 1] = pragmas.get(start + 1, frozenset()) | pending
            pending = set()
        end = i
        if keyword in HEREDOC_INSTRUCTIONS:
            words = "".join(parts).split(None, 1)
            specs = heredoc_specs(words[1] if len(words) > 1 else "", escape)
            docs: list[Heredoc] = []
            j = i + 1
            for name, chomp, expand in specs:
                body: list[str] = []
                while True:
                    if j >= len(lines):
                        raise InputError(f"unterminated heredoc <<{name}: no line '{name}' closes it", where=f"{where}:{start + 1}")
                    candidate = lines[j].lstrip("\t") if chomp else lines[j]
                    sanitized[j] = ""
                    j += 1
                    if candidate == name:
                        break
                    body.append(candidate)
                docs.append(Heredoc(name=name, body="".join(b + "\n" for b in body), expand=expand, chomp=chomp))
            if docs:
                spans[seen_at] = _Span(start, j - 1, tuple(docs))
                end = j - 1
                i = j - 1
        spans.setdefault(seen_at, _Span(start, end, ()))
        start = None
        i += 1

    # An empty line ends dockerfile-parse's continuation too (it would drop the open instruction).
    closing = "\n" if ends_in_continuation else ""
    instructions = _tokenize("\n".join(sanitized) + "\n" + closing, lines, spans)
    return Lexed(escape=escape, directives=directives, instructions=instructions, ignored_codes=pragmas)


_KEYWORD_THEN_BLANK = re.compile(r"\s*\S+\s")


def _keyword_first(sanitized: list[str], lines: list[str], parts: list[str], part_lines: list[int], start: int) -> int:
    """Make dockerfile-parse read BuildKit's keyword; return the line where it will start the instruction.

    BuildKit splits the keyword off the joined line; dockerfile-parse takes the first word of the
    first physical line (`\\` alone, `COPY\\`, `FR\\` + `OM x` all give a wrong keyword). When the
    keyword does not end, followed by whitespace, on the first line, the lines before the one where
    it ends become comments (they carry nothing else) and that line starts with the whole keyword."""
    if _KEYWORD_THEN_BLANK.match(parts[0]):
        return start  # the common case: the keyword and a blank follow on the first line
    joined = "".join(parts)
    lead = len(joined) - len(joined.lstrip())
    keyword_end = lead + len(joined[lead:].split(None, 1)[0])
    if keyword_end < len(parts[0]):
        return start  # the common case: the keyword and a blank follow on the first line
    offset = 0
    for part, index in zip(parts, part_lines):  # the part where the keyword ends (each part is a prefix of its line)
        if keyword_end <= offset + len(part):
            break
        offset += len(part)
    for blank in range(start, index):
        sanitized[blank] = "#"
    sanitized[index] = joined[lead:keyword_end] + " " + lines[index][keyword_end - offset :]
    return index


def pragma_codes(comment: str) -> frozenset[str]:
    """Codes of a `# predguard: ignore[PG101,PG105]` comment; a bare `# predguard: ignore` is "*"."""
    m = _PRAGMA.match(comment)
    if not m:
        return frozenset()
    codes = frozenset(c.strip().upper() for c in (m.group(1) or "").split(",") if c.strip())
    return codes or frozenset({"*"})


def _read_directives(lines: list[str], where: str) -> tuple[str, dict[str, str], int]:
    """Parser directives: `# key=value` lines at the very top, before any blank line or comment."""
    directives: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i].strip())
        if not m or m.group(1).lower() not in DIRECTIVES or m.group(1).lower() in directives:
            break
        directives[m.group(1).lower()] = m.group(2)
        i += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise InputError(f"invalid escape directive {escape!r}: must be a backslash or a backtick", where=f"{where}:{list(directives).index('escape') + 1}")
    return escape, directives, i


def heredoc_specs(args: str, escape: str = "\\") -> list[tuple[str, bool, bool]]:
    """(name, chomp, expand) of each heredoc word in an instruction's arguments, in order."""
    specs: list[tuple[str, bool, bool]] = []
    if "<<" not in args:
        return specs  # no heredoc: skip the word split (linear, but Python-slow on a 10 MB RUN line)
    for word in split_words(args, escape):
        m = _HEREDOC_WORD.match(word)
        if not m:
            continue
        raw = m.group(2)
        name, quoted = _dequote(raw)
        if name:
            specs.append((name, m.group(1) == "-", not quoted))
    return specs


def _dequote(raw: str) -> tuple[str, bool]:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1], True
    if raw.startswith("\\"):
        return raw[1:], True
    return raw, False


def _tokenize(sanitized: str, lines: list[str], spans: dict[int, _Span]) -> tuple[Instruction, ...]:
    parser = DockerfileParser(fileobj=io.StringIO(sanitized, newline="\n"))  # lines end at "\n" only, as in bytes
    out = []
    for item in parser.structure:
        if item["instruction"] == "COMMENT":
            continue
        end = min(item["endline"], len(lines) - 1)  # not the closing line added after the file
        span = spans.get(item["startline"], _Span(item["startline"], end, ()))
        out.append(
            Instruction(
                keyword=item["instruction"],
                value=item["value"].rstrip(),  # BuildKit trims the arguments; `x \` on the last line leaves a blank
                line=span.start + 1,
                end_line=max(end, span.end) + 1,
                lines=tuple(lines[span.start : end + 1]),
                heredocs=span.heredocs,
            )
        )
    return tuple(out)
