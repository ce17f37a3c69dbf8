"""The check kinds, one module each; `KINDS` maps a kind's name to it."""
from __future__ import annotations

from predguard.monitors.validate.kinds import (
    coverage,
    custom_sql,
    duplicate_keys,
    error_rate,
    freshness,
    null_rate,
    phase_completion,
    row_count,
)
from predguard.monitors.validate.kinds.base import CheckKind, ParseContext

KINDS: dict[str, CheckKind] = {
    module.KIND.name: module.KIND
    for module in (row_count, freshness, coverage, null_rate, duplicate_keys, phase_completion, custom_sql, error_rate)
}

__all__ = ["KINDS", "CheckKind", "ParseContext"]
