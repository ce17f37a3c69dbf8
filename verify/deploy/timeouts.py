"""Per-request timeouts that follow the service's observed latency.

Until `min_samples` responses have been timed the configured timeout applies; after that the
timeout is the 95th percentile of recent latencies × 1.5, kept within [floor, ceiling] — a
slow service is not cut off by a guess, and a hanging one is not waited on for the full default.
"""
from __future__ import annotations

import statistics
import threading
from collections import deque


class AdaptiveTimeout:
    def __init__(self, initial: float, *, floor: float = 0.25, ceiling: float = 30.0, min_samples: int = 5, factor: float = 1.5) -> None:
        self.initial = initial
        self.floor = floor
        self.ceiling = max(ceiling, floor)
        self.min_samples = min_samples
        self.factor = factor
        self._samples: deque[float] = deque(maxlen=100)
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        with self._lock:
            self._samples.append(seconds)

    def current(self) -> float:
        with self._lock:
            samples = list(self._samples)
        if len(samples) < self.min_samples:
            return self.initial
        p95 = statistics.quantiles(samples, n=20, method="inclusive")[18]
        return min(self.ceiling, max(self.floor, p95 * self.factor))
