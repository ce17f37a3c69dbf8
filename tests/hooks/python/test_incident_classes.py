"""The four incident classes, each decided as CPython decides it: a case that must be flagged and
its fixed twin, both checked against a real interpreter importing (or running) the test image
materialised as a directory tree."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.hooks.python.builders import check, make_image, write_tree
from tests.hooks.python.test_real_interpreter import importable, materialise

COPY_ALL = [(".", "/app/")]


@dataclass(frozen=True)
class Incident:
    id: str
    files: dict[str, str]
    cmd: str
    expected: tuple[str, str, str] | None  # (code, severity, message fragment); None: the fixed twin
    probe: tuple[str, ...]  # modules the entry imports, or ("script", path) to run a file
    workdir: str = "/app"
    env: dict[str, str] = field(default_factory=lambda: {"PYTHONPATH": "/app"})
    copies: list[tuple[str, str]] = field(default_factory=lambda: list(COPY_ALL))


SHADOW = {"common/__init__.py": "", "common/clients.py": "pool = 1\n", "svc/app.py": "from common.clients import pool\n"}
NOT_PACKAGE = {"api/__init__.py": "", "api/loader.py": "X = 1\n", "svc/app.py": "from api.loader import X\n"}
RELATIVE = {"web/__init__.py": "", "web/views.py": "bp = 1\n", "web/server.py": "from .views import bp\napp = bp\n"}
GUARDED = {"svc/__init__.py": "", "svc/extra.py": "x = 1\n",
           "svc/app.py": "def handle():\n    try:\n        from svc.extra import x\n    except Exception:\n        x = None\n    return x\n"}

INCIDENTS = [
    Incident("shadowing: the service's own package hides the root one",
             {**SHADOW, "svc/common/__init__.py": "LOCAL = 1\n"}, "gunicorn app:app",
             ("PG107", "error", "/app/svc/common (first on sys.path) hides /app/common"), ("common.clients",), workdir="/app/svc"),
    Incident("shadowing fixed: the local package renamed", {**SHADOW, "svc/svc_common/__init__.py": "LOCAL = 1\n"},
             "gunicorn app:app", None, ("common.clients",), workdir="/app/svc"),
    Incident("module, not package: a flat module of the same name first on sys.path",
             {**NOT_PACKAGE, "svc/api.py": "ROUTES = []\n"}, "gunicorn app:app",
             ("PG107", "error", "'api' is not a package in the image: /app/svc/api.py is a module"), ("api.loader",), workdir="/app/svc"),
    Incident("module, not package fixed: no flat module", {**NOT_PACKAGE, "svc/routes.py": "ROUTES = []\n"}, "gunicorn app:app",
             None, ("api.loader",), workdir="/app/svc"),
    Incident("relative import in a file run as a script", RELATIVE, "python web/server.py",
             ("PG107", "error", "attempted relative import with no known parent package"), ("script", "/app/web/server.py")),
    Incident("relative import in a file run as a module of its package", RELATIVE, "python -m web.server", None, ("web.server",)),
    Incident("relative import in a top-level module (gunicorn from the file's own directory)", RELATIVE, "gunicorn server:app",
             ("PG107", "error", "is a top-level module"), ("server",), workdir="/app/web"),
    Incident("relative import under gunicorn from the package's parent", RELATIVE, "gunicorn web.server:app", None, ("web.server",)),
    Incident("guarded first-party import, not copied", GUARDED, "python -m svc.app",
             ("PG101", "error", "guarded by try/except"), ("svc.extra",),
             copies=[("svc/__init__.py", "/app/svc/"), ("svc/app.py", "/app/svc/")]),
    Incident("guarded first-party import, copied", GUARDED, "python -m svc.app", None, ("svc.extra",)),
]


def run_script(tree: Path, script: str) -> str:
    completed = subprocess.run([sys.executable, "-I", str(tree / script.lstrip("/"))], capture_output=True, text=True,
                               timeout=60, cwd=tree)
    return "ok" if completed.returncode == 0 else completed.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("case", INCIDENTS, ids=[c.id for c in INCIDENTS])
def test_incident_class_matches_the_interpreter(tmp_path: Path, case: Incident) -> None:
    context = write_tree(tmp_path / "repo", case.files)
    image = make_image(context, case.copies, workdir=case.workdir, env=case.env, cmd=case.cmd)
    result = check(image, root=context, service="svc")
    tree = tmp_path / "image"
    materialise(image, tree)
    if case.probe[0] == "script":
        outcome = run_script(tree, case.probe[1])
    else:
        outcome = importable(tree, result.entry.sys_path, [case.probe[0]])[case.probe[0]]
    if case.expected is None:
        assert result.findings == (), result.findings
        assert outcome == "ok", outcome
        return
    code, severity, fragment = case.expected
    [finding] = [f for f in result.findings if f.code == code]
    assert finding.severity == severity and fragment in finding.message, finding.message
    assert outcome != "ok", "the interpreter imports it: the finding would be a false alarm"


def test_the_failing_import_line_is_the_one_reported(tmp_path: Path) -> None:
    files = {**RELATIVE, "web/server.py": "import os\n\ndef make():\n    from .views import bp\n    return bp\n"}
    context = write_tree(tmp_path, files)
    image = make_image(context, COPY_ALL, cmd="python web/server.py")
    [finding] = check(image, root=context, service="svc").findings
    assert (finding.file, finding.line, finding.code) == ("web/server.py", 4, "PG107")


def test_an_empty_init_left_out_is_not_an_error_but_one_with_code_is(tmp_path: Path) -> None:
    files = {"app/main.py": "from lib import VALUE\nimport lib.util\n", "lib/util.py": "u = 1\n"}
    copies = [("app/", "./app/"), ("lib/util.py", "./lib/util.py")]
    empty = write_tree(tmp_path / "empty", {**files, "app/main.py": "import lib.util\n", "lib/__init__.py": "# a package\n"})
    image = make_image(empty, copies, cmd="python -m app.main")
    assert check(image, root=empty, service="svc").findings == ()
    tree = tmp_path / "empty-image"
    materialise(image, tree)
    assert importable(tree, ("/app",), ["lib.util"]) == {"lib.util": "ok"}  # a namespace package: fine

    code = write_tree(tmp_path / "code", {**files, "lib/__init__.py": "VALUE = 1\n"})
    image = make_image(code, copies, cmd="python -m app.main")
    [finding] = check(image, root=code, service="svc").findings
    assert (finding.code, finding.severity, finding.module) == ("PG101", "error", "lib")
    tree = tmp_path / "code-image"
    materialise(image, tree)
    probe = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path[:0] = ['.']; from lib import VALUE"],
                           cwd=tree / "app", capture_output=True, text=True, timeout=60)
    assert "ImportError" in probe.stderr  # the name the __init__ defines is missing in the image
