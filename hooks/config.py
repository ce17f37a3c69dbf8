"""`[tool.predguard]` for check-dockerfiles: read once, checked strictly, frozen.

Schema (every key optional; paths are relative to the directory of the file that holds them)::

    [tool.predguard]
    context = "."                 # default build context for every Dockerfile
    exclude = ["**/testdata/**"]  # globs (relative to --root) of Dockerfiles to skip, besides the defaults
    default_excludes = true       # false: also check node_modules/.venv/site-packages and archive/deprecated/old folders
    first_party = ["shared"]      # known first-party top-level names (else inferred from the repo)
    build_args = { APP_HOME = "/srv" }   # --build-arg values for every Dockerfile
    module_map = { "mycorp.auth" = "mycorp-auth-client" }      # PG102: import prefix -> distribution(s)
    base_packages = { "tensorflow/tensorflow" = ["tensorflow", "numpy"] }   # PG102: what a base image preinstalls
    dependency_map = { "mycorp-auth-client" = ["requests"] }   # PG102: what a distribution brings with it

    [[tool.predguard.services]]   # per-Dockerfile settings; any number
    name = "coordinator"          # default: the Dockerfile's parent directory name
    dockerfile = "predictions/coordinator/Dockerfile"   # required
    context = "."                 # overrides the top-level context
    entrypoints = ["predictions.coordinator.app"]      # overrides what CMD/ENTRYPOINT say
    build_args = {}               # merged over the top-level build_args
    target = "runtime"            # the stage that is built (default: the last one)

An unknown key or a value of the wrong type is an InputError naming the key and the file.
Other tools' keys under `[tool.predguard]` (e.g. `[tool.predguard.drift]`) are left alone:
only the keys below and sub-tables are accepted at the top level.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from predguard.config import COMMAND_TABLES, load_table
from predguard.errors import InputError

TOP_KEYS = frozenset({"context", "exclude", "default_excludes", "first_party", "build_args", "services", "module_map", "base_packages", "dependency_map"})
SERVICE_KEYS = frozenset({"name", "dockerfile", "context", "entrypoints", "build_args", "target"})


@dataclass(frozen=True)
class ServiceConfig:
    dockerfile: Path  # absolute, resolved
    name: str | None = None
    context: Path | None = None  # absolute
    entrypoints: tuple[str, ...] | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None


@dataclass(frozen=True)
class Config:
    source: Path | None  # the file it came from (None: defaults)
    context: Path | None = None  # absolute
    exclude: tuple[str, ...] = ()
    default_excludes: bool = True  # discovery.DEFAULT_EXCLUDES apply
    first_party: frozenset[str] | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    services: tuple[ServiceConfig, ...] = ()
    module_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    base_packages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dependency_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def service_for(self, dockerfile: Path) -> ServiceConfig | None:
        try:
            resolved = dockerfile.resolve()
        except (OSError, RuntimeError):  # a symlink loop: no configured service can be it
            return None
        return next((s for s in self.services if s.dockerfile == resolved), None)


def load_config(path: Path | None) -> Config:
    """The check-dockerfiles configuration in `path` (a pyproject.toml or any TOML file)."""
    if path is None:
        return Config(source=None)
    table = load_table(path)
    where = str(path)
    base = path.resolve().parent
    for key, value in table.items():
        # Sub-tables of other commands ([tool.predguard.drift], ...) are theirs to check; the rest must be ours.
        if key not in TOP_KEYS and not (key in COMMAND_TABLES and isinstance(value, dict)):
            known = ", ".join(sorted(TOP_KEYS | COMMAND_TABLES))
            raise InputError(f"unknown key 'tool.predguard.{key}' (known: {known})", where=where)
    services_raw = table.get("services", [])
    if not isinstance(services_raw, list) or not all(isinstance(s, dict) for s in services_raw):
        raise InputError("'tool.predguard.services' must be an array of tables ([[tool.predguard.services]])", where=where)
    services = tuple(_service(raw, i, base, where) for i, raw in enumerate(services_raw))
    seen: dict[Path, int] = {}
    for i, service in enumerate(services):
        if service.dockerfile in seen:
            raise InputError(f"'tool.predguard.services[{i}].dockerfile' repeats services[{seen[service.dockerfile]}]", where=where)
        seen[service.dockerfile] = i
    first_party = _str_list(table, "first_party", "tool.predguard", where)
    default_excludes = table.get("default_excludes", True)
    if not isinstance(default_excludes, bool):
        raise InputError("'tool.predguard.default_excludes' must be true or false", where=where)
    return Config(
        default_excludes=default_excludes,
        source=path,
        context=_path(table, "context", "tool.predguard", base, where),
        exclude=_str_list(table, "exclude", "tool.predguard", where) or (),
        first_party=frozenset(first_party) if first_party is not None else None,
        build_args=_build_args(table, "tool.predguard", where),
        services=services,
        module_map=_names_table(table, "module_map", where, one_allowed=True),
        base_packages=_names_table(table, "base_packages", where),
        dependency_map=_names_table(table, "dependency_map", where),
    )


def _service(raw: dict[str, Any], index: int, base: Path, where: str) -> ServiceConfig:
    dotted = f"tool.predguard.services[{index}]"
    unknown = sorted(set(raw) - SERVICE_KEYS)
    if unknown:
        raise InputError(f"unknown key '{dotted}.{unknown[0]}' (known: {', '.join(sorted(SERVICE_KEYS))})", where=where)
    dockerfile = _path(raw, "dockerfile", dotted, base, where)
    if dockerfile is None:
        raise InputError(f"'{dotted}.dockerfile' is required", where=where)
    if not dockerfile.is_file():
        raise InputError(f"'{dotted}.dockerfile': no such file: {dockerfile}", where=where)
    entrypoints = _str_list(raw, "entrypoints", dotted, where)
    return ServiceConfig(
        dockerfile=dockerfile,
        name=_str(raw, "name", dotted, where),
        context=_path(raw, "context", dotted, base, where),
        entrypoints=tuple(entrypoints) if entrypoints is not None else None,
        build_args=_build_args(raw, dotted, where),
        target=_str(raw, "target", dotted, where),
    )


def _str(table: Mapping[str, Any], key: str, dotted: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InputError(f"'{dotted}.{key}' must be a non-empty string, not {_describe(value)}", where=where)
    return value


def _path(table: Mapping[str, Any], key: str, dotted: str, base: Path, where: str) -> Path | None:
    value = _str(table, key, dotted, where)
    return (base / value).resolve() if value is not None else None


def _str_list(table: Mapping[str, Any], key: str, dotted: str, where: str) -> tuple[str, ...] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"'{dotted}.{key}' must be a list of non-empty strings, not {_describe(value)}", where=where)
    return tuple(value)


def _build_args(table: Mapping[str, Any], dotted: str, where: str) -> dict[str, str]:
    value = table.get("build_args", {})
    if not isinstance(value, dict):
        raise InputError(f"'{dotted}.build_args' must be a table of strings, not {_describe(value)}", where=where)
    for name, arg in value.items():
        if not isinstance(arg, str):
            raise InputError(f"'{dotted}.build_args.{name}' must be a string, not {_describe(arg)}", where=where)
    return dict(value)


def _names_table(table: Mapping[str, Any], key: str, where: str, *, one_allowed: bool = False) -> dict[str, tuple[str, ...]]:
    """`{ name = ["a", "b"] }` (or `{ name = "a" }` where one value is the common case)."""
    value = table.get(key, {})
    expected = "a string or a list of strings" if one_allowed else "a list of strings"
    if not isinstance(value, dict):
        raise InputError(f"'tool.predguard.{key}' must be a table of {expected}, not {_describe(value)}", where=where)
    out: dict[str, tuple[str, ...]] = {}
    for name, item in value.items():
        if one_allowed and isinstance(item, str) and item:
            out[name] = (item,)
        elif isinstance(item, list) and all(isinstance(v, str) and v for v in item):
            out[name] = tuple(item)
        else:
            raise InputError(f"'tool.predguard.{key}.{name}' must be {expected}, not {_describe(item)}", where=where)
    return out


def _describe(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)
