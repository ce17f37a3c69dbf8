"""`predguard verify-deploy` — after a deploy: wait for the service, probe it, read its logs, decide.

Quick flags for one service (`--url`, `--health`, `--expect`, `--smoke`, `--timeout`, `--logs-file`
/ `--logs-cmd`), or `--spec verify.toml` for several services and richer checks
(predguard.verify.deploy.spec). Services are verified concurrently. Each check ends pass, fail,
inconclusive (e.g. the logs could not be read) or error (the probe itself broke); the run fails
on any fail or error, and with --strict on inconclusive too. On fail, the --on-fail command (a
rollback) runs once and its result is reported. Secrets in URLs and headers are never printed.

Exit codes: 0 pass, 1 fail, 2 usage or spec error.
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from predguard.arguments import ArgumentParser
from predguard.errors import EXIT_FINDINGS, EXIT_OK, InputError, run_cli
from predguard.redact import redact
from predguard.verify.deploy.spec import DEFAULT_PATTERNS, Check, Plan, Service, check_url, load_spec, parse_expect, parse_smoke

PROG = "predguard verify-deploy"


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[1], allow_abbrev=False)
    parser.add_argument("--url", help="the service's base URL (quick mode: one service)")
    parser.add_argument("--spec", type=Path, metavar="FILE", help="a TOML spec with several services and checks")
    parser.add_argument("--health", default="/health", metavar="PATH", help="readiness and health path (default: /health)")
    parser.add_argument("--expect", action="append", default=[], metavar="KEY=VALUE", help="expected value of a dotted key of the health JSON (repeatable)")
    parser.add_argument("--smoke", action="append", default=[], metavar="[METHOD:]PATH[=JSON]", help="a smoke request expected to answer 2xx (repeatable)")
    parser.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="a request header (repeatable; never printed)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="readiness budget per service (default: 60)")
    parser.add_argument("--attempts", type=int, metavar="N", help="readiness attempts at most (default: 150)")
    parser.add_argument("--request-timeout", type=float, metavar="SECONDS", help="per-request timeout before it adapts to latency (default: 5)")
    logs = parser.add_mutually_exclusive_group()
    logs.add_argument("--logs-file", type=Path, metavar="FILE", help="scan the lines appended to FILE during the run")
    logs.add_argument("--logs-cmd", metavar="CMD", help="scan this command's output ({since} = the start time, RFC 3339)")
    parser.add_argument("--pattern", action="append", default=[], metavar="REGEX", help="another log pattern that fails the run (repeatable)")
    parser.add_argument("--strict", action="store_true", help="inconclusive checks fail the run too")
    parser.add_argument("--on-fail", metavar="CMD", help="run once when the verdict is fail (e.g. a rollback)")
    parser.add_argument("--format", default="text", choices=("text", "json", "junit"), help="report format (default: text)")
    parser.add_argument("-q", "--quiet", action="store_true", help="do not log readiness retries")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    plan = _plan(args)
    from predguard.verify.deploy import report, run  # httpx and tenacity: the `deploy` extra

    # The handler is predguard's (the CLI configures logging once); progress lines unless --quiet.
    logging.getLogger("predguard.verify").setLevel(logging.WARNING if args.quiet else logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines would print URLs
    result = run.verify(plan)
    sys.stdout.write(redact(report.render(result, args.format)))
    return EXIT_OK if result.verdict == "pass" else EXIT_FINDINGS


def _plan(args: argparse.Namespace) -> Plan:
    if args.spec and args.url:
        raise InputError("give --url (one service) or --spec (several), not both", where="arguments")
    if args.spec:
        if args.smoke or args.expect or args.logs_file or args.logs_cmd:
            raise InputError("--smoke, --expect and --logs-* go in the spec file when --spec is given", where="arguments")
        plan = load_spec(args.spec)
    elif args.url:
        if not args.health.startswith("/"):
            raise InputError("the path must start with '/'", where="--health")
        headers = {}
        for item in args.header:
            name, sep, value = item.partition(":")
            if not sep or not name.strip():
                raise InputError(f"expected NAME:VALUE, got {redact(item)!r}", where="--header")
            headers[name.strip()] = value.strip()
        checks = [Check(name="health", path=args.health, status=(200,), expect=parse_expect(args.expect))]
        checks += [parse_smoke(item, i) for i, item in enumerate(args.smoke)]
        for pattern in args.pattern:
            _compile(pattern)
        plan = Plan(services=(Service(
            name="service", url=check_url(args.url, "--url"), health=args.health, checks=tuple(checks), headers=headers,
            logs_file=args.logs_file, logs_cmd=args.logs_cmd, patterns=(*DEFAULT_PATTERNS, *args.pattern)),))
    else:
        raise InputError("give --url URL or --spec FILE", where="arguments")
    for name, value in (("--timeout", args.timeout), ("--attempts", args.attempts), ("--request-timeout", args.request_timeout)):
        if value is not None and value <= 0:
            raise InputError(f"must be greater than 0, got {value}", where=name)
    return replace(
        plan,
        timeout=args.timeout if args.timeout is not None else plan.timeout,
        attempts=args.attempts if args.attempts is not None else plan.attempts,
        request_timeout=args.request_timeout if args.request_timeout is not None else plan.request_timeout,
        strict=args.strict or plan.strict,
        on_fail=args.on_fail if args.on_fail is not None else plan.on_fail,
    )


def _compile(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InputError(f"{pattern!r} is not a regular expression: {exc}", where="--pattern") from None


if __name__ == "__main__":
    sys.exit(run_cli(main, prog=PROG))
