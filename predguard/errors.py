"""The one convention for bad input: a single line saying what and where, exit code 2."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
# EX_TEMPFAIL (sysexits.h): the run did its work but a delivery is still pending (another run
# holds it within its lease): run again later, e.g. after the lease.
EXIT_PENDING = 75

# The extra that brings each optional top-level module (pyproject.toml's optional-dependencies).
EXTRA_OF_MODULE: dict[str, str] = {
    "pybreaker": "processors", "werkzeug": "processors",
    "google": "monitors", "slack_sdk": "monitors", "numpy": "monitors", "scipy": "monitors",
    "duckdb": "monitors", "pyarrow": "monitors", "matplotlib": "monitors", "tenacity": "monitors",
}


class InputError(Exception):
    """Bad usage, configuration or input. Rendered as one line, never a traceback.

    `where` names the file (and line) or the option at fault, e.g. "pyproject.toml" or
    "--as-of". The message says what is wrong and, where it helps, what is expected.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def run_cli(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None, prog: str = "predguard",
            extra: str | None = None) -> int:
    """Call a command's `main`, turning InputError into `prog: error: ...` on stderr and exit 2.

    `extra`: the optional-dependency group the command needs, named when one of its modules is
    missing (else the group that brings the missing module)."""
    try:
        return main(argv)
    except InputError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top not in EXTRA_OF_MODULE:
            raise  # not an optional dependency: a bug of ours, shown in full
        print(f"{prog}: error: needs the optional dependency {exc.name!r}: "
              f"pip install 'predguard[{extra or EXTRA_OF_MODULE[top]}]'", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`predguard ... | head`): not our error. Point stdout at devnull so
        # the interpreter's final flush does not raise again (the recipe in Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
