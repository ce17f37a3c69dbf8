"""`predguard <command>`: one subcommand per job, each a module with `main(argv) -> int`.

Commands are imported lazily so that the commit-time hook loads only the standard library
and dockerfile-parse, however many extras are installed.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from predguard import __version__
from predguard.errors import EXIT_INPUT, InputError, run_cli
from predguard.log import configure

# command -> (module with main(argv), one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check-dockerfiles": ("predguard.hooks.check_dockerfiles", "check that each Dockerfile copies and installs every module its service imports"),
    "imports-manifest": ("predguard.verify.imports_manifest", "write the modules a service needs (its import closure) for the image to verify"),
    "verify-imports": ("predguard.verify.verify_imports", "import every module of a manifest; fail (exit 1) naming each one that is missing"),
    "dry-build": ("predguard.verify.dry_build", "build a Dockerfile's Python tree without Docker and import every module the code needs"),
    "verify-deploy": ("predguard.verify.verify_deploy", "after a deploy: wait, probe health and smoke endpoints, scan logs; pass, or fail and roll back"),
    "phase-status": ("predguard.processors.phase_status", "report a phase's completion on a date from the run markers"),
    "drift": ("predguard.monitors.drift", "daily drift monitor: hit rates per model, alert Slack on a real drop ('drift backtest' replays a season)"),
    "validate": ("predguard.monitors.validate.command", "daily data-validation report: mode-aware checks in one batched query, Slack only for real issues"),
    "demo": ("predguard.demo", "run the suite on the bundled example platform (no cloud account needed)"),
}

# The optional-dependency group each command needs beyond the core (pyproject.toml's extras).
EXTRA_OF_COMMAND: dict[str, str] = {"phase-status": "processors", "drift": "monitors", "validate": "monitors",
                                    "verify-deploy": "deploy"}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"usage: predguard <command> [options]   (predguard {__version__})", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run 'predguard <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    # Help texts and findings carry non-ASCII (em dashes, paths): under LANG=C an ASCII stdout
    # must not turn them into a UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    return run_cli(_dispatch, list(sys.argv[1:] if argv is None else argv), prog="predguard")


def _dispatch(argv: Sequence[str] | None) -> int:
    args = list(argv or [])
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else EXIT_INPUT
    if args[0] == "--version":
        print(f"predguard {__version__}")
        return 0
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        raise InputError(f"unknown command {command!r}; one of: {', '.join(COMMANDS)}")
    module_name = COMMANDS[command][0]
    # Imported inside run_cli: a core-only install (the pre-commit hook's environment) then gets
    # one line naming the extra to install, not a ModuleNotFoundError traceback.
    return run_cli(lambda rest_: _run(module_name, rest_), rest, prog=f"predguard {command}",
                   extra=EXTRA_OF_COMMAND.get(command))


def _run(module_name: str, argv: Sequence[str] | None) -> int:
    configure()  # once, for every command: JSON lines off a terminal, redacted always
    main: Callable[[Sequence[str] | None], int] = importlib.import_module(module_name).main
    return main(argv)


if __name__ == "__main__":
    sys.exit(main())
