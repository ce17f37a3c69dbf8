"""The three verdicts on one image — static (check-dockerfiles' PG101), dry build, real build —
as comparable sets of missing modules.

The hook names the module an import statement needs (`predictions.worker.data_loaders`); Python
names the first part of it that is absent (`No module named 'predictions.worker'`). Both are put
in the same terms: each name becomes the shortest of its prefixes named by either side.
"""
from __future__ import annotations

import json
from collections.abc import Iterable


def missing_from_report_lines(lines: Iterable[str]) -> set[str]:
    """Missing names from `verify-imports --format json` lines (failure lines, then a summary)."""
    found = set()
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if "module" in entry and entry.get("severity") == "ERROR":
            found.add(entry.get("missing") or entry["module"])
    return found


def canonical(static: set[str], dynamic: set[str]) -> tuple[set[str], set[str]]:
    names = static | dynamic

    def shortest(name: str) -> str:
        parts = name.split(".")
        return next(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in names)

    return {shortest(n) for n in static}, {shortest(n) for n in dynamic}
