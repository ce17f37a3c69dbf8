"""The service's log lines written since the verification started, matched to error patterns.

From a file (the bytes appended after the start: its size is noted first) or a command's output
(`gcloud logging read ... --freshness`, `kubectl logs --since-time {since}`): `{since}` in the
command becomes the start time (RFC 3339, UTC), and lines that begin with an older ISO-8601
timestamp are dropped. A log source that cannot be read is inconclusive, never a pass.
"""
from __future__ import annotations

import datetime as dt
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from predguard.redact import redact
from predguard.verify.deploy.outcome import FAIL, INCONCLUSIVE, PASS, Outcome

MAX_LINES = 20
_STAMP = re.compile(r"^\W{0,2}(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")


@dataclass
class LogSource:
    file: Path | None = None
    command: str | None = None
    timeout: float = 60.0
    _offset: int = 0
    _since: dt.datetime | None = None

    def start(self) -> None:
        """Note where "since the start" begins (call before the first probe)."""
        self._since = dt.datetime.now(dt.timezone.utc)
        if self.file is not None:
            try:
                self._offset = self.file.stat().st_size
            except OSError:
                self._offset = 0  # not there yet: everything it will hold is new

    def read(self) -> list[str]:
        """New lines; OSError / RuntimeError (with a reason) when the source cannot be read."""
        if self.file is not None:
            with open(self.file, "rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(self._offset if size >= self._offset else 0)  # truncated or rotated: read it all
                return handle.read().decode("utf-8", "replace").splitlines()
        assert self.command is not None
        since = (self._since or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds").replace("+00:00", "Z")
        argv = shlex.split(self.command.replace("{since}", since))
        try:
            done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=self.timeout)
        except FileNotFoundError:
            raise RuntimeError(f"command not found: {argv[0]}") from None
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"the log command did not finish within {self.timeout:.0f} s") from None
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"the log command exited {done.returncode}: {tail}")
        return [line for line in done.stdout.splitlines() if not self._older(line)]

    def _older(self, line: str) -> bool:
        match = _STAMP.match(line)
        if not match or self._since is None:
            return False
        try:
            stamp = dt.datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        except ValueError:
            return False
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.timezone.utc)
        return stamp < self._since.replace(microsecond=0)

    def describe(self) -> str:
        return str(self.file) if self.file is not None else redact(self.command or "")


def scan(service: str, source: LogSource, patterns: Sequence[str]) -> Outcome:
    name = "logs"
    try:
        lines = source.read()
    except (OSError, RuntimeError) as exc:
        reason = redact(str(exc) if isinstance(exc, RuntimeError) else f"cannot read {source.describe()}: {exc.strerror or exc}")
        return Outcome(service, name, INCONCLUSIVE, f"logs could not be read: {reason}", evidence={"source": source.describe()})
    compiled = [re.compile(p) for p in patterns]
    hits = [redact(line) for line in lines if any(p.search(line) for p in compiled)]
    evidence = {"source": source.describe(), "lines_scanned": len(lines)}
    if hits:
        evidence["matches"] = hits[:MAX_LINES]
        return Outcome(service, name, FAIL, f"{len(hits)} log line(s) since the start match an error pattern: {hits[0][:160]}", evidence=evidence)
    return Outcome(service, name, PASS, f"{len(lines)} new line(s), none matching an error pattern", evidence=evidence)
