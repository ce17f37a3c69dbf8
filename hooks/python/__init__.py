"""Python import analysis: the import closure of an image's entrypoints (PG101, PG103, PG104).

    imports   one file -> the imports it can make at run time (parsed once, cached)
    resolve   a dotted name -> image / repository / stdlib / third-party, and the COPY that fixes it
    closure   entrypoints -> breadth-first closure -> findings
"""
from __future__ import annotations

from predguard.hooks.python.closure import CheckResult, check_image

__all__ = ["CheckResult", "check_image"]
