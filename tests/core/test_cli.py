"""The `predguard` dispatcher: usage, unknown commands and the exit-2 convention."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from predguard import cli
from predguard.errors import InputError, run_cli

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "predguard.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=60)


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for name in cli.COMMANDS:
        assert name in result.stdout


def test_no_command_is_a_usage_error():
    assert run().returncode == 2


def test_unknown_command_is_one_line_exit_2():
    result = run("check-dockerfile")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown command 'check-dockerfile'" in result.stderr


def test_every_command_module_exposes_main():
    import importlib

    for name, (module, _) in cli.COMMANDS.items():
        assert callable(importlib.import_module(module).main), name


def test_run_cli_turns_input_error_into_exit_2(capsys):
    def main(argv):
        raise InputError("expected YYYY-MM-DD, got '2026-13-01'", where="--as-of")

    assert run_cli(main, [], prog="predguard drift") == 2
    assert capsys.readouterr().err == "predguard drift: error: --as-of: expected YYYY-MM-DD, got '2026-13-01'\n"


def test_a_reader_that_goes_away_is_not_a_traceback():
    # `predguard ... | head -1`: the pipe closes while the command still writes.
    script = (
        "import sys; from predguard.errors import run_cli\n"
        "def main(argv):\n"
        "    for i in range(100000):\n"
        "        print('line', i)\n"
        "    return 0\n"
        "sys.exit(run_cli(main, []))\n"
    )
    reader = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout.readline() == b"line 0\n"
    reader.stdout.close()
    assert reader.wait(timeout=60) == 1
    assert b"Traceback" not in reader.stderr.read()


def test_help_into_a_closed_pipe_is_not_a_traceback():
    # `predguard --help | head -1`: the reader may be gone before the usage is written.
    for _ in range(10):
        proc = subprocess.Popen([sys.executable, "-m", "predguard.cli", "--help"], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()
        stderr = proc.stderr.read()
        proc.wait(timeout=60)
        proc.stderr.close()
        assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr, stderr.decode()
