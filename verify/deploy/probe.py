"""One HTTP check against a service: send, time, and judge the answer."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

import httpx

from predguard.redact import redact
from predguard.verify.deploy.outcome import ERROR, FAIL, PASS, Outcome
from predguard.verify.deploy.spec import Check
from predguard.verify.deploy.timeouts import AdaptiveTimeout

BODY_EXCERPT = 300
_MISSING = object()


def endpoint(base_url: str, path: str) -> str:
    """`path` under the base URL's own path, keeping the base's query (a tag or key some gateways want)."""
    url = httpx.URL(base_url)
    own_path, _, own_query = path.partition("?")
    query = "&".join(q for q in (own_query, url.query.decode("ascii")) if q)
    raw = url.raw_path.split(b"?")[0].rstrip(b"/") + own_path.encode() + (b"?" + query.encode() if query else b"")
    return str(url.copy_with(raw_path=raw))


def run_check(client: httpx.Client, service: str, base_url: str, check: Check, timeouts: AdaptiveTimeout) -> Outcome:
    timeout = check.timeout if check.timeout is not None else timeouts.current()
    started = time.perf_counter()
    try:
        response = client.request(check.method, endpoint(base_url, check.path), json=check.body, timeout=timeout)
    except httpx.TimeoutException:
        return Outcome(service, check.name, FAIL, f"no answer within {timeout:.2f} s (timeout)",
                       latency_ms=(time.perf_counter() - started) * 1000, evidence={"timeout_s": round(timeout, 3)})
    except httpx.TransportError as exc:  # refused, reset, DNS: the service is not answering
        return Outcome(service, check.name, FAIL, f"cannot reach the service: {redact(_describe(exc))}",
                       evidence={"error": redact(_describe(exc))})
    except (httpx.HTTPError, ValueError) as exc:  # the probe itself broke (a malformed answer, a bad URL)
        return Outcome(service, check.name, ERROR, f"the probe failed: {redact(_describe(exc))}", evidence={"error": redact(_describe(exc))})
    seconds = time.perf_counter() - started
    timeouts.observe(seconds)
    return judge(service, check, response, seconds * 1000)


def judge(service: str, check: Check, response: httpx.Response, latency_ms: float) -> Outcome:
    text = response.text
    evidence: dict[str, Any] = {"status": response.status_code, "body": redact(text[:BODY_EXCERPT])}

    def fail(reason: str) -> Outcome:
        return Outcome(service, check.name, FAIL, reason, latency_ms=latency_ms, evidence=evidence)

    expected = check.status
    if expected and response.status_code not in expected:
        return fail(f"status {response.status_code}, expected {' or '.join(map(str, expected))}")
    if not expected and not 200 <= response.status_code < 300:
        return fail(f"status {response.status_code}, expected 2xx")
    if check.expect:
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            return fail("the body is not JSON, so its expectations cannot hold")
        for key, wanted in check.expect.items():
            got = dotted(document, key)
            if got is _MISSING:
                return fail(f"no {key!r} in the JSON body (no data is a failure)")
            if got != wanted:
                return fail(f"{key} is {json.dumps(got)}, expected {json.dumps(wanted)}")
    if check.body_pattern and not re.search(check.body_pattern, text):
        return fail(f"the body does not match {check.body_pattern!r}")
    if check.max_latency_ms is not None and latency_ms > check.max_latency_ms:
        return fail(f"answered in {latency_ms:.0f} ms, over the {check.max_latency_ms:.0f} ms limit")
    return Outcome(service, check.name, PASS, f"status {response.status_code} in {latency_ms:.0f} ms", latency_ms=latency_ms, evidence=evidence)


def dotted(document: Any, key: str) -> Any:
    """`a.b.0.c` in nested objects and arrays; _MISSING when any step is absent."""
    value = document
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
