"""Time from the services becoming ready to the verify-deploy verdict.

    python benchmarks/verify_deploy.py [--runs 5]

Three real HTTP services (tests/verify/deploy_server.py, subprocesses on 127.0.0.1) start with
a 1 s delay, so the verification starts before they listen and has to wait; the spec has 5
checks across them (health + smoke, health + smoke, health). Each service writes the moment it
started listening; "ready -> verdict" is the verdict's time minus the last of those moments.
Baseline (named): the same verification with the services verified one after another
(concurrency 1), as a shell script of curl calls would.
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from predguard.verify.deploy.run import verify
from predguard.verify.deploy.spec import Check, Plan, Service

SERVER = Path(__file__).resolve().parents[1] / "tests" / "verify" / "deploy_server.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_run(concurrency: int | None, tmp: Path) -> tuple[float, float]:
    ports = [free_port() for _ in range(3)]
    ready_files = [tmp / f"ready-{p}" for p in ports]
    procs = [subprocess.Popen([sys.executable, str(SERVER), str(p), "--start-delay", "1", "--ready-file", str(f)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p, f in zip(ports, ready_files)]
    try:
        smoke = [Check("smoke", method="POST", path="/ok", body={"game_date": "2026-01-30"}),
                 Check("smoke-slow", path="/slow?ms=20")]
        services = (
            Service("coordinator", f"http://127.0.0.1:{ports[0]}", checks=(Check("health", path="/health", status=(200,), expect={"status": "ok"}), smoke[0])),
            Service("worker", f"http://127.0.0.1:{ports[1]}", checks=(Check("health", path="/health", status=(200,)), smoke[1])),
            Service("grader", f"http://127.0.0.1:{ports[2]}", checks=(Check("health", path="/health", status=(200,)),)),
        )
        result = verify(Plan(services=services, timeout=30), concurrency=concurrency)
        verdict_at = time.time()
        assert result.verdict == "pass", result.to_json()
        assert len(result.outcomes) == 5
        ready_at = max(float(f.read_text()) for f in ready_files)
        return verdict_at - ready_at, result.seconds
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, concurrency in (("concurrent (all 3 services at once)", None), ("baseline: one service after another", 1)):
            runs = [one_run(concurrency, Path(tmp)) for _ in range(args.runs)]
            rows[label] = ([r[0] for r in runs], [r[1] for r in runs])
    base = statistics.median(rows["baseline: one service after another"][0])
    print(f"3 services, 5 checks, services listen 1 s after the start; {args.runs} runs each\n")
    print(f"| {'verification':<38} | ready -> verdict, median (s) | worst (s) | whole run, median (s) | time vs baseline |")
    print(f"|{'-' * 40}|------------------------------|-----------|-----------------------|------------------|")
    for label, (lags, totals) in rows.items():
        median = statistics.median(lags)
        print(f"| {label:<38} | {median:28.3f} | {max(lags):9.3f} | {statistics.median(totals):21.3f} | {median / base:15.2f}x |")


if __name__ == "__main__":
    main()
