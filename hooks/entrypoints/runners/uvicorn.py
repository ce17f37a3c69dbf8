"""uvicorn (and hypercorn, daphne): `mod:app`, with `--app-dir` (default: cwd) first on sys.path."""
from __future__ import annotations

from predguard.hooks.entrypoints.runners.base import Run, Shell, join, register
from predguard.hooks.entrypoints.runners.options import app_module, split_options

_VALUED = frozenset(
    "--host --port --uds --fd --loop --http --ws --ws-max-size --ws-max-queue --ws-ping-interval "
    "--ws-ping-timeout --lifespan --interface --env-file --log-config --log-level --root-path "
    "--limit-concurrency --backlog --limit-max-requests --timeout-keep-alive --timeout-graceful-shutdown "
    "--ssl-keyfile --ssl-certfile --ssl-keyfile-password --ssl-version --ssl-cert-reqs --ssl-ca-certs "
    "--ssl-ciphers --header --app-dir --reload-dir --reload-include --reload-exclude --reload-delay "
    "--workers --forwarded-allow-ips --h11-max-incomplete-event-size -b --bind -w --workers -k "
    "--worker-class --config -c --certfile --keyfile --root-path --access-logfile --error-logfile".split()
)
_FLAGS = frozenset(
    "--reload --factory --proxy-headers --no-proxy-headers --server-header --no-server-header "
    "--date-header --no-date-header --use-colors --no-use-colors --access-log --no-access-log --debug".split()
)


@register("uvicorn", "hypercorn", "daphne")
def run_uvicorn(shell: Shell, args: list[str]) -> None:
    options, positionals = split_options(args, _VALUED, _FLAGS)
    module = app_module(positionals[0]) if positionals else None
    if not module:
        return
    app_dir = join(shell.cwd, (options.get("--app-dir") or ["."])[-1])
    shell.runs.append(Run(modules=[module], front=[app_dir], pythonpath=shell.pythonpath()))
