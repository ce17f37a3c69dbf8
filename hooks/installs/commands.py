"""RUN text -> the simple commands it runs, and pip's command line -> what it asks to install.

Shell handling is deliberately small: statements split at newlines, `;`, `&&`, `||`, `|`, `&`;
words split and unquoted like a POSIX shell; `$X`/`${X}`/`${X:-w}` expanded from the step's
ARG/ENV and earlier `export`/assignments (an unknown variable stays as written, so whatever
it names is reported as unknown, not guessed).
"""
from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field

from predguard.hooks.entrypoints import shell

_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?:(:?[-=+])([^}]*))?\}|([A-Za-z_]\w*))")
_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)=(.*)$", re.DOTALL)
# Prefixes that run the rest of the words as the command.
_WRAPPERS = frozenset({"sudo", "time", "exec", "nice", "command", "nohup", "xargs"})
_PIP = re.compile(r"^pip(?:3(?:\.\d+)?)?$")
_PYTHON = re.compile(r"^python(?:3(?:\.\d+)?)?$")


def statements(text: str) -> list[str]:
    """Shell text -> one string per simple command (quotes kept: `words` expands them)."""
    return [" ".join(tokens) for tokens in shell.statements(text, posix=False)]


def words(statement: str, env: Mapping[str, str]) -> list[str]:
    """Split one simple command into words, expanding variables (single quotes stay literal)."""
    try:
        raw = shlex.split(statement, posix=False)
    except ValueError:
        raw = statement.split()
    out = []
    for word in raw:
        if word.startswith("'") and word.endswith("'") and len(word) >= 2:
            out.append(word[1:-1])
            continue
        expanded = expand(word, env)
        try:
            out += shlex.split(expanded) if expanded else [""]
        except ValueError:
            out.append(expanded)
    return out


def expand(word: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        operator, default = match.group(2), match.group(3) or ""
        value = env.get(name)
        if operator in (":-", "-", ":=", "="):
            return value if value or (operator in ("-", "=") and value is not None) else default
        if operator in (":+", "+"):
            return default if value or (operator == "+" and value is not None) else ""
        return value if value is not None else match.group(0)

    return _VARIABLE.sub(replace, word)


def strip_prefixes(argv: list[str], env: MutableMapping[str, str]) -> list[str]:
    """Drop `sudo`, `env X=1`, `X=1` prefixes; assignments on their own update `env` (the shell's variables)."""
    argv = list(argv)
    assignments: list[tuple[str, str]] = []
    while argv:
        head = argv[0]
        m = _ASSIGNMENT.match(head)
        if m:
            assignments.append((m.group(1), m.group(2)))
            argv.pop(0)
        elif head in _WRAPPERS or head == "env":
            argv.pop(0)
            while argv and argv[0].startswith("-"):
                argv.pop(0)
        elif head == "export" and len(argv) > 1:
            for word in argv[1:]:
                m = _ASSIGNMENT.match(word)
                if m:
                    env[m.group(1)] = m.group(2)
            return []
        else:
            break
    if not argv:
        env.update(assignments)  # `X=1` alone sets a shell variable
    return argv


@dataclass
class PipCall:
    """`pip install|wheel|download|uninstall ...` after option parsing."""

    subcommand: str
    requirements: list[str] = field(default_factory=list)  # -r values
    constraints: list[str] = field(default_factory=list)
    editables: list[str] = field(default_factory=list)
    specifiers: list[str] = field(default_factory=list)  # positional
    target: str | None = None  # --target / --prefix / --root / -w (wheel, download)
    user: bool = False
    no_deps: bool = False
    system: bool = False  # uv pip --system
    python: str | None = None  # uv pip --python / -p


_PIP_VALUE_OPTIONS = frozenset({
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "--no-binary", "--only-binary",
    "--platform", "--python-version", "--implementation", "--abi", "--src", "--upgrade-strategy", "--progress-bar",
    "--cache-dir", "--log", "--proxy", "--retries", "--timeout", "--exists-action", "--cert", "--client-cert",
    "--global-option", "--install-option", "--config-settings", "-C", "--report", "--root-user-action", "--use-feature",
    "--index-strategy", "--keyring-provider", "--resolution", "--prerelease", "--extra", "--default-index", "--index",
    "--override", "--build-constraint", "--python-platform", "--link-mode", "--compile-bytecode-target", "--group",
    "--build-option", "--dry-run-report", "--exclude-newer", "--torch-backend", "--no-build-package", "--no-binary-package",
})


def parse_pip(args: list[str]) -> PipCall | None:
    """pip's (or `uv pip`'s) arguments after the program name; None when it installs nothing we model."""
    if not args:
        return None
    index = 0
    while index < len(args) and args[index].startswith("-"):  # global options before the subcommand
        index += 2 if args[index] in ("--cache-dir", "--log", "--proxy", "--python", "-p", "--directory") else 1
    if index >= len(args):
        return None
    call = PipCall(subcommand=args[index])
    if call.subcommand not in ("install", "wheel", "download", "uninstall", "sync"):
        return None
    rest = args[index + 1:]
    i = 0
    while i < len(rest):
        word = rest[i]
        name, eq, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        value = inline if eq else (rest[i + 1] if i + 1 < len(rest) else None)
        step = 1 if eq else 2
        short = word[:2] if word.startswith("-") and not word.startswith("--") and len(word) > 2 else None
        if short in ("-r", "-c", "-e", "-t", "-w", "-d", "-i", "-f") and not eq:
            name, value, step = short, word[2:].lstrip("="), 1
        if name in ("-r", "--requirement") and value is not None:
            call.requirements.append(value)
        elif name in ("-c", "--constraint") and value is not None:
            call.constraints.append(value)
        elif name in ("-e", "--editable") and value is not None:
            call.editables.append(value)
        elif name in ("-t", "--target", "--prefix", "--root", "-w", "--wheel-dir", "-d", "--dest") and value is not None:
            call.target = value
        elif name in ("--python", "-p") and value is not None:
            call.python = value
        elif name in _PIP_VALUE_OPTIONS:
            pass
        elif word in ("--user",):
            call.user = True
            step = 1
        elif word in ("--no-deps", "--no-dependencies"):
            call.no_deps = True
            step = 1
        elif word == "--system":
            call.system = True
            step = 1
        elif word.startswith("-"):
            step = 1  # a flag
        else:
            if call.subcommand == "sync":
                call.requirements.append(word)  # `uv pip sync requirements.txt`
            else:
                call.specifiers.append(word)
            step = 1
        i += step
    return call


@dataclass(frozen=True)
class Program:
    """What a simple command runs: a tool name and its arguments, with the interpreter's directory."""

    tool: str  # "pip" | "uv" | "poetry" | "pipenv" | "conda" | "venv" | "cd" | "activate" | "apt" | "other"
    args: list[str]
    bin_dir: str | None = None  # `/venv/bin/pip` -> "/venv/bin"


def program(argv: list[str]) -> Program:
    if not argv:
        return Program("other", [])
    head, rest = argv[0], argv[1:]
    base = posixpath.basename(head)
    bin_dir = posixpath.dirname(head) or None
    if head in (".", "source") and rest and rest[0].endswith("/bin/activate"):
        return Program("activate", [posixpath.dirname(posixpath.dirname(rest[0]))])
    if head == "cd":
        return Program("cd", rest[:1])
    if _PIP.match(base):
        return Program("pip", rest, bin_dir)
    if _PYTHON.match(base):
        i = 0
        while i < len(rest) and rest[i].startswith("-") and rest[i] != "-m":
            i += 1
        if i + 1 < len(rest) and rest[i] == "-m":
            module, after = rest[i + 1], rest[i + 2:]
            if module == "pip":
                return Program("pip", after, bin_dir)
            if module in ("venv", "virtualenv"):
                return Program("venv", [w for w in after if not w.startswith("-")][-1:])
            if module in ("pipenv", "poetry", "uv"):
                return Program(module, after)
        return Program("other", rest)
    if base == "virtualenv":
        return Program("venv", [w for w in rest if not w.startswith("-")][-1:])
    if base in ("uv", "poetry", "pipenv"):
        return Program(base, rest, bin_dir)
    if base in ("conda", "mamba", "micromamba"):
        return Program("conda", rest)
    if base in ("apt-get", "apt", "apk"):
        return Program("apt", rest)
    return Program("other", argv)
