"""Reading a command line the way `/bin/sh` and exec-form Docker would, far enough to find the
Python processes it starts: env-var prefixes, `env`, init wrappers (`tini`, `exec`, `gosu` ...),
`uv run`-style launchers, `sh -c`, `cd D &&`, `export`, `$@`, and entrypoint scripts copied into
the image. Each recognised runner (predguard.hooks.entrypoints.runners) records its processes."""
from __future__ import annotations

import posixpath
import re
import shlex

from predguard.hooks.dockerfile.variables import expand
from predguard.hooks.entrypoints.runners import Run, Shell, runner_for
from predguard.hooks.entrypoints.runners.base import join
from predguard.hooks.model import Command, Image

_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
# Wrappers that run the rest of the line as the real command: name -> options that take a value.
_WRAPPERS: dict[str, frozenset[str]] = {
    "exec": frozenset(),
    "tini": frozenset({"-p", "-e", "-l"}),
    "dumb-init": frozenset({"-r", "--rewrite"}),
    "nice": frozenset({"-n"}),
    "nohup": frozenset(),
    "ddtrace-run": frozenset(),
    "opentelemetry-instrument": frozenset(),
    "newrelic-admin": frozenset(),
    "su-exec": frozenset(),
    "gosu": frozenset(),
    "setpriv": frozenset(),
}
_LAUNCHERS = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch"})  # `<launcher> run <command>`
# Commands that never start Python: shell utilities an entrypoint script runs around its real
# work, and the servers and runtimes of other languages. Anything else that is neither a runner
# nor a file we can read is unknown (it may start Python: `make run`, a binary from the base).
NOT_PYTHON = frozenset(
    "echo printf set unset shift cat sed awk grep mkdir cp mv rm ln chmod chown touch ls sleep test [ [[ true false : "
    "trap wait envsubst curl wget tail head tee exit return source . umask ulimit read export alias cd pwd date id "
    "whoami hostname sort uniq cut tr basename dirname find xargs tar gzip gunzip unzip apt-get apk yum dnf "
    "if then else elif fi for do done while until case esac function local eval kill sync "
    "node npm npx yarn pnpm bun deno java dotnet nginx httpd apache2 caddy envoy traefik haproxy redis-server "
    "postgres mysqld mongod php php-fpm ruby rails bundle rake go cargo otelcol otelcol-contrib jaeger-all-in-one "
    "prometheus grafana-server supervisord cron crond".split()
)
MAX_DEPTH = 8  # nested `sh -c` / entrypoint scripts


def effective_command(image: Image) -> tuple[list[str], int, str]:
    """(argv, line, origin) by Docker's rules: exec ENTRYPOINT gets CMD appended; shell ENTRYPOINT ignores CMD."""
    entry, cmd = image.entrypoint, image.cmd
    if entry is not None:
        origin = f"ENTRYPOINT line {entry.line}: {entry.raw}"
        if entry.shell:
            return ["/bin/sh", "-c", entry.raw], entry.line, origin
        argv = list(entry.argv)
        if cmd is not None:
            argv += _argv(cmd)
            origin += f" + CMD line {cmd.line}: {cmd.raw}"
        return argv, entry.line, origin
    if cmd is not None:
        return _argv(cmd), cmd.line, f"CMD line {cmd.line}: {cmd.raw}"
    return [], 1, "no CMD or ENTRYPOINT"


def _argv(command: Command) -> list[str]:
    return ["/bin/sh", "-c", command.raw] if command.shell else list(command.argv)


def interpret(shell: Shell, argv: list[str], depth: int = 0) -> None:
    """Recognise the Python process `argv` starts (following wrappers, shells and scripts)."""
    env = shell.env
    argv = list(argv)
    while argv:
        head = argv[0]
        name = posixpath.basename(head)
        if _ASSIGNMENT.match(head):  # VAR=value prefix
            key, _, value = head.partition("=")
            env = {**env, key: value}
            argv.pop(0)
        elif name == "env":
            argv.pop(0)
            while argv and argv[0].startswith("-"):
                argv.pop(0)
        elif name in _WRAPPERS:
            argv.pop(0)
            if name in ("gosu", "su-exec") and argv:
                argv.pop(0)  # the user
            while argv and argv[0].startswith("-"):
                flag = argv.pop(0)
                if flag == "--":
                    break
                if flag in _WRAPPERS[name] and argv:
                    argv.pop(0)
        elif name in _LAUNCHERS and len(argv) > 1 and argv[1] == "run":
            argv = argv[2:]
            while argv and argv[0].startswith("-"):
                argv.pop(0)
        else:
            break
    if not argv or depth > MAX_DEPTH:
        return
    name = posixpath.basename(argv[0])
    saved, shell.env = shell.env, env
    try:
        if name in SHELLS:
            script = _shell_script_arg(argv)
            if script is not None:
                interpret_script(shell, script, argv[argv.index("-c") + 2 :] if "-c" in argv else [], depth + 1)
            elif len(argv) > 1:
                interpret(shell, argv[1:], depth + 1)  # `sh script.sh args`
            return
        runner = runner_for(argv[0])
        if runner is not None:
            before = len(shell.runs)
            runner(shell, argv[1:])
            if len(shell.runs) == before:  # Python starts, but what it runs cannot be read (`python -c`, `$APP`)
                shell.unknown.append(" ".join(argv[:2]))
        elif name not in NOT_PYTHON and not name.endswith((".js", ".jar", ".mjs")):
            _file_entry(shell, argv, depth)
    finally:
        shell.env = saved


def _shell_script_arg(argv: list[str]) -> str | None:
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "-c":
            return argv[index + 1] if index + 1 < len(argv) else None
        if arg.startswith("-") and "c" in arg[1:] and not arg.startswith("--"):
            return argv[index + 1] if index + 1 < len(argv) else None
        if not arg.startswith("-"):
            return None
    return None


def interpret_script(shell: Shell, script: str, positional: list[str], depth: int) -> None:
    """A shell script's text: every Python process it starts, `cd` tracked, `$@` substituted."""
    for statement in statements(script):
        words = [expand_known(word, shell.env) for word in statement]
        argv: list[str] = []
        for word in words:
            argv.extend(positional if word in ("$@", "$*") else [word])
        if not argv:
            continue
        if argv[0] == "cd" and len(argv) > 1 and not argv[1].startswith("$"):
            shell.cwd = join(shell.cwd, argv[1])
        elif argv[0] == "export":
            for item in argv[1:]:
                key, sep, value = item.partition("=")
                if sep:
                    shell.env = {**shell.env, key: value}
        elif _ASSIGNMENT.match(argv[0]) and len(argv) == 1:
            key, _, value = argv[0].partition("=")
            shell.env = {**shell.env, key: value}
        else:
            interpret(shell, argv, depth)


def statements(script: str, *, posix: bool = True) -> list[list[str]]:
    """Split shell text into simple commands at newlines, `;`, `&&`, `||`, `|` and `&`: the words
    of each (quotes removed; `posix=False` keeps them, for callers that split words themselves)."""
    found: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=posix, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        try:
            for token in lexer:
                if token and set(token) <= set(";&|()"):
                    found.append(current)
                    current = []
                else:
                    current.append(token)
        except ValueError:  # unbalanced quotes: keep what was read
            pass
        found.append(current)
    return [s for s in found if s]


def expand_known(word: str, env: dict[str, str]) -> str:
    """The word with the command's environment substituted (the same expander as the Dockerfile's);
    a word using a variable the environment lacks stays as written, since the real value is unknown."""
    result = expand(word, env, unquote=False)
    return word if result.undefined else result.text


def _file_entry(shell: Shell, argv: list[str], depth: int) -> None:
    """`/app/entrypoint.sh args` or `./main.py`: read the file from the image when it is there."""
    path = join(shell.cwd, argv[0]) if "/" in argv[0] or argv[0].endswith((".sh", ".py")) else ""
    image_file = shell.image.files.get(path)
    if image_file is None:
        shell.unknown.append(argv[0])  # from the base image, a RUN step or $PATH: cannot be read
        return
    try:
        text = image_file.source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        shell.unknown.append(argv[0])
        return
    first = text.split("\n", 1)[0]
    if path.endswith(".py") or (first.startswith("#!") and "python" in first):
        shell.runs.append(Run(scripts=[path], front=[posixpath.dirname(path)], pythonpath=shell.pythonpath()))
    elif path.endswith(".sh") or (first.startswith("#!") and posixpath.basename(first.split()[-1]) in SHELLS | {"env"}):
        interpret_script(shell, text, argv[1:], depth + 1)
