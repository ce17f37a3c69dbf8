"""The one argparse flavour every command uses: a usage error is an InputError, so the user sees
`predguard <command>: error: arguments: ...` on one line and exit 2, never argparse's usage block."""
from __future__ import annotations

import argparse
from typing import NoReturn

from predguard.errors import InputError


class ArgumentParser(argparse.ArgumentParser):
    """argparse.ArgumentParser whose errors (and its subparsers', which inherit the class) raise
    InputError for `predguard.errors.run_cli` to print; --help and --version still exit 0."""

    def error(self, message: str) -> NoReturn:
        raise InputError(message, where="arguments")
