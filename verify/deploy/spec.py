"""What to verify after a deploy: services, their readiness probe, checks and log sources.

From quick flags (one service) or a TOML spec (several). Checked strictly: an unknown key, a
wrong type or a bad value is an InputError naming the file and the key (a TOML syntax error
names the line). `${VAR}` in URLs and header values is read from the environment, so a spec
never has to hold a token.

    [defaults]                      # every key optional
    timeout = 60                    # readiness budget per service, seconds
    attempts = 150                  # readiness attempts at most
    request_timeout = 5             # per-request timeout until enough latency samples adapt it
    patterns = ["CRITICAL"]         # extra log patterns (regular expressions) for every service

    [[services]]
    name = "coordinator"
    url = "https://coordinator---candidate-abc.a.run.app"
    headers = { Authorization = "Bearer ${ID_TOKEN}" }
    health = "/health"              # readiness and the health check
    expect = { status = "ok" }      # dotted keys of the health JSON
    logs_file = "/var/log/app.log"  # or logs_cmd = "gcloud logging read ..."

    [[services.checks]]
    name = "predict"
    method = "POST"
    path = "/predictions"
    json = { game_date = "2026-01-30" }
    status = [200]                  # default: any 2xx
    expect = { "dispatched" = [] }
    body_pattern = "dispatched"
    max_latency_ms = 2000
    timeout = 10                    # this check's own timeout (no adaptation)
"""
from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from predguard.errors import InputError
from predguard.redact import redact

DEFAULT_PATTERNS = (r"ModuleNotFoundError", r"ImportError", r"No module named", r"Traceback \(most recent call last\)")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Check:
    name: str
    method: str = "GET"
    path: str = "/"
    body: Any = None  # JSON body, or None
    status: tuple[int, ...] = ()  # expected status codes; () = any 2xx
    expect: Mapping[str, Any] = field(default_factory=dict)  # dotted JSON key -> expected value
    body_pattern: str | None = None
    max_latency_ms: float | None = None
    timeout: float | None = None  # fixed per-check timeout (seconds); None = adaptive


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    health: str = "/health"
    checks: tuple[Check, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    logs_file: Path | None = None
    logs_cmd: str | None = None
    patterns: tuple[str, ...] = DEFAULT_PATTERNS


@dataclass(frozen=True)
class Plan:
    services: tuple[Service, ...]
    timeout: float = 60.0  # readiness budget, seconds
    attempts: int = 150
    request_timeout: float = 5.0
    strict: bool = False
    on_fail: str | None = None


# --- quick flags --------------------------------------------------------------------------


def parse_expect(items: Sequence[str], where: str = "--expect") -> dict[str, Any]:
    """KEY=VALUE pairs; VALUE is read as JSON when it parses (200, true, "x"), else as a string."""
    expect: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected KEY=VALUE, got {item!r}", where=where)
        expect[key.strip()] = _json_or_text(value)
    return expect


def parse_smoke(item: str, index: int) -> Check:
    """`[METHOD:]PATH[=JSON_BODY]`, e.g. `POST:/predictions={"game_date": "2026-01-30"}`."""
    where = f"--smoke {item}"
    head, sep, body_text = item.partition("=")
    method, colon, path = head.partition(":")
    if not colon:
        method, path = "GET", head
    method = method.upper()
    if method not in _METHODS:
        raise InputError(f"unknown HTTP method {method!r}", where=where)
    if not path.startswith("/"):
        raise InputError("the path must start with '/'", where=where)
    body = None
    if sep:
        try:
            body = json.loads(body_text)
        except json.JSONDecodeError as exc:
            raise InputError(f"the body is not JSON ({exc.msg} at column {exc.colno})", where=where) from None
        if method == "GET":
            method = "POST"
    return Check(name=f"smoke {method} {path}" if index == 0 else f"smoke#{index + 1} {method} {path}", method=method, path=path, body=body)


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


# --- TOML spec ----------------------------------------------------------------------------

_TOP = {"defaults", "services"}
_DEFAULTS = {"timeout", "attempts", "request_timeout", "patterns", "strict", "on_fail"}
_SERVICE = {"name", "url", "headers", "health", "expect", "logs_file", "logs_cmd", "patterns", "checks"}
_CHECK = {"name", "method", "path", "json", "status", "expect", "body_pattern", "max_latency_ms", "timeout"}


def load_spec(path: Path) -> Plan:
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("spec file not found", where=where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the spec: {exc}", where=where) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", where=where) from None
    reader = _Reader(where, path.parent)
    reader.keys(data, _TOP, "")
    defaults = reader.table(data, "defaults", "")
    reader.keys(defaults, _DEFAULTS, "defaults")
    extra_patterns = tuple(reader.str_list(defaults, "patterns", "defaults") or ())
    raw_services = data.get("services")
    if not isinstance(raw_services, list) or not raw_services:
        raise InputError("declare at least one [[services]] table", where=where)
    services = tuple(reader.service(raw, i, extra_patterns) for i, raw in enumerate(raw_services))
    names = [s.name for s in services]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError(f"two services are named {duplicate!r}", where=where)
    return Plan(
        services=services,
        timeout=reader.number(defaults, "timeout", "defaults", 60.0, positive=True),
        attempts=int(reader.number(defaults, "attempts", "defaults", 150, positive=True, integer=True)),
        request_timeout=reader.number(defaults, "request_timeout", "defaults", 5.0, positive=True),
        strict=bool(reader.boolean(defaults, "strict", "defaults")),
        on_fail=reader.string(defaults, "on_fail", "defaults"),
    )


@dataclass
class _Reader:
    where: str
    base: Path

    def fail(self, key: str, message: str) -> InputError:
        return InputError(f"{key}: {message}", where=self.where)

    def keys(self, table: Mapping[str, Any], allowed: set[str], key: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            label = f"{key}.{unknown[0]}" if key else unknown[0]
            raise self.fail(label, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def table(self, data: Mapping[str, Any], name: str, key: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(_join(key, name), "expected a table")
        return value

    def string(self, table: Mapping[str, Any], name: str, key: str, *, required: bool = False) -> str | None:
        value = table.get(name)
        if value is None:
            if required:
                raise self.fail(_join(key, name), "required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_join(key, name), f"expected a non-empty string, got {value!r}")
        return value

    def boolean(self, table: Mapping[str, Any], name: str, key: str) -> bool | None:
        value = table.get(name)
        if value is not None and not isinstance(value, bool):
            raise self.fail(_join(key, name), f"expected true or false, got {value!r}")
        return value

    def number(self, table: Mapping[str, Any], name: str, key: str, default: float, *, positive: bool = False, integer: bool = False) -> float:
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            raise self.fail(_join(key, name), f"expected {'an integer' if integer else 'a number'}, got {value!r}")
        if positive and value <= 0:
            raise self.fail(_join(key, name), f"must be greater than 0, got {value!r}")
        return float(value)

    def str_list(self, table: Mapping[str, Any], name: str, key: str) -> list[str] | None:
        value = table.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(_join(key, name), "expected a list of strings")
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(_join(key, name), f"{pattern!r} is not a regular expression: {exc}") from None
        return value

    def service(self, raw: Any, index: int, extra_patterns: tuple[str, ...]) -> Service:
        key = f"services[{index}]"
        if not isinstance(raw, dict):
            raise self.fail(key, "expected a table")
        self.keys(raw, _SERVICE, key)
        name = self.string(raw, "name", key, required=True)
        url = self.string(raw, "url", key, required=True)
        assert name is not None and url is not None
        url = check_url(expand_env(url, f"{key}.url", self.where), f"{self.where}: {key}.url")
        headers = self.table(raw, "headers", key)
        for header, value in headers.items():
            if not isinstance(value, str):
                raise self.fail(f"{key}.headers.{header}", "expected a string")
        health = self.string(raw, "health", key) or "/health"
        if not health.startswith("/"):
            raise self.fail(f"{key}.health", "the path must start with '/'")
        expect = self.table(raw, "expect", key)
        checks = [Check(name="health", path=health, status=(200,), expect=expect)]
        raw_checks = raw.get("checks", [])
        if not isinstance(raw_checks, list):
            raise self.fail(f"{key}.checks", "expected an array of tables ([[services.checks]])")
        checks += [self.check(c, f"{key}.checks[{i}]") for i, c in enumerate(raw_checks)]
        logs_file = self.string(raw, "logs_file", key)
        logs_cmd = self.string(raw, "logs_cmd", key)
        if logs_file and logs_cmd:
            raise self.fail(f"{key}.logs_file", "give logs_file or logs_cmd, not both")
        patterns = (*DEFAULT_PATTERNS, *extra_patterns, *(self.str_list(raw, "patterns", key) or ()))
        return Service(
            name=name, url=url, health=health, checks=tuple(checks),
            headers={h: expand_env(v, f"{key}.headers.{h}", self.where) for h, v in headers.items()},
            logs_file=(self.base / logs_file) if logs_file else None, logs_cmd=logs_cmd, patterns=patterns,
        )

    def check(self, raw: Any, key: str) -> Check:
        if not isinstance(raw, dict):
            raise self.fail(key, "expected a table")
        self.keys(raw, _CHECK, key)
        method = (self.string(raw, "method", key) or "GET").upper()
        if method not in _METHODS:
            raise self.fail(f"{key}.method", f"unknown HTTP method {method!r}")
        path = self.string(raw, "path", key, required=True)
        assert path is not None
        if not path.startswith("/"):
            raise self.fail(f"{key}.path", "the path must start with '/'")
        status = raw.get("status", [])
        if isinstance(status, int) and not isinstance(status, bool):
            status = [status]
        if not isinstance(status, list) or not all(isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in status):
            raise self.fail(f"{key}.status", f"expected HTTP status codes (100-599), got {raw.get('status')!r}")
        pattern = self.string(raw, "body_pattern", key)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(f"{key}.body_pattern", f"not a regular expression: {exc}") from None
        latency = raw.get("max_latency_ms")
        timeout = raw.get("timeout")
        return Check(
            name=self.string(raw, "name", key) or f"{method} {path}",
            method=method, path=path, body=raw.get("json"), status=tuple(status),
            expect=self.table(raw, "expect", key), body_pattern=pattern,
            max_latency_ms=self.number(raw, "max_latency_ms", key, 0, positive=True) if latency is not None else None,
            timeout=self.number(raw, "timeout", key, 0, positive=True) if timeout is not None else None,
        )


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def expand_env(value: str, key: str, where: str) -> str:
    """`${VAR}` from the environment; an unset variable is an error (never an empty token)."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise InputError(f"{key}: environment variable {name} is not set", where=where)
        return os.environ[name]

    return _ENV.sub(replace, value)


def check_url(url: str, where: str) -> str:
    if not re.match(r"^https?://[^/\s]+", url):
        raise InputError(f"expected an http(s) URL, got {redact(url)!r}", where=where)
    return url.rstrip("/")
