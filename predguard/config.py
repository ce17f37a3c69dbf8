"""Read `[tool.predguard]` from a project's pyproject.toml (the convention of ruff, deptry, pytest)."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from predguard.errors import InputError


# The sub-tables of [tool.predguard] that belong to a command (each command checks its own keys);
# any other table is a misspelling, never silently ignored.
COMMAND_TABLES = frozenset({"drift", "phases", "validate", "verify", "deploy", "processors"})


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` (a file or directory)."""
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else list(start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_table(path: Path | None, *keys: str) -> dict[str, Any]:
    """The `[tool.predguard(.keys...)]` table of a TOML file, or {} when it is absent.

    A file that does not exist, or is not valid TOML, is an InputError naming the file.
    """
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("configuration file not found", where=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a TOML file", where=str(path)) from None
    except OSError as exc:  # unreadable, a symlink loop, ...: say why, in the system's words
        raise InputError(f"cannot read the configuration file ({exc.strerror or exc})", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", where=str(path)) from None
    table: Any = data.get("tool", {}).get("predguard", {})
    dotted = "tool.predguard"
    for key in keys:
        if not isinstance(table, dict):
            raise InputError(f"[{dotted}] must be a table", where=str(path))
        table = table.get(key, {})
        dotted += f".{key}"
    if not isinstance(table, dict):
        raise InputError(f"[{dotted}] must be a table", where=str(path))
    return table
