"""predguard.hooks.entrypoints: what an image runs and the sys.path it runs with (table-driven)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from predguard.hooks.entrypoints import plan_entrypoints
from tests.hooks.python.builders import make_image, write_tree

TREE = {
    "svc/__init__.py": "",
    "svc/main.py": "",
    "svc/tests/test_main.py": "",
    "svc/conftest.py": "",
    "bin/run.py": "",
    "src/web/__init__.py": "",
    "src/web/app.py": "",
    "main.py": "",
    "fn/entry.py": "",
    "dash/app.py": "",
    "dash/pages/1_stats.py": "",
    "dash/pages/lib/helper.py": "",
    "conf/gunicorn.conf.py": 'wsgi_app = "svc.main:app"\nchdir = "/app"\n',
    "entrypoint.sh": '#!/bin/sh\nset -e\npython -m svc.migrate\nexec "$@"\n',
    "server": "\x7fELF",
    "loop.sh": "#!/bin/sh\n/app/loop.sh\n",
    "bin/serve": "#!/usr/bin/env python3\nimport svc.main\n",
}
COPY_ALL = [(".", "./")]


@dataclass(frozen=True)
class Case:
    id: str
    cmd: str | list[str] | None = None
    entrypoint: str | list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    workdir: str | None = "/app"
    modules: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    sys_path: tuple[str, ...] = ()


CASES = [
    Case("python -m", cmd=["python", "-m", "svc.main"], modules=("svc.main",), sys_path=("/app",)),
    Case("python -m with flags and a versioned interpreter", cmd=["/usr/local/bin/python3.11", "-u", "-W", "ignore", "-m", "svc.main"],
         modules=("svc.main",), sys_path=("/app",)),
    Case("python -um combined flags", cmd="python -um svc.main", modules=("svc.main",), sys_path=("/app",)),
    Case("python -m + PYTHONPATH (relative entries against WORKDIR, empty ones dropped)", cmd=["python", "-m", "svc.main"],
         env={"PYTHONPATH": "/opt/lib::src"}, modules=("svc.main",), sys_path=("/app", "/opt/lib", "/app/src")),
    Case("python -I ignores PYTHONPATH", cmd=["python", "-I", "-m", "svc.main"], env={"PYTHONPATH": "/opt/lib"},
         modules=("svc.main",), sys_path=("/app",)),
    Case("python script.py: sys.path[0] is the script's dir", cmd=["python", "bin/run.py"], env={"PYTHONPATH": "/app"},
         scripts=("/app/bin/run.py",), sys_path=("/app/bin", "/app")),
    Case("python absolute script", cmd="python3 /app/bin/run.py --port $PORT", scripts=("/app/bin/run.py",), sys_path=("/app/bin",)),
    Case("gunicorn exec form", cmd=["gunicorn", "-b", ":8080", "--workers", "2", "svc.main:app"], modules=("svc.main",),
         sys_path=("/app",)),
    Case("gunicorn shell form with exec and $PORT", cmd="exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 svc.main:app",
         env={"PORT": "8080", "PYTHONPATH": "/app"}, modules=("svc.main",), sys_path=("/app",)),
    Case("gunicorn --chdir", cmd=["gunicorn", "--chdir", "/app/src", "web.app:app"], env={"PYTHONPATH": "/opt/lib"},
         modules=("web.app",), sys_path=("/app/src", "/opt/lib")),
    Case("gunicorn --chdir= relative, --pythonpath list", cmd="gunicorn --chdir=src --pythonpath /opt/a,/opt/b web.app:app",
         modules=("web.app",), sys_path=("/opt/b", "/opt/a", "/app/src")),
    Case("gunicorn factory call", cmd="gunicorn 'web.app:create_app()'", modules=("web.app",), sys_path=("/app",)),
    Case("gunicorn --config file naming the app", cmd=["gunicorn", "--config", "conf/gunicorn.conf.py"], modules=("svc.main",),
         scripts=("/app/conf/gunicorn.conf.py",), sys_path=("/app",)),
    Case("gunicorn app from ENV variable", cmd="gunicorn -b :8080 $APP_MODULE", env={"APP_MODULE": "svc.main:app"},
         modules=("svc.main",), sys_path=("/app",)),
    Case("gunicorn app and chdir from GUNICORN_CMD_ARGS", cmd=["gunicorn", "web.app:app"], env={"GUNICORN_CMD_ARGS": "--chdir src -w 2"},
         modules=("web.app",), sys_path=("/app/src",)),
    Case("uvicorn --app-dir", cmd=["uvicorn", "web.app:app", "--host", "0.0.0.0", "--app-dir", "src"], modules=("web.app",),
         sys_path=("/app/src",)),
    Case("uvicorn options before the app, --factory flag", cmd="uvicorn --factory --port ${PORT:-8080} --proxy-headers web.app:create",
         modules=("web.app",), sys_path=("/app",)),
    Case("python -m uvicorn", cmd=["python", "-m", "uvicorn", "main:app"], modules=("main",), sys_path=("/app",)),
    Case("functions-framework default source", cmd=["functions-framework", "--target", "handle"], env={"PYTHONPATH": "/opt/lib"},
         scripts=("/app/main.py",), sys_path=("/opt/lib", "/app")),
    Case("functions-framework --source", cmd="functions-framework --target=handle --source=fn/entry.py --signature-type=http",
         scripts=("/app/fn/entry.py",), sys_path=("/app/fn",)),
    Case("streamlit run: the script's folder first, its pages run too", cmd=["streamlit", "run", "dash/app.py", "--server.port=8080"],
         env={"PYTHONPATH": "/opt/lib"}, scripts=("/app/dash/app.py", "/app/dash/pages/1_stats.py"), sys_path=("/app/dash", "/opt/lib")),
    Case("sh -c with cd", cmd=["sh", "-c", "cd /app/src && exec python -m web.app"], modules=("web.app",), sys_path=("/app/src",)),
    Case("env-var prefix", cmd="PYTHONPATH=/app/src exec python -m web.app", modules=("web.app",), sys_path=("/app", "/app/src")),
    Case("env command prefix", cmd=["env", "PYTHONPATH=/app/src", "python", "-m", "web.app"], modules=("web.app",),
         sys_path=("/app", "/app/src")),
    Case("ENTRYPOINT exec + CMD exec are joined", entrypoint=["python", "-m"], cmd=["svc.main"], modules=("svc.main",),
         sys_path=("/app",)),
    Case("ENTRYPOINT shell form ignores CMD", entrypoint="python -m svc.main", cmd=["web.app"], modules=("svc.main",),
         sys_path=("/app",)),
    Case("ENTRYPOINT tini wrapper", entrypoint=["/usr/bin/tini", "--"], cmd=["gunicorn", "svc.main:app"], modules=("svc.main",),
         sys_path=("/app",)),
    Case("ENTRYPOINT shell script with exec \"$@\"", entrypoint=["/app/entrypoint.sh"], cmd=["gunicorn", "web.app:app", "--chdir", "src"],
         modules=("svc.migrate", "web.app"), sys_path=("/app", "/app/src")),
    Case("ENTRYPOINT is a Python script with a shebang", entrypoint=["./bin/serve"], cmd=["--port", "8080"],
         scripts=("/app/bin/serve",), sys_path=("/app/bin",)),
    Case("sh script.sh", cmd=["sh", "entrypoint.sh", "python", "-m", "web.app"], modules=("svc.migrate", "web.app"),
         sys_path=("/app",)),
    Case("ENTRYPOINT exec + CMD shell form", entrypoint=["tini", "--"], cmd="gunicorn svc.main:app", modules=("svc.main",),
         sys_path=("/app",)),
    Case("nested sh -c", cmd=["sh", "-c", "sh -c \"bash -c 'python -m svc.main'\""], modules=("svc.main",), sys_path=("/app",)),
    Case("celery -A", cmd="celery -A svc.main worker --loglevel=INFO -c 2", modules=("svc.main",), sys_path=("/app",)),
    Case("flask --app", cmd="flask --app web.app run --host 0.0.0.0", workdir="/app/src", modules=("web.app",), sys_path=("/app/src",)),
    Case("no WORKDIR means /", cmd=["python", "-m", "svc.main"], workdir=None, modules=("svc.main",), sys_path=("/",)),
]


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("ctx"), TREE)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_detects_entrypoints_and_sys_path(context: Path, case: Case) -> None:
    image = make_image(context, COPY_ALL, workdir=case.workdir, env=case.env, cmd=case.cmd, entrypoint=case.entrypoint)
    plan = plan_entrypoints(image, root=context)
    assert plan.problems == ()
    assert (plan.modules, plan.scripts, plan.sys_path) == (case.modules, case.scripts, case.sys_path)
    assert not plan.unknown


UNKNOWN = [
    Case("a program from the base image", cmd=["make", "run"]),
    Case("a script the image does not hold", cmd=["./start.sh"]),
    Case("python -c", cmd=["python", "-c", "import svc.main"]),
    Case("streamlit without run", cmd=["streamlit", "hello"]),
    Case("unresolvable variable as the app", cmd="gunicorn -b :8080 $APP_MODULE"),
    Case("no CMD and no ENTRYPOINT"),
]


@pytest.mark.parametrize("case", UNKNOWN, ids=[c.id for c in UNKNOWN])
def test_unknown_entrypoint_is_one_pg103_warning_and_nothing_is_checked(context: Path, case: Case) -> None:
    image = make_image(context, COPY_ALL, cmd=case.cmd, entrypoint=case.entrypoint, env={"PYTHONPATH": "/opt/lib"})
    plan = plan_entrypoints(image, root=context, service="svc")
    [problem] = plan.problems
    assert (problem.code, problem.severity) == ("PG103", "warning")
    assert "nothing is checked for this image" in problem.message
    assert (problem.file, problem.service) == ("svc/Dockerfile", "svc")
    expected_line = image.cmd.line if image.cmd else 1
    assert problem.line == expected_line
    assert plan.unknown and plan.origin.startswith("unknown")
    assert (plan.modules, plan.scripts) == ((), ())  # never "every copied file"


NO_PYTHON = [
    Case("a compiled binary copied into the image", cmd=["./server", "--port", "8080"]),
    Case("node", cmd=["node", "server.js"]),
    Case("a script that runs no Python", cmd=["./health.sh"]),
    Case("sh -c with utilities and nginx", cmd="envsubst < /t > /etc/nginx.conf && exec nginx -g 'daemon off;'"),
]


@pytest.mark.parametrize("case", NO_PYTHON, ids=[c.id for c in NO_PYTHON])
def test_a_command_that_runs_no_python_has_nothing_to_check(tmp_path: Path, case: Case) -> None:
    tree = write_tree(tmp_path, {**TREE, "health.sh": "#!/bin/sh\nset -e\necho ok\ncurl -fsS localhost:8080/health\n"})
    plan = plan_entrypoints(make_image(tree, COPY_ALL, cmd=case.cmd), root=tree)
    assert (plan.modules, plan.scripts, plan.problems, plan.unknown) == ((), (), (), False)
    assert plan.origin.startswith("runs no Python")


def test_a_shell_script_entrypoint_is_followed_through_cd(tmp_path: Path) -> None:
    script = "#!/bin/bash\nset -euo pipefail\necho starting\ncd /app/src && exec uvicorn web.app:app --port 8080\n"
    tree = write_tree(tmp_path, {**TREE, "start.sh": script})
    plan = plan_entrypoints(make_image(tree, COPY_ALL, cmd=["./start.sh"]), root=tree)
    assert (plan.modules, plan.sys_path, plan.problems) == (("web.app",), ("/app/src",), ())


@pytest.mark.parametrize(
    ("override", "modules", "scripts", "sys_path"),
    [
        (["svc.main"], ("svc.main",), (), ("/app",)),
        (["svc.main:app", "bin/run.py"], ("svc.main",), ("/app/bin/run.py",), ("/app/bin", "/app")),
    ],
)
def test_config_override_replaces_detection(context: Path, override: list[str], modules: tuple[str, ...],
                                            scripts: tuple[str, ...], sys_path: tuple[str, ...]) -> None:
    image = make_image(context, COPY_ALL, cmd=["./server"])
    plan = plan_entrypoints(image, override=override, root=context)
    assert (plan.modules, plan.scripts, plan.sys_path, plan.problems) == (modules, scripts, sys_path, ())
    assert plan.origin.startswith("config override")


def test_origin_names_the_instruction_and_line(context: Path) -> None:
    image = make_image(context, COPY_ALL, cmd="exec gunicorn svc.main:app")
    plan = plan_entrypoints(image)
    assert plan.origin == f"CMD line {image.cmd.line}: exec gunicorn svc.main:app"
    assert plan.line == image.cmd.line


@pytest.mark.parametrize(
    "cmd",
    ["", "'", "sh -c", "python -m", "python", "gunicorn --chdir", "uvicorn", "functions-framework --source",
     ["/app/loop.sh"], ["sh", "-c", "exec \"$@\""], "PYTHONPATH=", "env", "cd", "exec", "${UNSET:-}"],
)
def test_odd_commands_never_crash(context: Path, cmd: str | list[str]) -> None:
    plan = plan_entrypoints(make_image(context, COPY_ALL, cmd=cmd), root=context)
    assert plan.unknown == bool(plan.problems)
    assert not (plan.unknown and (plan.modules or plan.scripts))
    assert plan.sys_path and plan.sys_path[0].startswith("/")
