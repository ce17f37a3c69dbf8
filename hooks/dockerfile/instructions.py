"""Arguments of single instructions: BuildKit's flag extraction, exec (JSON) vs shell form,
ARG/ENV key-value pairs, CMD/ENTRYPOINT commands, and RUN text with heredoc bodies."""
from __future__ import annotations

import json
import re
import shlex

from predguard.hooks.dockerfile.lexer import Instruction
from predguard.hooks.dockerfile.variables import split_words
from predguard.hooks.model import Command

_FLAG = re.compile(r"""\s*--([A-Za-z][\w-]*)(?:=("[^"]*"|'[^']*'|\S*))?(?=\s|$)""")


def parse_flags(value: str) -> tuple[list[tuple[str, str | None]], str]:
    """Leading `--name[=value]` flags (BuildKit's extractBuilderFlags) and the rest of the line."""
    flags: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        m = _FLAG.match(value, pos)
        if not m:
            break
        raw = m.group(2)
        if raw is not None and len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]
        flags.append((m.group(1).lower(), raw))
        pos = m.end()
    rest = value[pos:].lstrip()
    if rest.startswith("-- "):
        rest = rest[3:].lstrip()
    return flags, rest


def parse_json_array(rest: str) -> list[str] | None:
    """Exec form: a JSON array of strings. Anything else (invalid JSON too) is shell form."""
    text = rest.strip()
    if not text.startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return parsed
    return None


def parse_arg(value: str, escape: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for word in split_words(value, escape):
        name, eq, default = word.partition("=")
        out.append((name, default if eq else None))
    return out


def parse_env(value: str, escape: str) -> list[tuple[str, str]]:
    words = split_words(value, escape)
    if not words:
        return []
    if "=" not in words[0]:
        # Legacy `ENV NAME value with spaces`.
        name, _, rest = value.strip().partition(" ")
        return [(name, rest.strip())]
    return [(w.partition("=")[0], w.partition("=")[2]) for w in words if "=" in w]


def parse_command(instr: Instruction) -> Command:
    rest = instr.value
    argv = parse_json_array(rest)
    if argv is not None:
        return Command(argv=tuple(argv), shell=False, raw=instr.value, line=instr.line)
    try:
        words = shlex.split(rest, posix=True)
    except ValueError:
        words = rest.split()
    return Command(argv=tuple(words), shell=True, raw=instr.value, line=instr.line)


def run_text(instr: Instruction) -> str:
    argv = parse_json_array(parse_flags(instr.value)[1])
    text = " ".join(argv) if argv is not None else instr.value
    for doc in instr.heredocs:
        text += "\n" + doc.body + doc.name
    return text
