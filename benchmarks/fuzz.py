"""The long fuzz profile: N generated inputs per target through predguard's real entry points.

    python benchmarks/fuzz.py                 # 10,000 cases per target (long: run it in the background)
    python benchmarks/fuzz.py --cases 500     # a quick look
    python benchmarks/fuzz.py --target dockerfile --cases 2000

Targets and properties are those of the CI profile (tests/fuzz/targets.py): no exception escapes
the CLI/API boundary, every case ends within the time bound, exit codes are 0/1/2 only, exit 2 is
one error line, JSON output parses, a push never answers 500. Hypothesis generates the cases
(seeded, so a run is repeatable); a failing case is not shrunk here — each failure is counted
as a crash (or a hang, past the time bound) with its first lines printed, and the run goes on.
Prints one table: target, cases, crashes, hangs, median and max ms per case.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.targets import TARGETS, TIME_BOUND, Hang  # noqa: E402


def run_target(name: str, cases: int) -> dict[str, object]:
    target, strategy = TARGETS[name]
    durations: list[float] = []
    crashes: list[str] = []
    hangs: list[str] = []

    @seed(20261130)
    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(value: object) -> None:
        start = time.perf_counter()
        try:
            target(value)
        except Hang:
            hangs.append(repr(value)[:200])
        except BaseException as exc:  # noqa: BLE001 - every escape is what we count
            if isinstance(exc, KeyboardInterrupt):
                raise
            crashes.append(f"{repr(value)[:200]}\n    {traceback.format_exception_only(exc)[-1].strip()[:300]}")
        finally:
            durations.append(time.perf_counter() - start)

    one()
    for kind, items in (("crash", crashes), ("hang", hangs)):
        for item in items[:5]:
            print(f"  {name}: {kind}: {item}", file=sys.stderr)
    return {"target": name, "cases": len(durations), "crashes": len(crashes), "hangs": len(hangs),
            "median_ms": 1000 * statistics.median(durations) if durations else 0.0,
            "max_ms": 1000 * max(durations, default=0.0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per target (default 10,000)")
    parser.add_argument("--target", action="append", choices=list(TARGETS), help="only these targets (repeatable)")
    args = parser.parse_args()
    rows = []
    for name in args.target or list(TARGETS):
        started = time.perf_counter()
        rows.append(run_target(name, args.cases))
        print(f"  {name}: {rows[-1]['cases']} cases in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"\nfuzz, long profile (time bound {TIME_BOUND:.0f} s a case; targets: tests/fuzz/targets.py)\n")
    print("| target        |  cases | crashes | hangs | median ms | max ms |")
    print("|---------------|--------|---------|-------|-----------|--------|")
    for r in rows:
        print(f"| {r['target']:<13} | {r['cases']:>6,} | {r['crashes']:>7} | {r['hangs']:>5} | {r['median_ms']:>9.1f} | {r['max_ms']:>6.0f} |")
    return 1 if any(r["crashes"] or r["hangs"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
