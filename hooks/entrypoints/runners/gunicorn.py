"""gunicorn: `mod:app` (or `wsgi_app` in its config file, which it also executes); `--chdir`
(default: cwd), then each `--pythonpath` entry, go first on sys.path; GUNICORN_CMD_ARGS counts."""
from __future__ import annotations

import ast
import shlex

from predguard.hooks.entrypoints.runners.base import Run, Shell, join, register
from predguard.hooks.entrypoints.runners.options import app_module, split_options
from predguard.hooks.model import Image

_VALUED = frozenset(
    "-b --bind -w --workers -k --worker-class --threads -t --timeout -c --config --chdir --pythonpath "
    "--graceful-timeout --keep-alive --max-requests --max-requests-jitter --backlog --log-level "
    "--access-logfile --error-logfile --log-file --access-logformat --log-config --name -n --user -u "
    "--group -g --umask -m --worker-connections --worker-tmp-dir --forwarded-allow-ips --limit-request-line "
    "--limit-request-fields --limit-request-field_size --pid -p --env -e --certfile --keyfile --ca-certs "
    "--statsd-host --statsd-prefix --dogstatsd-tags --paste --logger-class --proxy-allow-from".split()
)
_FLAGS = frozenset("--reload --preload --daemon -D --check-config --print-config --capture-output --spew".split())


@register("gunicorn")
def run_gunicorn(shell: Shell, args: list[str]) -> None:
    try:  # gunicorn reads extra arguments from this variable
        env_args = shlex.split(shell.env.get("GUNICORN_CMD_ARGS", ""))
    except ValueError:
        env_args = []
    options, positionals = split_options([*env_args, *args], _VALUED, _FLAGS)
    config_path = (options.get("-c") or options.get("--config") or ["./gunicorn.conf.py"])[-1]
    if config_path.startswith("python:"):
        config_values: dict[str, str] = {}
        config_file = None
    else:
        config_file = join(shell.cwd, config_path)
        config_values = _config(shell.image, config_file)
    chdir = join(shell.cwd, (options.get("--chdir") or [config_values.get("chdir", "")])[-1] or ".")
    pythonpath = ",".join(options.get("--pythonpath", [])) or config_values.get("pythonpath", "")
    spec = positionals[0] if positionals else config_values.get("wsgi_app", "")
    run = Run(pythonpath=shell.pythonpath())
    if config_file and config_file in shell.image.files:
        run.scripts.append(config_file)  # gunicorn executes its config file
    module = app_module(spec) if spec else None
    if module:
        run.modules.append(module)
    run.front = [join(chdir, p.strip()) for p in reversed(pythonpath.split(",")) if p.strip()] + [chdir]
    if run.modules or run.scripts:
        shell.runs.append(run)


def _config(image: Image, config_file: str) -> dict[str, str]:
    """String settings (`wsgi_app`, `chdir`, `pythonpath`) assigned in a gunicorn config file."""
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
