"""The embedded default: the alert on the terminal, the chart as a PNG file."""
from __future__ import annotations

import io
from pathlib import Path

from predguard.monitors.alerting import TerminalNotifier, build_notifier
from predguard.monitors.chart import notification_chart
from tests.support.alert_samples import sample_notification


def test_breach_is_rendered_readably_and_the_chart_written(tmp_path: Path) -> None:
    out = io.StringIO()
    chart_dir = tmp_path / "charts"
    n = sample_notification("breach")

    delivery = build_notifier({}, out=out, chart_dir=chart_dir, environ={}).send(n)

    assert (delivery.ok, delivery.ts, delivery.warning) == (True, None, None)
    chart = chart_dir / "breach_catboost-v3-breach-2026-02-01.png"
    assert chart.read_bytes() == notification_chart(n)
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0] == "[BREACH] catboost-v3: hit rate below 55.0%"
    assert "Current hit rate" in text and "48.0% (336 of 700 graded, Wilson interval 44.3%–51.7%)" in text
    assert "breach since 2026-01-20 (12 days)" in text
    assert "CUSUM 6.40 (threshold 4.80)" in text
    assert "69.0% (week of 2025-12-15) → 48.0% (week of 2026-01-26)" in text
    assert "What to do" in text
    assert "`predguard drift backtest --from 2025-12-23 --to 2026-02-01`" in " ".join(text.split())
    assert f"  Chart             {chart}\n" in text
    assert "note: week of 2025-12-08: 21 graded predictions, too few to judge" in text
    assert all(len(line) <= 100 for line in lines if str(chart) not in line), "wrapped for a terminal"
    assert ":rotating_light:" not in text  # Slack emoji codes stay in Slack


def test_resolved_and_reminder_are_labelled(tmp_path: Path) -> None:
    out = io.StringIO()
    notifier = TerminalNotifier(out=out, chart_dir=tmp_path)
    notifier.send(sample_notification("resolved"))
    notifier.send(sample_notification("reminder"))
    blocks = out.getvalue().split("\n\n")
    assert blocks[0].startswith("[RESOLVED] Resolved: catboost-v3 hit rate recovered above the 55.0% floor (now 48.0%)")
    assert "Nothing to do: a sequential test confirmed the recovery" in blocks[0]
    assert blocks[1].startswith("[REMINDER] Still firing: catboost-v3")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "breach_catboost-v3-reminder-2026-02-01.png",
        "breach_catboost-v3-resolved-2026-02-01.png",
    ]


def test_a_drift_warning_names_the_baseline(tmp_path: Path) -> None:
    out = io.StringIO()
    TerminalNotifier(out=out, chart_dir=tmp_path).send(sample_notification("drift_warning", rule="drift_warning"))
    text = out.getvalue()
    assert text.startswith("[DRIFT WARNING] catboost-v3: hit rate dropping from its baseline 69.2%")
    assert "drop statistic 7.90 (threshold 5.00)" in text
    assert "It is not below the floor yet" in " ".join(text.split())


def test_an_unwritable_chart_dir_still_prints_the_alert(tmp_path: Path) -> None:
    blocker = tmp_path / "charts"
    blocker.write_text("a file where the directory should be")
    out = io.StringIO()

    delivery = TerminalNotifier(out=out, chart_dir=blocker).send(sample_notification())

    assert delivery.ok and delivery.warning is not None and "chart not written" in delivery.warning
    assert "[BREACH] catboost-v3" in out.getvalue() and "chart not written" in out.getvalue()


def test_system_ids_with_path_characters_make_safe_file_names(tmp_path: Path) -> None:
    TerminalNotifier(out=io.StringIO(), chart_dir=tmp_path).send(sample_notification(system_id="../team a/model:v2"))
    (written,) = tmp_path.iterdir()
    assert written.parent == tmp_path
    assert written.name == "breach_.._team_a_model_v2-breach-2026-02-01.png"
