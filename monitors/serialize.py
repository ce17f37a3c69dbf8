"""JSON for the drift monitor's data types, so a Notification can wait in the outbox.

The codec walks the dataclasses' own type hints instead of listing fields by hand: a field
added to `predguard.monitors.model` later (optional, with a default) round-trips without touching this
module, and a stored payload missing that field decodes to its default. `chart_png` is left
out of the JSON on purpose: the outbox keeps the bytes in their own BLOB column.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
import typing
from functools import cache
from typing import Any, Literal, Union

from predguard.monitors.model import AnyNotification, Notification, ReportNotification, Verdict

FORMAT_VERSION = 1
_BINARY_FIELDS = frozenset({"chart_png"})


# The payload's key names the type: a drift alert, or a report (predguard validate).
_TYPES: dict[str, type[Notification] | type[ReportNotification]] = {"notification": Notification, "report_notification": ReportNotification}


def notification_to_json(notification: AnyNotification) -> str:
    tag = "report_notification" if isinstance(notification, ReportNotification) else "notification"
    payload = {"format": FORMAT_VERSION, tag: _encode(notification)}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def notification_from_json(text: str, chart_png: bytes | None = None) -> AnyNotification:
    payload = json.loads(text)
    if payload.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported notification format {payload.get('format')!r} (expected {FORMAT_VERSION})")
    tag = next((t for t in _TYPES if t in payload), None)
    if tag is None:
        raise ValueError(f"no notification in the payload (expected one of {', '.join(_TYPES)})")
    notification: AnyNotification = _decode(_TYPES[tag], payload[tag])
    return dataclasses.replace(notification, chart_png=chart_png)


def verdict_to_json(verdict: Verdict) -> str:
    return json.dumps(_encode(verdict), sort_keys=True, separators=(",", ":"))


def verdict_from_json(text: str) -> Verdict:
    return _decode(Verdict, json.loads(text))


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _encode(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _BINARY_FIELDS
        }
    if isinstance(value, dt.date):  # dt.datetime is a dt.date too: isoformat keeps the time
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return sorted(_encode(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot serialise {type(value).__name__}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, raw: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        if raw is None:
            return None
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return _decode(options[0], raw)
        return raw  # a union of primitives (e.g. int | float) needs no conversion
    if origin is Literal:
        if raw not in typing.get_args(tp):
            raise ValueError(f"{raw!r} is not one of {typing.get_args(tp)}")
        return raw
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in raw)
        return tuple(_decode(a, v) for a, v in zip(args, raw, strict=True))
    if origin in (frozenset, set):
        (item,) = typing.get_args(tp)
        return origin(_decode(item, v) for v in raw)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {
            f.name: _decode(hints[f.name], raw[f.name])
            for f in dataclasses.fields(tp)
            if f.name in raw and f.name not in _BINARY_FIELDS
        }
        return tp(**kwargs)
    if tp is dt.date:
        return dt.date.fromisoformat(raw)
    if tp is dt.datetime:
        return dt.datetime.fromisoformat(raw)
    if tp is float:
        return float(raw)
    if tp in (int, str, bool, bytes) or tp is Any:
        return raw
    raise TypeError(f"cannot deserialise into {tp!r}")
