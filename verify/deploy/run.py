"""Verify every service of a plan concurrently, decide the verdict, roll back once on fail."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from predguard.redact import redact, register
from predguard.verify.deploy.logs import LogSource, scan
from predguard.verify.deploy.outcome import ERROR, FAIL, INCONCLUSIVE, PASS, Outcome
from predguard.verify.deploy.probe import endpoint, run_check
from predguard.verify.deploy.readiness import wait_ready
from predguard.verify.deploy.spec import Plan, Service
from predguard.verify.deploy.timeouts import AdaptiveTimeout

ROLLBACK_TIMEOUT = 600.0


@dataclass(frozen=True)
class ServiceResult:
    name: str
    url: str  # redacted
    ready: bool
    ready_after_s: float
    readiness_attempts: int
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class Rollback:
    command: str  # redacted
    exit_code: int | None
    outcome: str  # "pass" (it ran and exited 0) | "error"
    output: str  # the tail of its output, redacted
    seconds: float


@dataclass(frozen=True)
class Result:
    verdict: str  # pass | fail
    strict: bool
    started_at: str
    seconds: float
    services: tuple[ServiceResult, ...]
    rollback: Rollback | None

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for s in self.services for o in s.outcomes]

    def counts(self) -> dict[str, int]:
        counts = {PASS: 0, FAIL: 0, INCONCLUSIVE: 0, ERROR: 0}
        for outcome in self.outcomes:
            counts[outcome.outcome] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "verdict": self.verdict,
            "strict": self.strict,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "services": [{"name": s.name, "url": s.url, "ready": s.ready, "ready_after_s": round(s.ready_after_s, 3),
                          "readiness_attempts": s.readiness_attempts} for s in self.services],
            "checks": [o.to_json() for o in self.outcomes],
            "rollback": None if self.rollback is None else {
                "command": self.rollback.command, "exit_code": self.rollback.exit_code,
                "outcome": self.rollback.outcome, "output": self.rollback.output, "seconds": round(self.rollback.seconds, 3)},
        }


def verify(plan: Plan, *, concurrency: int | None = None) -> Result:
    """Verify every service (concurrently: `concurrency` at a time, default all) and decide."""
    for service in plan.services:  # whatever the output path, these values never appear in it
        for header, value in service.headers.items():
            if header.lower() in ("authorization", "proxy-authorization", "cookie", "x-api-key") or "token" in header.lower():
                register(value.split(" ", 1)[-1])
    started = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    sources = {s.name: LogSource(s.logs_file, s.logs_cmd) if (s.logs_file or s.logs_cmd) else None for s in plan.services}
    for source in sources.values():
        if source is not None:
            source.start()
    with ThreadPoolExecutor(max_workers=concurrency or len(plan.services)) as pool:
        results = list(pool.map(lambda s: _guarded(plan, s, sources[s.name]), plan.services))
    outcomes = [o for r in results for o in r.outcomes]
    failed = any(o.outcome in (FAIL, ERROR) for o in outcomes) or (plan.strict and any(o.outcome == INCONCLUSIVE for o in outcomes))
    rollback = run_rollback(plan.on_fail, outcomes) if failed and plan.on_fail else None
    return Result("fail" if failed else "pass", plan.strict, started_at, time.monotonic() - started, tuple(results), rollback)


def _guarded(plan: Plan, service: Service, logs: LogSource | None) -> ServiceResult:
    """A probe that breaks in a way nobody foresaw is that service's `error` outcome, never a traceback."""
    try:
        return _verify_service(plan, service, logs)
    except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
        reason = redact(f"the verification itself broke: {type(exc).__name__}: {exc}")
        return ServiceResult(service.name, redact(service.url), False, 0.0, 0, (Outcome(service.name, "verify", ERROR, reason),))


def _verify_service(plan: Plan, service: Service, logs: LogSource | None) -> ServiceResult:
    timeouts = AdaptiveTimeout(plan.request_timeout)
    with httpx.Client(headers=dict(service.headers), follow_redirects=False) as client:
        readiness = wait_ready(client, service.name, endpoint(service.url, service.health), budget=plan.timeout,
                               attempts=plan.attempts, timeouts=timeouts)
        outcomes: list[Outcome] = []
        if readiness.ready:
            outcomes += [run_check(client, service.name, service.url, check, timeouts) for check in service.checks]
        else:
            outcomes.append(Outcome(service.name, "ready", FAIL,
                                    f"not ready after {readiness.attempts} attempts in {readiness.seconds:.1f} s "
                                    f"(budget {plan.timeout:g} s): {readiness.last}",
                                    attempts=readiness.attempts, evidence={"last": readiness.last}))
            outcomes += [Outcome(service.name, c.name, INCONCLUSIVE, "not run: the service never became ready") for c in service.checks]
    if logs is not None:
        outcomes.append(scan(service.name, logs, service.patterns))
    return ServiceResult(service.name, redact(service.url), readiness.ready, readiness.seconds, readiness.attempts, tuple(outcomes))


def run_rollback(command: str, outcomes: list[Outcome]) -> Rollback:
    """Run the rollback command once, through the shell (it is the pipeline's own command line)."""
    failed = [f"{o.service}/{o.check}" for o in outcomes if o.outcome != PASS]
    env = {**os.environ, "PREDGUARD_VERDICT": "fail", "PREDGUARD_FAILED_CHECKS": " ".join(failed)}
    started = time.monotonic()
    try:
        done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, errors="replace",
                              env=env, timeout=ROLLBACK_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Rollback(redact(command), None, ERROR, f"did not finish within {ROLLBACK_TIMEOUT:.0f} s", time.monotonic() - started)
    output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
    return Rollback(redact(command), done.returncode, PASS if done.returncode == 0 else ERROR, redact(output), time.monotonic() - started)
