"""Command-line reading shared by the runners: options vs positionals, and `module:attr` specs."""
from __future__ import annotations

import re

_APP_SPEC = re.compile(r"^[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*(?:\(.*\))?)?$")


def split_options(
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


def app_module(spec: str) -> str | None:
    """The module of an app spec (`pkg.mod:app`, `pkg.mod:create()`, `pkg/mod.py`), if it names one."""
    module = spec.split(":", 1)[0]
    if module.endswith(".py"):
        module = module[:-3].replace("/", ".")
    return module if module and _APP_SPEC.match(module) else None
