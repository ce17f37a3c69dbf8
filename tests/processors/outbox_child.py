"""Run by test_outbox.py as a subprocess that gets SIGKILLed mid-run.

Usage: python -m tests.processors.outbox_child STORE_FILE OUTBOX_FILE
Runs a processor again and again, recording every run; prints each run_id once it is recorded.
"""
from __future__ import annotations

import sys
import time
from datetime import date, datetime, timezone

from predguard.processors import Processor, RunContext
from predguard.processors.markers import MarkerRecorder
from predguard.outbox import Outbox
from predguard.processors.stores.sqlite import SqliteStore


class Counting(Processor):
    name = "counting"
    phase = 3

    def extract(self, ctx: RunContext) -> list[int]:
        return [1, 2, 3]

    def load(self, data: list[int], ctx: RunContext) -> int:
        return len(data)


def main() -> None:
    recorder = MarkerRecorder(SqliteStore(sys.argv[1]), Outbox(sys.argv[2]))
    processor = Counting(recorder=recorder)
    now = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
    for i in range(100_000):
        result = processor.run(date(2026, 1, 30), now=now, message_id=f"m-{i}")
        print(result.run_id, flush=True)
        time.sleep(0.01)


if __name__ == "__main__":
    main()
