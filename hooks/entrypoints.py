"""What an image runs, and the `sys.path` it runs with.

From the final stage's ENTRYPOINT/CMD (Docker's combination rules), recognise the Python
runners services use — `python -m`, `python script.py`, gunicorn, uvicorn, hypercorn, flask,
functions-framework — through `exec`, `sh -c`, `cd D &&`, env-var prefixes, init wrappers and
entrypoint shell scripts. `sys.path` follows each runner: the script's directory or the working
directory first, then `PYTHONPATH` from the image's ENV (site-packages is third-party and not
modelled). When nothing can be recognised, a PG103 finding says so and every copied non-test
`.py` file becomes an entry.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from predguard.hooks.codes import new_finding
from predguard.hooks.model import Command, Finding, Image
from predguard.paths import display_path

_PYTHON = re.compile(r"^(?:.*/)?(?:python|pypy)(?:\d+(?:\.\d+)?)?$")
_APP_SPEC = re.compile(r"^[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*(?:\(.*\))?)?$")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_]\w*))")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_SHELLS = {"sh", "bash", "dash", "ash", "zsh"}
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
_MAX_DEPTH = 8  # nested `sh -c` / entrypoint scripts


@dataclass(frozen=True)
class EntryPlan:
    modules: tuple[str, ...]  # dotted modules the image runs (`python -m x`, gunicorn `x:app`)
    scripts: tuple[str, ...]  # image paths of Python files run directly
    sys_path: tuple[str, ...]  # image directories searched for imports, in order (site-packages excluded)
    origin: str  # for humans: where the plan came from
    problems: tuple[Finding, ...] = ()  # PG103 when no entrypoint could be determined
    line: int = 1  # Dockerfile line of the CMD/ENTRYPOINT the plan came from (1 if none)
    fallback: bool = False  # True when the entries are every copied non-test .py file
    run_as_main: tuple[str, ...] = ()  # modules run by `python -m` (a package runs its __main__ too)


@dataclass
class _Run:
    """One recognised Python process."""

    modules: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    as_main: list[str] = field(default_factory=list)  # `python -m` modules
    front: list[str] = field(default_factory=list)  # dirs before PYTHONPATH
    back: list[str] = field(default_factory=list)  # dirs after PYTHONPATH (functions-framework appends)
    pythonpath: str = ""
    isolated: bool = False  # python -E / -I: PYTHONPATH ignored


@dataclass
class _Shell:
    image: Image
    env: dict[str, str]
    cwd: str
    runs: list[_Run] = field(default_factory=list)


def plan_entrypoints(
    image: Image,
    *,
    override: Sequence[str] | None = None,
    root: Path | None = None,
    service: str | None = None,
) -> EntryPlan:
    """The entry modules/scripts of `image` and its `sys.path`.

    `override` (config: module names, `module:attr`, or image paths of scripts) replaces
    detection. `root`/`service` only shape PG103 findings (paths relative to `root`).
    """
    workdir = image.workdir or "/"
    command, line, origin = _effective_command(image)
    shell = _Shell(image, dict(image.env), workdir)
    if command:
        _interpret(shell, command, depth=0)
    detected_path = _sys_path(shell.runs, workdir)

    if override:
        modules, scripts, extra = _from_override(override, workdir)
        sys_path = _dedupe([*extra, *(detected_path or _default_path(image.env, workdir))])
        return EntryPlan(tuple(modules), tuple(scripts), tuple(sys_path), f"config override: {', '.join(override)}", (), line)

    modules = _dedupe([m for run in shell.runs for m in run.modules])
    scripts = _dedupe([s for run in shell.runs for s in run.scripts])
    if modules or scripts:
        as_main = tuple(_dedupe([m for run in shell.runs for m in run.as_main]))
        return EntryPlan(tuple(modules), tuple(scripts), tuple(detected_path), origin, (), line, run_as_main=as_main)

    sys_path = _default_path(image.env, workdir)
    modules, scripts = fallback_entries(image, sys_path)
    reason = f"cannot tell which Python code {_short(origin)} runs" if command else "the final stage has no CMD or ENTRYPOINT"
    problem = new_finding(
        "PG103",
        severity="warning",
        dockerfile=display_path(image.dockerfile, root),
        message=f"{reason}; checking every copied non-test .py file instead "
        "(set the service's `entrypoints` in [tool.predguard] to be precise)",
        file=display_path(image.dockerfile, root),
        line=line,
        column=1,
        service=service,
    )
    return EntryPlan(tuple(modules), tuple(scripts), tuple(sys_path), f"fallback: {reason}", (problem,), line, True)


# --- ENTRYPOINT + CMD -------------------------------------------------------------------


def _effective_command(image: Image) -> tuple[list[str], int, str]:
    """Docker's rules: exec ENTRYPOINT gets CMD appended; shell ENTRYPOINT ignores CMD."""
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


# --- interpreting a command line ----------------------------------------------------------


def _interpret(shell: _Shell, argv: list[str], depth: int) -> None:
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
        elif name in ("uv", "poetry", "pipenv", "pdm", "hatch") and len(argv) > 1 and argv[1] == "run":
            argv = argv[2:]
            while argv and argv[0].startswith("-"):
                argv.pop(0)
        else:
            break
    if not argv or depth > _MAX_DEPTH:
        return
    name = posixpath.basename(argv[0])
    saved, shell.env = shell.env, env
    try:
        if name in _SHELLS:
            script = _shell_script_arg(argv)
            if script is not None:
                _interpret_script(shell, script, argv[argv.index("-c") + 2 :] if "-c" in argv else [], depth + 1)
            elif len(argv) > 1:
                _interpret(shell, argv[1:], depth + 1)  # `sh script.sh args`
            return
        runner = _RUNNERS.get(name)
        if runner is not None:
            runner(shell, argv[1:])
        elif _PYTHON.match(argv[0]):
            _python(shell, argv[1:])
        else:
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


def _interpret_script(shell: _Shell, script: str, positional: list[str], depth: int) -> None:
    """A shell script's text: every Python process it starts, `cd` tracked, `$@` substituted."""
    for statement in _statements(script):
        words = [_expand(word, shell.env) for word in statement]
        argv: list[str] = []
        for word in words:
            argv.extend(positional if word in ("$@", "$*") else [word])
        if not argv:
            continue
        if argv[0] == "cd" and len(argv) > 1 and not argv[1].startswith("$"):
            shell.cwd = _join(shell.cwd, argv[1])
        elif argv[0] == "export":
            for item in argv[1:]:
                key, sep, value = item.partition("=")
                if sep:
                    shell.env = {**shell.env, key: value}
        elif _ASSIGNMENT.match(argv[0]) and len(argv) == 1:
            key, _, value = argv[0].partition("=")
            shell.env = {**shell.env, key: value}
        else:
            _interpret(shell, argv, depth)


def _statements(script: str) -> list[list[str]]:
    """Split shell text into simple commands at newlines, `;`, `&&`, `||`, `|` and `&`."""
    statements: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        try:
            for token in lexer:
                if token and set(token) <= set(";&|()"):
                    statements.append(current)
                    current = []
                else:
                    current.append(token)
        except ValueError:  # unbalanced quotes: keep what was read
            pass
        statements.append(current)
    return [s for s in statements if s]


def _expand(word: str, env: dict[str, str]) -> str:
    """`$X`, `${X}`, `${X:-w}`, `${X:+w}` with the image's ENV; unknown variables stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        operator, word_ = match.group(2), match.group(3) or ""
        value = env.get(name)
        if operator in (":-", "-"):
            return value if value or (operator == "-" and value is not None) else word_
        if operator in (":+", "+"):
            return word_ if value or (operator == "+" and value is not None) else ""
        return value if value is not None else match.group(0)

    return _VARIABLE.sub(replace, word)


def _file_entry(shell: _Shell, argv: list[str], depth: int) -> None:
    """`/app/entrypoint.sh args` or `./main.py`: read the file from the image when it is there."""
    path = _join(shell.cwd, argv[0]) if "/" in argv[0] or argv[0].endswith((".sh", ".py")) else ""
    image_file = shell.image.files.get(path)
    if image_file is None:
        return
    try:
        text = image_file.source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    first = text.split("\n", 1)[0]
    if path.endswith(".py") or (first.startswith("#!") and "python" in first):
        shell.runs.append(_Run(scripts=[path], front=[posixpath.dirname(path)], pythonpath=shell.env.get("PYTHONPATH", "")))
    elif path.endswith(".sh") or (first.startswith("#!") and posixpath.basename(first.split()[-1]) in _SHELLS | {"env"}):
        _interpret_script(shell, text, argv[1:], depth + 1)


# --- runners ---------------------------------------------------------------------------------


def _python(shell: _Shell, args: list[str]) -> None:
    run = _Run(pythonpath=shell.env.get("PYTHONPATH", ""))
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            break
        if arg.startswith("--"):  # --version, --help ... : not running code
            index += 1
            continue
        letters = arg[1:]
        for position, letter in enumerate(letters):
            value_inline = letters[position + 1 :]
            if letter in "mc":
                value = value_inline or (args[index + 1] if index + 1 < len(args) else "")
                rest = args[index + (1 if value_inline else 2) :]
                if letter == "m" and value:
                    _python_module(shell, run, value, rest)
                return  # -c code: not analysable statically
            if letter in "WX":
                index += 0 if value_inline else 1
                break
            if letter in "EI":
                run.isolated = True
        index += 1
    if index < len(args) and args[index] not in ("-", "--"):
        script = _join(shell.cwd, args[index])
        run.scripts.append(script)
        run.front.append(posixpath.dirname(script))  # sys.path[0] = the script's directory
        shell.runs.append(run)


def _python_module(shell: _Shell, run: _Run, module: str, rest: list[str]) -> None:
    runner = _RUNNERS.get(module)
    if runner is not None:  # `python -m gunicorn ...`: -m puts cwd first, then the runner's own rules
        shell.runs.append(_Run(front=[shell.cwd], pythonpath=run.pythonpath, isolated=run.isolated))
        runner(shell, rest)
        return
    run.modules.append(module)
    run.as_main.append(module)
    run.front.append(shell.cwd)  # -m puts the working directory first
    shell.runs.append(run)


def _options(
    args: list[str], valued: frozenset[str], flags: frozenset[str] = frozenset()
) -> tuple[dict[str, list[str]], list[str]]:
    """Split `args` into options (name -> values) and positionals. An unknown `--opt` takes the
    next word as its value unless that word looks like an app spec (`pkg.mod:app`)."""
    options: dict[str, list[str]] = {}
    positionals: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            positionals.extend(args[index:])
            break
        if not arg.startswith("-") or arg == "-":
            positionals.append(arg)
            continue
        name, sep, value = arg.partition("=")
        if sep:
            options.setdefault(name, []).append(value)
            continue
        if not arg.startswith("--") and len(arg) > 2 and arg[:2] in valued:  # -b:8080
            options.setdefault(arg[:2], []).append(arg[2:])
            continue
        if name in flags:
            options.setdefault(name, []).append("")
            continue
        takes_value = name in valued or (
            index < len(args) and not args[index].startswith("-") and ":" not in args[index] and name.startswith("--")
        )
        if takes_value and index < len(args):
            options.setdefault(name, []).append(args[index])
            index += 1
        else:
            options.setdefault(name, []).append("")
    return options, positionals


def _app_module(spec: str) -> str | None:
    module = spec.split(":", 1)[0]
    if module.endswith(".py"):
        module = module[:-3].replace("/", ".")
    return module if module and _APP_SPEC.match(module) else None


_GUNICORN_VALUED = frozenset(
    "-b --bind -w --workers -k --worker-class --threads -t --timeout -c --config --chdir --pythonpath "
    "--graceful-timeout --keep-alive --max-requests --max-requests-jitter --backlog --log-level "
    "--access-logfile --error-logfile --log-file --access-logformat --log-config --name -n --user -u "
    "--group -g --umask -m --worker-connections --worker-tmp-dir --forwarded-allow-ips --limit-request-line "
    "--limit-request-fields --limit-request-field_size --pid -p --env -e --certfile --keyfile --ca-certs "
    "--statsd-host --statsd-prefix --dogstatsd-tags --paste --logger-class --proxy-allow-from".split()
)
_GUNICORN_FLAGS = frozenset("--reload --preload --daemon -D --check-config --print-config --capture-output --spew".split())


def _gunicorn(shell: _Shell, args: list[str]) -> None:
    try:  # gunicorn reads extra arguments from this variable
        env_args = shlex.split(shell.env.get("GUNICORN_CMD_ARGS", ""))
    except ValueError:
        env_args = []
    options, positionals = _options([*env_args, *args], _GUNICORN_VALUED, _GUNICORN_FLAGS)
    config_path = (options.get("-c") or options.get("--config") or ["./gunicorn.conf.py"])[-1]
    if config_path.startswith("python:"):
        config_values: dict[str, str] = {}
        config_file = None
    else:
        config_file = _join(shell.cwd, config_path)
        config_values = _gunicorn_config(shell.image, config_file)
    chdir = _join(shell.cwd, (options.get("--chdir") or [config_values.get("chdir", "")])[-1] or ".")
    pythonpath = ",".join(options.get("--pythonpath", [])) or config_values.get("pythonpath", "")
    spec = positionals[0] if positionals else config_values.get("wsgi_app", "")
    run = _Run(pythonpath=shell.env.get("PYTHONPATH", ""))
    if config_file and config_file in shell.image.files:
        run.scripts.append(config_file)  # gunicorn executes its config file
    module = _app_module(spec) if spec else None
    if module:
        run.modules.append(module)
    # gunicorn inserts --chdir (default: cwd), then each --pythonpath entry, at sys.path[0].
    run.front = [_join(chdir, p.strip()) for p in reversed(pythonpath.split(",")) if p.strip()] + [chdir]
    if run.modules or run.scripts:
        shell.runs.append(run)


def _gunicorn_config(image: Image, config_file: str) -> dict[str, str]:
    """String settings (`wsgi_app`, `chdir`, `pythonpath`) assigned in a gunicorn config file."""
    import ast

    found = image.files.get(config_file)
    if found is None:
        return {}
    try:
        tree = ast.parse(found.source.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return {}
    values: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("wsgi_app", "chdir", "pythonpath"):
                    values[target.id] = node.value.value
    return values


_UVICORN_VALUED = frozenset(
    "--host --port --uds --fd --loop --http --ws --ws-max-size --ws-max-queue --ws-ping-interval "
    "--ws-ping-timeout --lifespan --interface --env-file --log-config --log-level --root-path "
    "--limit-concurrency --backlog --limit-max-requests --timeout-keep-alive --timeout-graceful-shutdown "
    "--ssl-keyfile --ssl-certfile --ssl-keyfile-password --ssl-version --ssl-cert-reqs --ssl-ca-certs "
    "--ssl-ciphers --header --app-dir --reload-dir --reload-include --reload-exclude --reload-delay "
    "--workers --forwarded-allow-ips --h11-max-incomplete-event-size -b --bind -w --workers -k "
    "--worker-class --config -c --certfile --keyfile --root-path --access-logfile --error-logfile".split()
)
_UVICORN_FLAGS = frozenset(
    "--reload --factory --proxy-headers --no-proxy-headers --server-header --no-server-header "
    "--date-header --no-date-header --use-colors --no-use-colors --access-log --no-access-log --debug".split()
)


def _uvicorn(shell: _Shell, args: list[str]) -> None:
    """uvicorn (and hypercorn/daphne): `mod:app`, app dir (default cwd) at sys.path[0]."""
    options, positionals = _options(args, _UVICORN_VALUED, _UVICORN_FLAGS)
    module = _app_module(positionals[0]) if positionals else None
    if not module:
        return
    app_dir = _join(shell.cwd, (options.get("--app-dir") or ["."])[-1])
    shell.runs.append(_Run(modules=[module], front=[app_dir], pythonpath=shell.env.get("PYTHONPATH", "")))


def _functions_framework(shell: _Shell, args: list[str]) -> None:
    """functions-framework loads --source (default main.py) by path and appends its directory."""
    options, _ = _options(args, frozenset({"--target", "--source", "--signature-type", "--host", "--port"}),
                          frozenset({"--debug", "--dry-run"}))
    source = (options.get("--source") or [shell.env.get("FUNCTION_SOURCE", "") or "main.py"])[-1]
    script = _join(shell.cwd, source)
    shell.runs.append(_Run(scripts=[script], back=[posixpath.dirname(script)], pythonpath=shell.env.get("PYTHONPATH", "")))


def _flask(shell: _Shell, args: list[str]) -> None:
    options, _ = _options(args, frozenset({"--app", "-A", "--env-file", "-e", "--host", "-h", "--port", "-p"}))
    spec = (options.get("--app") or options.get("-A") or [shell.env.get("FLASK_APP", "")])[-1]
    if not spec:
        for candidate in ("wsgi.py", "app.py"):  # flask's own defaults
            if _join(shell.cwd, candidate) in shell.image.files:
                spec = candidate
                break
    module = _app_module(spec) if spec else None
    if module:
        shell.runs.append(_Run(modules=[module], front=[shell.cwd], pythonpath=shell.env.get("PYTHONPATH", "")))


def _celery(shell: _Shell, args: list[str]) -> None:
    """celery -A proj worker: the app module, with the working directory first on sys.path."""
    options, _ = _options(args, frozenset({"-A", "--app", "-b", "--broker", "--workdir", "-l", "--loglevel", "-c", "-Q"}))
    spec = (options.get("-A") or options.get("--app") or [""])[-1]
    module = _app_module(spec) if spec else None
    if module:
        cwd = _join(shell.cwd, (options.get("--workdir") or ["."])[-1])
        shell.runs.append(_Run(modules=[module], front=[cwd], pythonpath=shell.env.get("PYTHONPATH", "")))


_RUNNERS: dict[str, Callable[[_Shell, list[str]], None]] = {
    "celery": _celery,
    "gunicorn": _gunicorn,
    "uvicorn": _uvicorn,
    "hypercorn": _uvicorn,
    "daphne": _uvicorn,
    "functions-framework": _functions_framework,
    "functions-framework-python": _functions_framework,
    "functions_framework": _functions_framework,
    "flask": _flask,
}


# --- sys.path, overrides, fallback ---------------------------------------------------------------


def _pythonpath_dirs(value: str, workdir: str) -> list[str]:
    return [_join(workdir, part) for part in value.split(":") if part.strip()]


def _default_path(env: dict[str, str], workdir: str) -> list[str]:
    return _dedupe([workdir, *_pythonpath_dirs(env.get("PYTHONPATH", ""), workdir)])


def _sys_path(runs: list[_Run], workdir: str) -> list[str]:
    dirs: list[str] = []
    for run in runs:
        dirs += run.front
        if not run.isolated:
            dirs += _pythonpath_dirs(run.pythonpath, workdir)
        dirs += run.back
    return _dedupe(dirs)


def _from_override(override: Sequence[str], workdir: str) -> tuple[list[str], list[str], list[str]]:
    modules: list[str] = []
    scripts: list[str] = []
    dirs: list[str] = []
    for entry in override:
        entry = entry.strip()
        if "/" in entry or entry.endswith(".py"):
            script = _join(workdir, entry)
            scripts.append(script)
            dirs.append(posixpath.dirname(script))
        elif entry:
            modules.append(entry.split(":", 1)[0])
    return modules, scripts, dirs


def is_test_file(image_path: str) -> bool:
    parts = image_path.split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in ("tests", "test") for part in parts[:-1])
    )


def fallback_entries(image: Image, sys_path: Sequence[str]) -> tuple[list[str], list[str]]:
    """Every copied non-test .py file: as a module when it sits under a sys.path dir, else a script."""
    modules: list[str] = []
    scripts: list[str] = []
    for image_path in sorted(image.files):
        if not image_path.endswith(".py") or is_test_file(image_path):
            continue
        module = _module_name(image_path, sys_path, image)
        if module:
            modules.append(module)
        else:
            scripts.append(image_path)
    return modules, scripts


def _module_name(image_path: str, sys_path: Sequence[str], image: Image) -> str | None:
    for directory in sys_path:
        prefix = directory.rstrip("/") + "/"
        if not image_path.startswith(prefix):
            continue
        parts = image_path[len(prefix) : -3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and all(part.isidentifier() for part in parts):
            return ".".join(parts)
    return None


def _join(base: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(base, path))


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
