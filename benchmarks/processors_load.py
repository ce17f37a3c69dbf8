"""Load and kill trials of the Pub/Sub push service under gunicorn on 127.0.0.1.

    python benchmarks/processors_load.py             # the table in benchmarks/README.md (~5 min)
    python benchmarks/processors_load.py --quick     # small version (CI: tests/processors/test_load_benchmark.py)

Load: PUSHES pushes at CONCURRENCY concurrent requests, DUP_RATE of them copies of another
push's message id, sent right after their original ("adjacent": in flight together) or in a
shuffled order; under 4 sync workers and under 1 worker x 4 threads (the example's
configuration); with claims (ours) and without (the baseline: the app before claims). A 503
is redelivered by the client after a short backoff, like Pub/Sub. Double runs are read from
the service's own side effects (one row per run, no key) and its run markers.

Kill trials: gunicorn is SIGKILLed (the whole process group, master and workers) at a random
point while pushes are in flight, restarted, and every push of the trial is delivered again
until acknowledged. Afterwards: every message has exactly one acknowledged run marker (0 lost,
0 duplicated) and every SQLite file passes `PRAGMA integrity_check`.

Exit 1 when any configuration with claims shows a double run, or a kill trial loses or
duplicates a marker or corrupts a store.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_DATE = "2026-01-29"
CONFIGS = {"4 workers": ["--workers", "4"], "1 worker x 4 threads": ["--workers", "1", "--threads", "4"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def service(runtime: Path, gunicorn_args: list[str], *, claims: bool = True, lease_s: float = 600) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """gunicorn serving processors_load_app on 127.0.0.1 in its own process group; stopped on exit."""
    port = _free_port()
    env = {**os.environ, "LOAD_BENCH_DIR": str(runtime), "LOAD_BENCH_CLAIMS": "1" if claims else "0",
           "LOAD_BENCH_LEASE_S": str(lease_s), "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--backlog", "256",
         *gunicorn_args, "processors_load_app:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(runtime / "gunicorn.log", "ab"), start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {runtime / 'gunicorn.log'}") from None
                time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def push_body(message_id: str, attempt: int) -> bytes:
    data = base64.b64encode(json.dumps({"processor": "load_bench", "target_date": TARGET_DATE}).encode()).decode()
    return json.dumps({"message": {"data": data, "messageId": message_id}, "subscription": "projects/p/subscriptions/bench",
                       "deliveryAttempt": attempt}).encode()


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def push_order(unique: int, duplicates: int, order: str, rng: random.Random, prefix: str) -> list[str]:
    """Message ids in sending order: `duplicates` of the `unique` ids sent twice."""
    ids = [f"{prefix}-{i}" for i in range(unique)]
    doubled = set(rng.sample(ids, duplicates))
    sends = [copy for mid in ids for copy in ([mid, mid] if mid in doubled else [mid])]  # adjacent
    if order == "shuffled":
        rng.shuffle(sends)
    return sends


@dataclass
class Delivery:
    latencies: list[float]
    statuses: Counter[int]
    unanswered: int = 0


def deliver(url: str, sends: list[str], concurrency: int, *, until_acked: bool = True, stop: threading.Event | None = None) -> Delivery:
    """Send every push; a 503 is redelivered after a backoff (Pub/Sub's behaviour) until acknowledged.
    A connection error (the service was killed) leaves the push unanswered."""
    result = Delivery([], Counter())
    lock = threading.Lock()

    def one(message_id: str) -> None:
        attempt = 1
        while stop is None or not stop.is_set():
            started = time.perf_counter()
            try:
                status = post(url, push_body(message_id, attempt))
            except (OSError, http.client.HTTPException):  # refused, reset, or cut off mid-answer by the kill
                with lock:
                    result.unanswered += 1
                return
            with lock:
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] += 1
            if status == 200 or not until_acked:
                return
            attempt += 1
            time.sleep(min(0.05 * attempt, 0.5))

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, sends))
    return result


def runs_per_message(runtime: Path) -> tuple[Counter[str], Counter[str]]:
    """Side effects (load calls) and acknowledged run markers, per message id."""
    effects, markers = Counter[str](), Counter[str]()
    with sqlite3.connect(runtime / "effects.sqlite3") as conn:
        effects.update(row[0] for row in conn.execute("SELECT message_id FROM effects"))
    with sqlite3.connect(runtime / "runs.sqlite3") as conn:
        markers.update(row[0] for row in conn.execute(
            "SELECT message_id FROM run_markers WHERE outcome IN ('success', 'skipped', 'failed_permanent')"))
    return effects, markers


def integrity(runtime: Path) -> list[str]:
    """The SQLite files that fail `PRAGMA integrity_check`."""
    bad = []
    for path in sorted(runtime.glob("*.sqlite3")):
        with sqlite3.connect(path) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                bad.append(path.name)
    return bad


def load_run(config: str, order: str, claims: bool, pushes: int, concurrency: int, dup_rate: float, seed: int) -> dict[str, object]:
    duplicates = round(pushes * dup_rate)
    sends = push_order(pushes - duplicates, duplicates, order, random.Random(seed), "m")
    with tempfile.TemporaryDirectory(prefix="predguard-load-") as tmp:
        runtime = Path(tmp)
        with service(runtime, CONFIGS[config], claims=claims) as (url, _):
            deliver(url, [f"warm-{i}" for i in range(concurrency)], concurrency)  # every worker imported and connected
            started = time.perf_counter()
            delivery = deliver(url, sends, concurrency)
            elapsed = time.perf_counter() - started
        effects, markers = runs_per_message(runtime)
    measured = {m for m in sends}
    latencies = sorted(delivery.latencies)
    return {
        "config": config, "order": order, "claims": claims, "pushes": len(sends), "copies": duplicates,
        "seconds": elapsed, "throughput": len(sends) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "retries_503": delivery.statuses[503],
        "double_runs": sum(1 for m in measured if effects[m] > 1),
        "double_markers": sum(1 for m in measured if markers[m] > 1),
        "lost": sum(1 for m in measured if markers[m] == 0),
    }


def kill_trials(trials: int, seed: int, *, per_trial: int = 24, concurrency: int = 8) -> dict[str, object]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="predguard-kill-") as tmp:
        runtime = Path(tmp)
        every: list[str] = []
        in_flight = 0
        for trial in range(trials):
            config = list(CONFIGS)[trial % len(CONFIGS)]
            sends = push_order(per_trial - per_trial // 5, per_trial // 5, "adjacent", rng, f"t{trial}")
            every.extend(sends)
            with service(runtime, CONFIGS[config], lease_s=1.0) as (url, proc):
                stop = threading.Event()
                first: list[Delivery] = []
                sender = threading.Thread(target=lambda: first.append(deliver(url, sends, concurrency, stop=stop)))
                sender.start()
                time.sleep(rng.uniform(0.0, 0.5))  # a random point of the batch
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                stop.set()
                sender.join()
                in_flight += first[0].unanswered
            with service(runtime, CONFIGS[config], lease_s=1.0) as (url, _):
                # Pub/Sub redelivers whatever was not acknowledged; we redeliver everything.
                deliver(url, sends, concurrency)
        with service(runtime, CONFIGS["4 workers"]) as _:
            pass  # a last start-up delivers whatever the outbox still holds
        effects, markers = runs_per_message(runtime)
        unique = set(every)
        return {
            "trials": trials, "messages": len(unique),
            "lost": sum(1 for m in unique if markers[m] == 0),
            "duplicated_markers": sum(1 for m in unique if markers[m] > 1),
            "corrupt_files": integrity(runtime),
            "rerun_after_kill": sum(1 for m in unique if effects[m] > 1),  # killed between load and marker: run again
            "in_flight_at_kill": in_flight,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--dup-rate", type=float, default=0.2)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--quick", action="store_true", help="200 pushes, claims only, 4 kill trials")
    parser.add_argument("--no-baseline", action="store_true", help="skip the runs without claims")
    args = parser.parse_args(argv)
    if args.quick:
        args.pushes, args.trials, args.no_baseline = 200, 4, True

    rows = []
    for config in CONFIGS:
        for order in ("adjacent", "shuffled"):
            for claims in (True,) if args.no_baseline else (True, False):
                row = load_run(config, order, claims, args.pushes, args.concurrency, args.dup_rate, args.seed)
                rows.append(row)
                print(f"  measured {config}, {order}, {'claims' if claims else 'baseline'}: {row['throughput']:.0f}/s", file=sys.stderr)
    print(f"Load: {args.pushes} pushes, {args.concurrency} concurrent, {args.dup_rate:.0%} copies of another push's message id\n")
    print("| gunicorn | copies sent | service | pushes/s | vs baseline | p50 ms | p99 ms | 503 then redelivered | double runs | double markers | lost |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    baseline = {(r["config"], r["order"]): r for r in rows if not r["claims"]}
    for r in rows:
        base = baseline.get((r["config"], r["order"]))
        ratio = f"{r['throughput'] / base['throughput']:.2f}x" if base else "-"  # type: ignore[operator]
        name = "with claims (ours)" if r["claims"] else "baseline: no claims"
        print(f"| {r['config']} | {r['order']} | {name} | {r['throughput']:.0f} | {ratio} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['retries_503']} | {r['double_runs']} of {r['copies']} | {r['double_markers']} | {r['lost']} |")
    failed = any(r["claims"] and (r["double_runs"] or r["double_markers"] or r["lost"]) for r in rows)

    kills = kill_trials(args.trials, args.seed)
    print(f"\nKill trials: {kills['trials']} SIGKILLs of gunicorn at random points, {kills['messages']} messages")
    print("\n| pushes in flight at the kill | lost markers | duplicated markers | corrupt SQLite files | messages run again after a kill |")
    print("|---|---|---|---|---|")
    print(f"| {kills['in_flight_at_kill']} | {kills['lost']} | {kills['duplicated_markers']} | {len(kills['corrupt_files'])} | "  # type: ignore[arg-type]
          f"{kills['rerun_after_kill']} |")
    failed = failed or bool(kills["lost"] or kills["duplicated_markers"] or kills["corrupt_files"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
