"""Python import analysis: the import closure of an image's entrypoints (PG101, PG103, PG104).

    imports   one file -> the imports it can make at run time (parsed once, cached)
    resolve   a dotted name -> image / repository / stdlib / third-party, and the COPY that fixes it
    closure   entrypoints -> breadth-first closure -> findings
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from predguard.hooks.python.closure import CheckResult, check_image

__all__ = ["CheckResult", "check_image"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: a run that only rescans a file (predguard.hooks.replay) needs `imports`
    # alone, not the closure walk and everything it imports.
    if name in __all__:
        from predguard.hooks.python import closure

        return getattr(closure, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
