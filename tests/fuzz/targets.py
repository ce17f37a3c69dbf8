"""Fuzz targets: generated inputs driven through predguard's user-facing boundaries.

Each target writes one generated input where a user's would be (a Dockerfile, a Python module,
a .dockerignore, a pyproject.toml, a drift CSV/Parquet file, a Pub/Sub push body) and runs the
real entry point in this process: `predguard.cli.main` for the commands, the example
platform's WSGI app for pushes. The properties, checked by `check`:

- no exception escapes the boundary, and every run ends within TIME_BOUND seconds;
- a command exits 0, 1 or 2 only; exit 2 is one line on stderr, `predguard <cmd>: error: ...`;
- `--format json` output always parses (when the exit is 0 or 1);
- a push never answers 500 (Pub/Sub would redeliver a malformed message forever).

Used twice: tests/fuzz/test_fuzz.py runs a short profile in CI; benchmarks/fuzz.py runs the
long one and prints cases, crashes and hangs per target.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import string
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.hooks.python.builders import write_tree

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "examples" / "prediction-platform"
TIME_BOUND = 20.0  # seconds a single case may take before it counts as a hang

APP = "app/__init__.py", "app/util.py"
DOCKERFILE = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY app/ ./app/\nCMD ["python", "-m", "app.main"]\n'


class Hang(Exception):
    """A case ran past TIME_BOUND."""


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def time_bound(seconds: float = TIME_BOUND) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(argv: list[str], cwd: Path) -> Outcome:
    """`predguard ARGV` in this process: its exit code and what it wrote."""
    from predguard.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with time_bound(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(previous)
    return Outcome(code, out.getvalue(), err.getvalue())


def check(outcome: Outcome, command: str, *, json_output: bool) -> None:
    """The CLI contract every run must keep, whatever its input."""
    assert outcome.code in (0, 1, 2), outcome
    assert "Traceback" not in outcome.stderr, outcome.stderr
    if outcome.code == 2:
        lines = outcome.stderr.strip().splitlines()
        error_lines = [line for line in lines if line.startswith(f"predguard {command}: error: ")]
        assert len(error_lines) == 1, outcome.stderr
    elif json_output:
        json.loads(outcome.stdout)


def service_tree(root: Path, *, dockerfile: str | bytes = DOCKERFILE, main: str | bytes = "import app.util\n",
                 extra: dict[str, bytes | str] | None = None) -> Path:
    files: dict[str, bytes | str] = {"Dockerfile": dockerfile, "app/main.py": main, **{f: "" for f in APP}}
    return write_tree(root, {**files, **(extra or {})})


def check_dockerfiles(root: Path) -> None:
    check(run_cli(["check-dockerfiles", "--root", str(root), "--format", "json"], root), "check-dockerfiles",
          json_output=True)


# --- strategies -----------------------------------------------------------------------------

NAMES = st.sampled_from(["app", "app.util", "app/", "src", "lib", ".", "..", "/", "*", "app/*.py", "**", "a b",
                         "$HOME", "${APP:-app}", "${X:+y}", "${MISSING}", "\\$X", "[a-z]*", "?pp"])
FLAGS = st.sampled_from(["", "--from=builder ", "--from=python:3.11 ", "--chown=1:1 ", "--link ", "--parents ",
                         "--exclude=*.md ", "--chmod=755 ", "--from= ", "--bogus "])


def _instruction() -> st.SearchStrategy[str]:
    word = NAMES
    return st.one_of(
        st.builds(lambda i, n: f"FROM {i}{n}", st.sampled_from(["python:3.11-slim", "python:3.12", "scratch", "${BASE}",
                                                               "golang:1.22", "builder", ""]),
                  st.sampled_from(["", " AS builder", " as runtime", " AS"])),
        st.builds(lambda f, a, b: f"COPY {f}{a} {b}", FLAGS, word, word),
        st.builds(lambda f, a, b: f'COPY {f}["{a}", "{b}"]', FLAGS, word, word),
        st.builds(lambda a, b: f"ADD {a} {b}", st.sampled_from(["https://example.invalid/x.tar.gz", "x.tar", "app"]), word),
        st.builds(lambda w: f"WORKDIR {w}", word),
        st.builds(lambda k, v: f"ENV {k}={v}", st.sampled_from(["PYTHONPATH", "HOME", "APP", "X"]), word),
        st.builds(lambda k, v: f"ARG {k}={v}", st.sampled_from(["APP", "BASE", "X"]), word),
        st.builds(lambda c: f"CMD {c}", st.sampled_from(['["python", "-m", "app.main"]', "python app/main.py",
                                                         "gunicorn app.main:app", "./start.sh", '["python"', "",
                                                         "exec uvicorn --app-dir src app.main:app"])),
        st.builds(lambda c: f"ENTRYPOINT {c}", st.sampled_from(['["python"]', "sh -c 'python -m app.main'", "[]"])),
        st.builds(lambda c: f"RUN {c}", st.sampled_from(["pip install -r requirements.txt", "pip install .",
                                                         "<<EOF\necho hi\nEOF", "<<-EOT\n\tpip install x\n\tEOT",
                                                         "echo \\\n  continued", "python -c 'import app'"])),
        st.sampled_from(["# syntax=docker/dockerfile:1", "# escape=`", "# a comment", "", "\\", "ONBUILD COPY . /x",
                         "COPY <<EOF /app/gen.py\nimport app.util\nEOF", "HEALTHCHECK CMD python -c 1", "USER 1000"]),
    )


@st.composite
def dockerfiles(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_instruction(), min_size=0, max_size=14))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\\\n", "\r\n"]))
    data = text.encode("utf-8")
    if draw(st.booleans()):  # mutate: insert, delete or replace bytes at random places
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(max_size=6)) + data[at + draw(st.integers(0, 3)):]
    if draw(st.integers(0, 19)) == 0:  # now and then, one huge line
        data += b"RUN echo " + b"x" * draw(st.integers(10_000, 300_000)) + b"\n"
    return data


IMPORTS = st.sampled_from([
    "import app.util", "from app import util", "from app.util import X", "from . import util", "from .util import X",
    "from .. import x", "import missing_mod", "from missing.pkg import y", "import app.util as u, os",
    "from app import (util,\n    main)", "import importlib; importlib.import_module('app.util')", "__import__('app.x')",
    "from app import *", "import os, sys, json", "from __future__ import annotations",
])
WRAPPERS = st.sampled_from([
    "{i}", "def f():\n    {i}", "class C:\n    def m(self):\n        {i}", "try:\n    {i}\nexcept ImportError:\n    pass",
    "try:\n    {i}\nexcept Exception:\n    log = 1", "if TYPE_CHECKING:\n    {i}", "if sys.version_info < (3, 8):\n    {i}",
    "async def g():\n    {i}", "with ctx():\n    {i}", "lambda: ({i})", "x = [{i} for _ in y]",
])


@st.composite
def python_sources(draw: st.DrawFn) -> bytes:
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        imp = draw(IMPORTS)
        parts.append(draw(WRAPPERS).format(i=imp.replace("\n", "\n    ")))
    data = "\n".join(parts).encode("utf-8") + b"\n"
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n", b"\x00"])) + data
    return data


PATTERN_ALPHABET = string.ascii_lowercase[:4] + "*?[]!/.\\-^ #"


@st.composite
def dockerignores(draw: st.DrawFn) -> str:
    atoms = st.one_of(st.text(PATTERN_ALPHABET, max_size=12),
                      st.sampled_from(["app", "app/", "!app/util.py", "**/*.py", "*", "**", "!**", ".", "..", "/app",
                                       "app/**/x", "[a-", "\\", "# comment", "!", "!!app", "a\\*b"]))
    return "\n".join(draw(st.lists(atoms, max_size=10))) + "\n"


TOML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False, width=32),
              st.text(string.printable, max_size=12), st.sampled_from([".", "app", "nowhere", "/", "bigquery://p/d"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "x"]), children, max_size=3)),
    max_leaves=6,
)
CONFIG_KEYS = st.sampled_from(["context", "exclude", "first_party", "build_args", "build_arg", "services", "entrypoints",
                               "phases", "drift", "floor", "state", "slack", "source", "table", "fail_on", "unknown"])


def _toml_value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"


@st.composite
def pyprojects(draw: st.DrawFn) -> str:
    sections = []
    for table in draw(st.lists(st.sampled_from(["tool.predguard", "tool.predguard.drift", "tool.predguard.phases",
                                                "tool.predguard.drift.slack", "tool"]), max_size=3, unique=True)):
        body = draw(st.dictionaries(CONFIG_KEYS, TOML_VALUES, max_size=4))
        sections.append(f"[{table}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in body.items()))
    text = "\n".join(sections)
    if draw(st.integers(0, 9)) == 0:
        text += draw(st.sampled_from(["[tool.predguard\n", "x = \n", "= 1\n", "[[tool.predguard]]\n"]))
    return text


DRIFT_CELLS = {
    "game_date": st.sampled_from(["2026-01-01", "2025-12-31", "2026-01-04", "", "NULL", "0001-01-01", "9999-12-31",
                                  "2026-13-01", "yesterday", "2026-01-02T10:00:00"]),
    "system_id": st.sampled_from(["catboost_v8", "m2", "", "NULL", "a,b", "ü", "x" * 200]),
    "is_correct": st.sampled_from(["true", "false", "1", "0", "", "NULL", "null", "maybe", "2", "TRUE", "0.5"]),
}


@st.composite
def drift_csvs(draw: st.DrawFn) -> str:
    columns = draw(st.lists(st.sampled_from([*DRIFT_CELLS, "extra", "is correct"]), min_size=0, max_size=4, unique=True))
    rows = []
    for _ in range(draw(st.integers(0, 60))):
        rows.append(",".join(draw(DRIFT_CELLS.get(c, st.text(string.ascii_letters, max_size=4))) for c in columns))
    text = ",".join(columns) + "\n" + "\n".join(rows) + ("\n" if rows else "")
    if draw(st.integers(0, 9)) == 0:
        text += draw(st.sampled_from(['"unterminated\n', "a,b,c,d,e,f\n", "\x00\n"]))
    return text


@st.composite
def push_bodies(draw: st.DrawFn) -> bytes:
    data_field = st.one_of(
        st.builds(lambda d: __import__("base64").b64encode(json.dumps(d).encode()).decode(),
                  st.dictionaries(st.sampled_from(["processor", "target_date", "mode", "x"]),
                                  st.one_of(st.sampled_from(["player_game_summary", "2026-01-30", "2099-01-01",
                                                             "0001-01-01", "not-a-date", "post_game", ""]),
                                            st.integers(), st.none()), max_size=4)),
        st.text(max_size=20), st.integers(), st.none())
    message = st.fixed_dictionaries({}, optional={"data": data_field, "messageId": st.one_of(st.text(max_size=10), st.integers()),
                                                  "attributes": st.one_of(st.dictionaries(st.text(max_size=5), st.text(max_size=5)), st.text())})
    envelope = st.fixed_dictionaries({}, optional={"message": st.one_of(message, st.text(), st.none()),
                                                   "subscription": st.text(max_size=10)})
    body = json.dumps(draw(envelope)).encode()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.binary(max_size=10)) + body[at:]
    return body


# --- targets: one generated input -> the real entry point -> the contract ----------------------


def target_dockerfile(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_dockerfiles(service_tree(Path(tmp), dockerfile=data))


def target_python(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_dockerfiles(service_tree(Path(tmp), main=data))


def target_dockerignore(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_dockerfiles(service_tree(Path(tmp), extra={".dockerignore": text}))


def target_config(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = service_tree(Path(tmp), extra={"pyproject.toml": text, "graded.csv": "game_date,system_id,is_correct\n"})
        check_dockerfiles(root)
        drift = ["drift", "--source", str(root / "graded.csv"), "--as-of", "2026-01-04", "--dry-run", "--format", "json",
                 "--config", str(root / "pyproject.toml"), "--state", str(root / "state.sqlite")]
        check(run_cli(drift, root), "drift", json_output=True)


def target_drift_csv(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "graded.csv").write_text(text, encoding="utf-8")
        (root / "pyproject.toml").write_text("")
        for argv in (["drift", "--source", "graded.csv", "--as-of", "2026-01-04", "--dry-run", "--format", "json",
                      "--state", "state.sqlite"],
                     ["drift", "backtest", "--source", "graded.csv", "--from", "2025-12-20", "--to", "2026-01-04",
                      "--format", "json"]):
            check(run_cli(argv, root), "drift", json_output=True)


def target_drift_parquet(text: str) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "graded.csv").write_text(text, encoding="utf-8")
        try:
            table = pacsv.read_csv(root / "graded.csv")
        except Exception:  # noqa: BLE001 - not every generated CSV is a table; the CSV target covers those
            return
        pq.write_table(table, root / "graded.parquet")
        (root / "pyproject.toml").write_text("")
        argv = ["drift", "--source", "graded.parquet", "--as-of", "2026-01-04", "--dry-run", "--format", "json",
                "--state", "state.sqlite"]
        check(run_cli(argv, root), "drift", json_output=True)


_push_app: Any = None
_push_runtime = Path(tempfile.mkdtemp(prefix="predguard-fuzz-push-"))


@contextlib.contextmanager
def push_environment() -> Iterator[None]:
    """The example's settings for one request, restored afterwards (other tests share the process)."""
    settings = {"ANALYTICS_WAREHOUSE": str(_push_runtime / "warehouse.duckdb")}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def push_app() -> Any:
    """The example platform's real push app (its phase-3 processors), on a SQLite store in a temp dir."""
    global _push_app
    if _push_app is None:
        if str(PLATFORM) not in sys.path:
            sys.path.insert(0, str(PLATFORM))
        from data_processors.analytics.main import build_processors

        from predguard.processors.pubsub import push_app as make_push_app

        _push_app = make_push_app(build_processors(), store=f"sqlite:///{_push_runtime / 'runs.sqlite3'}",
                                  outbox=_push_runtime / "outbox.sqlite3")
    return _push_app


def target_push(body: bytes) -> None:
    from werkzeug.test import Client

    with time_bound(), push_environment():
        response = Client(push_app()).post("/", data=body, content_type="application/json")
        response.get_data()
    assert response.status_code != 500, (response.status_code, response.get_data()[:300])


TARGETS: dict[str, tuple[Callable[[Any], None], st.SearchStrategy[Any]]] = {
    "dockerfile": (target_dockerfile, dockerfiles()),
    "python source": (target_python, python_sources()),
    "dockerignore": (target_dockerignore, dockerignores()),
    "toml config": (target_config, pyprojects()),
    "drift csv": (target_drift_csv, drift_csvs()),
    "drift parquet": (target_drift_parquet, drift_csvs()),
    "pubsub push": (target_push, push_bodies()),
}
