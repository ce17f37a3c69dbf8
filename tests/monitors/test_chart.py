"""The alert chart: a real PNG from matplotlib (Agg), identical bytes for the same verdict."""
from __future__ import annotations

import dataclasses
import datetime as dt
import struct
import subprocess
import sys
from pathlib import Path

from predguard.monitors.chart import default_markers, notification_chart, render_chart
from predguard.monitors.model import Interval, PeriodRate
from tests.support.alert_samples import sample_notification, sample_verdict

REPO = Path(__file__).resolve().parents[2]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_chart_is_a_png_of_the_expected_size() -> None:
    assert png_size(render_chart(sample_verdict())) == (900, 460)


def test_same_verdict_gives_identical_bytes_even_in_another_process() -> None:
    here = render_chart(sample_verdict(), [(dt.date(2026, 1, 20), "breach")])
    code = (
        "import sys, datetime as dt; from predguard.monitors.chart import render_chart; "
        "from tests.support.alert_samples import sample_verdict; "
        "sys.stdout.buffer.write(render_chart(sample_verdict(), [(dt.date(2026, 1, 20), 'breach')]))"
    )
    there = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, check=True, timeout=60).stdout
    assert here == there


def test_markers_and_data_change_the_picture() -> None:
    plain = render_chart(sample_verdict())
    assert render_chart(sample_verdict(), [(dt.date(2026, 1, 20), "breach")]) != plain
    assert render_chart(sample_verdict(system_id="other-model")) != plain


def test_default_markers_follow_the_notification() -> None:
    breach = sample_notification("breach")
    assert default_markers(breach) == [(dt.date(2026, 1, 20), "breach")]
    assert default_markers(sample_notification("resolved")) == [(dt.date(2026, 2, 1), "resolved")]
    assert notification_chart(breach) == render_chart(breach.verdict, [(dt.date(2026, 1, 20), "breach")])


def test_a_given_chart_is_used_as_is() -> None:
    n = sample_notification(chart_png=b"\x89PNG given")
    assert notification_chart(n) == b"\x89PNG given"


def test_a_verdict_without_graded_predictions_still_draws() -> None:
    empty = Interval(rate=None, low=None, high=None, n=0, hits=0, sufficient=False)
    verdict = dataclasses.replace(
        sample_verdict(),
        baseline_rate=None,
        current=empty,
        daily=tuple(PeriodRate(dt.date(2026, 1, d), empty) for d in range(1, 8)),
        weekly=(PeriodRate(dt.date(2026, 1, 4), empty),),
    )
    assert png_size(render_chart(verdict)) == (900, 460)
