"""Coordinator-only helpers, in a module named like the repository's `shared` package."""
from __future__ import annotations

FAN_OUT_LIMIT = 16
