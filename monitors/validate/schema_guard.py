"""Before a check runs: do its tables exist and have its columns? One catalogue read answers for
every check; a missing table or column makes that check `degraded` with the reason, never a crash
and never a failed batch for the others."""
from __future__ import annotations

from predguard.monitors.validate.kinds import KINDS
from predguard.monitors.validate.model import Check
from predguard.monitors.validate.warehouse import Catalog


def missing(check: Check, catalog: Catalog) -> str | None:
    """Why `check` cannot run against this catalogue, or None when it can."""
    kind = KINDS[check.kind]
    needs = kind.columns(check)
    for table in dict.fromkeys([*kind.tables(check), *needs]):
        if table in catalog.missing:
            return catalog.missing[table]
        have = catalog.columns.get(table)
        if have is None:
            return f"table {table} not found"
        lowered = {name.lower() for name in have}
        absent = [c for c in needs.get(table, ()) if c.lower() not in lowered]
        if absent:
            listed = ", ".join(have)
            what = f"column {absent[0]}" if len(absent) == 1 else f"columns {', '.join(absent)}"
            return f"{what} not in {table} (it has: {listed})"
    return None
