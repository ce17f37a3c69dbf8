"""The contract every `predguard` subcommand keeps with its user, checked for all of them.

For each command (and `drift backtest`): `--help` works (also in a core-only install, the
pre-commit hook's environment, and under LANG=C); an unknown flag is exit 2 with one line,
`predguard <cmd>: error: ...`; no arguments never ends in a traceback; a reader that closes
the pipe early is not an error. In a core-only install, running a command that needs an extra
says which one to install, in one line.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from predguard import cli

REPO = Path(__file__).resolve().parents[1]
COMMANDS = [*cli.COMMANDS, "drift backtest"]
# `demo` with no arguments runs the whole demo: tests/core/test_demo.py covers that.
NO_ARGUMENT_RUNS = [c for c in COMMANDS if c != "demo"]

pytestmark = pytest.mark.slow


def predguard(command: str, *args: str, python: str = sys.executable, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-m", "predguard.cli", *command.split(), *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)


def assert_one_error_line(result: subprocess.CompletedProcess[str], command: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    prog = "predguard " + command.split()[0]
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command: str) -> None:
    result = predguard(command, "--help")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.startswith("usage: predguard " + command), result.stdout[:200]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_flag_is_one_line(command: str) -> None:
    line = assert_one_error_line(predguard(command, "--no-such-flag"), command)
    assert "--no-such-flag" in line or "required" in line, line  # argparse names missing arguments first


@pytest.mark.parametrize("command", NO_ARGUMENT_RUNS)
def test_no_arguments_never_ends_in_a_traceback(command: str, tmp_path: Path) -> None:
    result = predguard(command, cwd=tmp_path)  # an empty directory: nothing configured
    assert result.returncode in (0, 1, 2) and "Traceback" not in result.stderr, result.stderr
    if result.returncode == 2:
        assert_one_error_line(result, command)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_into_a_closed_pipe(command: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "predguard.cli", *command.split(), "--help"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 1) and "Traceback" not in stderr, stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_help_under_lang_c(command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG="C", LC_ALL="C", PYTHONUTF8="0", PYTHONIOENCODING="")
    result = predguard(command, "--help", env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


@pytest.fixture(scope="module")
def core_only_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An interpreter with predguard's wheel and its one core dependency, nothing else: the
    environment pre-commit builds for the hook (`pip install predguard`)."""
    tmp = tmp_path_factory.mktemp("core-only")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "wheel"), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (wheel,) = (tmp / "wheel").glob("predguard-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    deps = tmp / "core-deps"  # only dockerfile_parse from this test run's environment
    deps.mkdir()
    (deps / "dockerfile_parse").symlink_to(Path(sysconfig.get_path("purelib")) / "dockerfile_parse")
    (site / "core_deps.pth").write_text(f"{deps}\n")
    return str(python)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_works_in_a_core_only_install(command: str, core_only_python: str, tmp_path: Path) -> None:
    result = predguard(command, "--help", python=core_only_python, cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.startswith("usage: predguard " + command)


# Valid arguments for each command that needs an extra: in a core-only install it must answer
# with the extra to install, whatever it would have done with them.
NEEDS_AN_EXTRA = {
    "phase-status": ("--phase", "3", "--date", "2026-01-30", "--store", "bigquery://my-proj/ds"),  # a valid project id
    "drift": ("--source", "graded.csv", "--as-of", "2026-01-04"),
    "drift backtest": ("--source", "graded.csv", "--from", "2026-01-01", "--to", "2026-01-04"),
}


@pytest.mark.parametrize("command", list(NEEDS_AN_EXTRA))
def test_a_command_that_needs_an_extra_says_which(command: str, core_only_python: str, tmp_path: Path) -> None:
    (tmp_path / "graded.csv").write_text("game_date,system_id,is_correct\n2026-01-01,m,true\n")
    result = predguard(command, *NEEDS_AN_EXTRA[command], python=core_only_python, cwd=tmp_path)
    line = assert_one_error_line(result, command)
    extra = cli.EXTRA_OF_COMMAND[command.split()[0]]
    assert f"pip install 'predguard[{extra}]'" in line, line


def test_check_dockerfiles_works_in_a_core_only_install(core_only_python: str, tmp_path: Path) -> None:
    # From another directory: the repository root on sys.path would shadow the installed package.
    result = predguard("check-dockerfiles", "--root", str(REPO / "examples" / "prediction-platform"),
                       python=core_only_python, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_says_what_it_does(command: str) -> None:
    lines = predguard(command, "--help").stdout.splitlines()
    undocumented = []
    for i, line in enumerate(lines):
        if not line.startswith("  -"):
            continue
        spec, _, help_ = line.strip().partition("  ")  # argparse puts the help after 2+ spaces...
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if not help_.strip() and not following.startswith(" " * 8):  # ...or on the next, deeper line
            undocumented.append(spec)
    assert undocumented == [], undocumented
