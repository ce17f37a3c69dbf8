"""predguard.hooks.python.check_image: the import closure of an image's entrypoints against what the image holds.

Table-driven: every import case has a variant that must be flagged and one that must not."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.hooks.python.builders import check, make_image, write_tree

LIB = {"lib/__init__.py": "", "lib/util.py": "X = 1\n"}
APP = {"app/__init__.py": ""}
COPY_APP = [("app/", "./app/")]
COPY_APP_LIB = [("app/", "./app/"), ("lib/", "./lib/")]


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes]
    copies: list[tuple[str, str]]
    expected: set[tuple[str, str | None, str]]  # (code, module, severity); empty = must not be flagged
    cmd: str | list[str] = "python -m app.main"
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/app"
    fix: str | None = None  # of the single expected finding
    line: int | None = None  # of the single expected finding
    chain: tuple[str, ...] | None = None
    opaque: tuple[str, ...] = ()


def main(source: str, **extra: str) -> dict[str, str | bytes]:
    return {**APP, **LIB, "app/main.py": source, **extra}


CASES = [
    # module-level
    Case("module-level missing", main("import lib.util\n"), COPY_APP, {("PG101", "lib.util", "error")},
         fix="COPY lib/ ./lib/", line=1, chain=("app.main", "lib.util")),
    Case("module-level copied", main("import lib.util\n"), COPY_APP_LIB, set()),
    # deferred (the incident's shape)
    Case("deferred missing", main("def handler():\n    from lib.util import X\n    return X\n"), COPY_APP,
         {("PG101", "lib.util", "error")}, line=2),
    Case("deferred copied", main("def handler():\n    from lib.util import X\n"), COPY_APP_LIB, set()),
    # class-level and conditional
    Case("class-level missing", main("class K:\n    import lib.util\n"), COPY_APP, {("PG101", "lib.util", "error")}, line=2),
    Case("conditional missing", main("import os\nif os.environ.get('X'):\n    import lib.util\n"), COPY_APP,
         {("PG101", "lib.util", "error")}, line=3),
    Case("conditional copied", main("import os\nif os.environ.get('X'):\n    import lib.util\n"), COPY_APP_LIB, set()),
    # TYPE_CHECKING
    Case("TYPE_CHECKING not flagged", main("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lib.util import X\n"),
         COPY_APP, set()),
    Case("TYPE_CHECKING else branch flagged", main("import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    import lib.util\n"),
         COPY_APP, {("PG101", "lib.util", "error")}, line=5),
    # optional
    Case("guarded first-party import is still an error", main("try:\n    import lib.util\nexcept ImportError:\n    util = None\n"),
         COPY_APP, {("PG101", "lib.util", "error")}),
    Case("guarded by except Exception, deferred (the incident): an error",
         main("def handle():\n    try:\n        from lib.util import X\n    except Exception:\n        X = None\n"), COPY_APP,
         {("PG101", "lib.util", "error")}, line=3),
    Case("guarded and unguarded: one error, at the first import",
         main("try:\n    import lib.util\nexcept ImportError:\n    pass\n\ndef f():\n    import lib.util\n"), COPY_APP,
         {("PG101", "lib.util", "error")}, line=2),
    Case("optional import copied", main("try:\n    import lib.util\nexcept ImportError:\n    pass\n"), COPY_APP_LIB, set()),
    # relative imports
    Case("relative missing", main("from .helpers import h\n", **{"app/helpers.py": "h = 1\n"}),
         [("app/__init__.py", "./app/"), ("app/main.py", "./app/")], {("PG101", "app.helpers", "error")},
         fix="COPY app/helpers.py ./app/helpers.py"),
    Case("relative copied", main("from .helpers import h\n", **{"app/helpers.py": "h = 1\n"}), COPY_APP, set()),
    Case("relative level 2 missing", {**APP, **LIB, "app/main.py": "import app.sub.mod\n", "app/sub/__init__.py": "",
                                      "app/sub/mod.py": "from ..other import o\n", "app/other.py": "o = 1\n"},
         [("app/__init__.py", "./app/"), ("app/main.py", "./app/"), ("app/sub/", "./app/sub/")],
         {("PG101", "app.other", "error")}, chain=("app.main", "app.sub.mod", "app.other")),
    Case("relative level 2 copied", {**APP, **LIB, "app/main.py": "import app.sub.mod\n", "app/sub/__init__.py": "",
                                     "app/sub/mod.py": "from ..other import o\n", "app/other.py": "o = 1\n"}, COPY_APP, set()),
    # from pkg import name: submodule or attribute
    Case("from pkg import submodule missing", main("from lib import util\n", **{"lib/__init__.py": ""}),
         [("app/", "./app/"), ("lib/__init__.py", "./lib/")], {("PG101", "lib.util", "error")},
         fix="COPY lib/util.py ./lib/util.py"),
    Case("from pkg import attribute", main("from lib import VERSION\n", **{"lib/__init__.py": "VERSION = 1\n"}),
         [("app/", "./app/"), ("lib/__init__.py", "./lib/")], set()),
    # importlib and __import__
    Case("importlib literal missing", main("import importlib\ndef f():\n    return importlib.import_module('lib.util')\n"), COPY_APP,
         {("PG101", "lib.util", "error")}, line=3),
    Case("importlib relative with package= missing",
         main("from importlib import import_module\nm = import_module('.util', package='lib')\n"), COPY_APP,
         {("PG101", "lib.util", "error")}),
    Case("__import__ literal missing", main("m = __import__('lib.util')\n"), COPY_APP, {("PG101", "lib.util", "error")}),
    Case("importlib literal copied", main("import importlib\nimportlib.import_module('lib.util')\n"), COPY_APP_LIB, set()),
    Case("importlib computed name not flagged", main("import importlib, os\nimportlib.import_module(os.environ['M'])\n"), COPY_APP, set()),
    # PEP 420 namespace packages
    Case("namespace package copied", main("from ns import mod\n", **{"ns/mod.py": ""}), [("app/", "./app/"), ("ns/mod.py", "./ns/mod.py")], set()),
    Case("namespace package missing", main("from ns import mod\n", **{"ns/mod.py": ""}), COPY_APP,
         {("PG101", "ns.mod", "error")}, fix="COPY ns/ ./ns/"),
    Case("namespace portion without the module", main("import ns.mod\n", **{"ns/mod.py": "", "ns/other.py": ""}),
         [("app/", "./app/"), ("ns/other.py", "./ns/other.py")], {("PG101", "ns.mod", "error")}, fix="COPY ns/mod.py ./ns/mod.py"),
    # parent packages' __init__.py
    Case("missing parent __init__.py with code", main("import lib.util\n", **{"lib/__init__.py": "from os import sep\n"}),
         [("app/", "./app/"), ("lib/util.py", "./lib/util.py")],
         {("PG101", "lib", "error")}, fix="COPY lib/__init__.py ./lib/__init__.py"),
    Case("missing empty parent __init__.py: a namespace package, fine", main("import lib.util\n"),
         [("app/", "./app/"), ("lib/util.py", "./lib/util.py")], set()),
    Case("parent __init__ imports are followed", main("import lib.util\n", **{"lib/__init__.py": "from extra import e\n", "extra.py": "e = 1\n"}),
         COPY_APP_LIB, {("PG101", "extra", "error")}, chain=("app.main", "lib", "extra"), fix="COPY extra.py ./extra.py"),
    Case("repo namespace parent needs no __init__", main("import ns.deep.mod\n", **{"ns/deep/mod.py": ""}),
         [("app/", "./app/"), ("ns/deep/mod.py", "./ns/deep/mod.py")], set()),
    Case("missing dir below a missing top-level: smallest COPYs",
         main("import top.sub.mod\n", **{"top/__init__.py": "", "top/sub/__init__.py": "", "top/sub/mod.py": ""}), COPY_APP,
         {("PG101", "top", "error"), ("PG101", "top.sub.mod", "error")}),
    # transitive through a missing module, and cycles
    Case("missing module's own imports are followed",
         main("import lib.util\n", **{"lib/util.py": "import other.thing\n", "other/__init__.py": "", "other/thing.py": ""}), COPY_APP,
         {("PG101", "lib.util", "error"), ("PG101", "other.thing", "error")}),
    Case("cycle terminates", main("import app.a\n", **{"app/a.py": "import app.b\n", "app/b.py": "import app.a\nimport lib.util\n"}),
         COPY_APP, {("PG101", "lib.util", "error")}, chain=("app.main", "app.a", "app.b", "lib.util")),
    Case("cycle copied", main("import app.a\n", **{"app/a.py": "import app.b\n", "app/b.py": "import app.a\n"}), COPY_APP, set()),
    # stdlib and third-party
    Case("stdlib and third-party are not PG101", main("import json, os.path\nimport requests\nfrom flask import Flask\n"),
         COPY_APP, set()),
    Case("third-party name shadowed by a bare repo dir", main("from alembic import command\n", **{"alembic/env.py": ""}), COPY_APP, set()),
    # what the image cannot show
    Case("opaque dir (COPY --from=<image>) is trusted", main("import vendor.lib\n", **{"vendor/__init__.py": "", "vendor/lib.py": ""}),
         COPY_APP, set(), opaque=("/app/vendor",)),
    # inline suppression
    Case("suppressed on the import line", main("import lib.util  # predguard: ignore[PG101]\n"), COPY_APP, set()),
    Case("bare ignore suppresses", main("import lib.util  # predguard: ignore\n"), COPY_APP, set()),
    Case("other code does not suppress", main("import lib.util  # predguard: ignore[PG104]\n"), COPY_APP,
         {("PG101", "lib.util", "error")}),
    # import roots from the entrypoint
    Case("python script.py: its dir is sys.path[0]", {"svc/run.py": "import helpers\n", "svc/helpers.py": ""},
         [("svc/run.py", "/srv/bin/run.py")], {("PG101", "helpers", "error")}, cmd=["python", "/srv/bin/run.py"],
         fix="COPY svc/helpers.py /srv/bin/helpers.py"),
    Case("python script.py sibling copied", {"svc/run.py": "import helpers\n", "svc/helpers.py": ""},
         [("svc/", "/srv/bin/")], set(), cmd=["python", "/srv/bin/run.py"]),
    Case("PYTHONPATH dir: fix destination is absolute",
         {"svc/main.py": "import common.util\n", "libs/common/__init__.py": "", "libs/common/util.py": "", "libs/common/log.py": ""},
         [("svc/", "./"), ("libs/common/log.py", "/opt/libs/common/log.py"), ("libs/common/__init__.py", "/opt/libs/common/")],
         {("PG101", "common.util", "error")}, cmd="python -m main", env={"PYTHONPATH": "/opt/libs"},
         fix="COPY libs/common/util.py /opt/libs/common/util.py"),
    Case("gunicorn --chdir resolves from the chdir",
         {"src/web/__init__.py": "", "src/web/app.py": "from web import views\n", "src/web/views.py": ""},
         [("src/web/__init__.py", "./src/web/"), ("src/web/app.py", "./src/web/")], {("PG101", "web.views", "error")},
         cmd="gunicorn --chdir src web.app:app", fix="COPY src/web/views.py ./src/web/views.py"),
    Case("uvicorn --app-dir copied", {"src/web/__init__.py": "", "src/web/app.py": "from web import views\n", "src/web/views.py": ""},
         [("src/", "./src/")], set(), cmd="uvicorn web.app:app --app-dir src"),
    Case("functions-framework source imports", {"fn/main.py": "import helpers\n", "fn/helpers.py": ""},
         [("fn/main.py", "./")], {("PG101", "helpers", "error")}, cmd="functions-framework --target handle"),
    # entrypoints themselves
    Case("entry module not copied", {**APP, "app/main.py": ""}, [("app/__init__.py", "./app/")], {("PG101", "app.main", "error")},
         fix="COPY app/main.py ./app/main.py", chain=("app.main",)),
    Case("python -m package runs its __main__", {**APP, **LIB, "app/__main__.py": "import lib.util\n"}, COPY_APP,
         {("PG101", "lib.util", "error")}, cmd="python -m app", chain=("app.__main__", "lib.util")),
    Case("gunicorn package app does not run __main__", {**APP, **LIB, "app/__main__.py": "import lib.util\n"}, COPY_APP,
         set(), cmd="gunicorn app:app"),
    Case("entry script not copied", {"svc/run.py": "import os\n", "svc/other.py": ""}, [("svc/other.py", "./")],
         {("PG101", "/app/run.py", "error")}, cmd=["python", "run.py"], fix="COPY svc/run.py ./run.py"),
    Case("entry script nowhere (unknown base: a warning)", {"svc/other.py": ""}, [("svc/other.py", "./")], {("PG103", None, "warning")}, cmd=["python", "run.py"]),
    Case("python -m of a stdlib module: nothing to check, said once", {**APP, **LIB, "app/tool.py": "import lib.util\n"}, COPY_APP,
         {("PG103", None, "warning")}, cmd="python -m http.server 8080"),
    Case("python -m of a stdlib module, everything copied", {**APP, **LIB, "app/tool.py": "import lib.util\n"}, COPY_APP_LIB,
         {("PG103", None, "warning")}, cmd="python -m http.server 8080"),
    Case("entry module nowhere (the base image is unknown: it may provide it)", {**APP}, COPY_APP, {("PG103", None, "warning")}),
    Case("unknown entrypoint: one warning, never every copied file", {**APP, **LIB, "app/tool.py": "import lib.util\n",
                                                                    "app/test_tool.py": "import lib.nothing_here\n"},
         COPY_APP, {("PG103", None, "warning")}, cmd=["make", "serve"]),
    # unparsable files in the closure
    Case("syntax error", main("import app.bad\n", **{"app/bad.py": "def f(:\n"}), COPY_APP, {("PG104", "app.bad", "error")}, line=1),
    Case("python 2 syntax", main("import app.bad\n", **{"app/bad.py": "import os\nprint 'x'\n"}), COPY_APP,
         {("PG104", "app.bad", "error")}, line=2),
    Case("non-UTF-8 bytes", main("import app.bad\n", **{"app/bad.py": b"x = '\xff'\n"}), COPY_APP, {("PG104", "app.bad", "error")},
         line=1),
    Case("NUL byte", main("import app.bad\n", **{"app/bad.py": b"x = 1\x00\n"}), COPY_APP, {("PG104", "app.bad", "error")}),
    Case("broken file outside the closure is not ours", main("import json\n", **{"app/bad.py": "def f(:\n"}), COPY_APP, set()),
    Case("broken file suppressed on its line", main("import app.bad\n", **{"app/bad.py": "def f(:  # predguard: ignore[PG104]\n"}),
         COPY_APP, set()),
    Case("broken file does not stop the rest", main("import app.bad\nimport lib.util\n", **{"app/bad.py": "print 'x'\n"}),
         COPY_APP, {("PG104", "app.bad", "error"), ("PG101", "lib.util", "error")}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_closure_findings(tmp_path: Path, case: Case) -> None:
    write_tree(tmp_path, case.files)
    image = make_image(tmp_path, case.copies, workdir=case.workdir, env=case.env, cmd=case.cmd, opaque=case.opaque)
    result = check(image, root=tmp_path, service="svc")
    assert {(f.code, f.module, f.severity) for f in result.findings} == case.expected, [f.to_json() for f in result.findings]
    if case.fix is not None or case.line is not None or case.chain is not None:
        [finding] = [f for f in result.findings if f.code != "PG103"]
        if case.fix is not None:
            assert finding.fix == case.fix
        if case.line is not None:
            assert finding.line == case.line
        if case.chain is not None:
            assert finding.chain == case.chain
    for finding in result.findings:
        assert finding.dockerfile == "svc/Dockerfile" and finding.service == "svc"
        assert not Path(finding.file).is_absolute()
    assert result.findings == tuple(sorted(result.findings, key=lambda f: (f.file, f.line, f.column, f.code, f.module or "")))
