"""Detection for the drift monitor: a system's daily graded counts -> a Verdict with evidence.

    from predguard.monitors.detection import DetectionConfig, evaluate
    verdict = evaluate("model-a", history, as_of=date(2026, 3, 1))

wilson     Wilson score intervals
cusum      variation-scaled Bernoulli CUSUM and its threshold from a false-alarm budget
reference  per-day reference statistics (baseline, dispersion phi, volume)
core       the whole daily path on arrays (breach, drift warning, hysteresis)
rules      the team's consecutive-weeks rule
evaluate   the public entry point building the Verdict
"""
from __future__ import annotations

from predguard.monitors.detection.config import DetectionConfig
from predguard.monitors.detection.evaluate import evaluate

__all__ = ["DetectionConfig", "evaluate"]
