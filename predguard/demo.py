"""`predguard demo`: the suite on the bundled example platform, with the embedded defaults.

Each step is the real command a user would type, run as a subprocess, with its output shown;
the demo then says whether each behaved as it should. Nothing needs a cloud account: the
warehouse is the bundled CSV read by DuckDB, Slack is the terminal plus a PNG chart.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from predguard.arguments import ArgumentParser
from predguard.errors import InputError

REPO = Path(__file__).resolve().parents[1]
PLATFORM = REPO / "examples" / "prediction-platform"
INCIDENT = REPO / "examples" / "incidents" / "missing-worker-copy"
# The bundled graded predictions replay the drift incident: the fall below 55% starts late in
# December 2025; the model is retrained in February 2026.
DRIFT_FROM, DRIFT_TO, DRIFT_AS_OF = "2025-11-01", "2026-02-21", "2026-01-04"


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]
    cwd: Path
    expected_exit: int
    why: str


def _predguard(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "predguard.cli", *args)


def steps(workdir: Path) -> list[Step]:
    incident = workdir / "incident-platform"
    graded = str(PLATFORM / "data" / "graded_predictions.csv")
    config = str(PLATFORM / "pyproject.toml")  # never the user's own [tool.predguard] settings
    return [
        Step("commit time: the incident commit (coordinator Dockerfile without COPY predictions/worker/)",
             _predguard("check-dockerfiles", "--no-cache", "--root", str(incident)), workdir, 1,
             "blocked with PG101 for predictions.worker.data_loaders, an error although the deferred import "
             "is guarded by `except Exception` (it would only have logged a warning)"),
        Step("commit time: the fixed commit",
             _predguard("check-dockerfiles", "--no-cache", "--root", str(PLATFORM)), workdir, 0,
             "every module each service imports is copied"),
        Step("run time: phase-3 processors on the same day, before the games",
             (sys.executable, "-c",
              "import sys; from pathlib import Path; from data_processors.analytics.main import demo; "
              "sys.exit(demo(workdir=Path(sys.argv[1])))", str(workdir / "processors")),
             PLATFORM, 0, "no data yet is an expected skip; the phase reads complete"),
        Step("every day: replay the drift monitor over the bundled season",
             _predguard("drift", "backtest", "--source", graded, "--from", DRIFT_FROM, "--to", DRIFT_TO,
                        "--config", config),
             workdir, 0, "the breach is caught within days of the fall below 55%, and resolves after retraining"),
        Step(f"every day: the daily drift job on {DRIFT_AS_OF} (no Slack configured: terminal + PNG chart)",
             _predguard("drift", "--source", graded, "--as-of", DRIFT_AS_OF, "--state", str(workdir / "drift-state.sqlite"),
                        "--config", config),
             workdir, 0, "one alert, rendered as it would be posted"),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="predguard demo", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where to put the demo's files (default: a new temporary directory)")
    args = parser.parse_args(argv)
    if not PLATFORM.is_dir():
        raise InputError("the bundled example platform is not here; run the demo from a clone of predguard", where=str(PLATFORM))
    workdir = _prepare_workdir(args.workdir)
    env = isolated_environment()
    results: list[tuple[Step, int]] = []
    for number, step in enumerate(steps(workdir), 1):
        print(f"\n=== {number}. {step.title}", flush=True)
        shown = " ".join(a if " " not in a else repr(a) for a in step.argv[1:]).replace(str(workdir), "$DEMO").replace(str(REPO), "$REPO")
        print(f"$ python {shown}", flush=True)
        code = subprocess.run(step.argv, cwd=step.cwd, env=env, stdin=subprocess.DEVNULL).returncode
        results.append((step, code))

    print("\n=== summary")
    for step, code in results:
        ok = code == step.expected_exit
        print(f"  [{'ok' if ok else 'UNEXPECTED'}] exit {code} (expected {step.expected_exit}): {step.why}")
    print(f"\nfiles (charts, state, run markers) are in {workdir}")
    return 0 if all(code == step.expected_exit for step, code in results) else 1


def _prepare_workdir(requested: Path | None) -> Path:
    """The demo's directory with a fresh copy of the incident platform in it."""
    workdir = (requested or Path(tempfile.mkdtemp(prefix="predguard-demo-"))).resolve()
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        incident = workdir / "incident-platform"
        shutil.rmtree(incident, ignore_errors=True)
        shutil.copytree(PLATFORM, incident)
        shutil.copytree(INCIDENT, incident, dirs_exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError("not a directory (or under a file); give a directory for the demo's files",
                         where=f"--workdir {requested}") from None
    except OSError as exc:
        raise InputError(f"cannot write the demo's files there ({exc.strerror or exc})",
                         where=f"--workdir {requested}") from None
    return workdir


# What the demo's commands may see of the user's environment: nothing that configures predguard
# (a real SLACK_WEBHOOK_URL would post the demo alert to a real channel).
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TERM", "NO_COLOR", "VIRTUAL_ENV", "SYSTEMROOT")


def isolated_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env["PYTHONPATH"] = str(PLATFORM)  # the example's services import their own packages
    return env


if __name__ == "__main__":
    from predguard.errors import run_cli

    sys.exit(run_cli(main))
