"""The standard library's top-level module names for a Python version.

hooks/data/stdlib.json holds CPython 3.11's `sys.stdlib_module_names` and the modules each later
or earlier minor version added or removed (from the "What's New" pages); tools/gen_install_data.py
regenerates the 3.11 list. Without a version (the base image does not say) the running
interpreter's own list is used, and the finding says so.
"""
from __future__ import annotations

import json
import sys
from functools import cache
from importlib import resources


@cache
def _data() -> dict[str, object]:
    text = resources.files("predguard.hooks.data").joinpath("stdlib.json").read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


@cache
def stdlib_modules(version: str | None) -> frozenset[str]:
    """Top-level standard-library names of CPython `version` ("3.12"); None: the running interpreter's."""
    if version is None:
        return frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names) | {"__main__", "__future__"}
    data = _data()
    base_version = _minor(str(data["version"]))
    names = set(data["modules"])  # type: ignore[call-overload]
    wanted = _minor(version)
    changes: dict[str, dict[str, list[str]]] = data["changes"]  # type: ignore[assignment]
    for minor_text, change in changes.items():
        minor = _minor(minor_text)
        if base_version < minor <= wanted:  # later versions: apply their changes
            names |= set(change.get("added", []))
            names -= set(change.get("removed", []))
        elif wanted < minor <= base_version:  # earlier versions: undo the changes made since
            names -= set(change.get("added", []))
            names |= set(change.get("removed", []))
    return frozenset(names) | {"__main__", "__future__"}


def _minor(version: str) -> int:
    return int(version.split(".")[1])
