"""What an image installs, read from its RUN steps: requirements files, projects, locks, stages.

Each test writes a small repository, models its Dockerfile with the real Dockerfile model and
reads the installs (predguard.hooks.installs.read_installs); the PG102 consequences run through
the real CLI.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from predguard.hooks.dockerfile import load_image
from predguard.hooks.installs import InstallView, read_installs
from tests.hooks.installs.conftest import Checked, write_tree

Check = Callable[..., Checked]


def installs(root: Path, files: dict[str, str], dockerfile: str = "Dockerfile", **base_packages: list[str]) -> InstallView:
    write_tree(root, files)
    image = load_image(root / dockerfile, root, root=root)
    return read_installs(image, root, dockerfile=dockerfile, base_packages=base_packages, config_name="pyproject.toml")


def names(view: InstallView) -> set[str]:
    return set(view.held.distributions)


def test_nested_includes_and_include_cycles(tmp_path: Path) -> None:
    view = installs(tmp_path, {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY reqs/ ./reqs/\nRUN pip install -r reqs/prod.txt\n",
        "reqs/prod.txt": "-r base.txt\n--requirement=./extra.txt\n-c constraints.txt\nflask\n",
        "reqs/base.txt": "-r prod.txt\nrequests\n",  # a cycle back to prod.txt
        "reqs/extra.txt": "-rbase.txt\nPyYAML\n",
        "reqs/constraints.txt": "boto3==1.0\n",  # constraints install nothing
    })
    assert names(view) == {"pip", "setuptools", "wheel", "flask", "requests", "pyyaml"}
    assert view.held.requirement_files == ["reqs/prod.txt", "reqs/base.txt", "reqs/extra.txt"]
    assert view.held.unknown == []


def test_hashes_markers_extras_options_and_environment_variables(tmp_path: Path) -> None:
    view = installs(tmp_path, {
        "Dockerfile": "FROM python:3.11-slim\nARG DRIVER=psycopg2-binary\nENV EXTRA_PKG=orjson\nCOPY requirements.txt .\n"
                      "RUN pip install --require-hashes -r requirements.txt\n",
        "requirements.txt": (
            "--index-url https://pypi.example.com/simple\n"
            "--extra-index-url=https://mirror.example.com/simple  # a mirror\n"
            "-i https://other.example.com/simple\n"
            "--trusted-host pypi.example.com\n"
            "requests[socks]==2.31.0 \\\n"
            "    --hash=sha256:aaaa \\\n"
            "    --hash=sha256:bbbb\n"
            "pywin32==306; sys_platform == 'win32'\n"
            "tomli>=2; python_version < \"3.11\"\n"
            "exceptiongroup ; python_version < '3.11' or platform_system == 'Linux'\n"
            "${DRIVER}\n"
            "${EXTRA_PKG}>=3\n"
            "${NOT_SET}\n"
            "Google_Cloud.Storage  # comment\n"
        ),
    })
    held = view.held
    assert names(view) - {"pip", "setuptools", "wheel"} == {"requests", "exceptiongroup", "psycopg2-binary", "orjson", "google-cloud-storage"}
    assert held.distributions["requests"].extras == frozenset({"socks"})
    assert held.distributions["requests"].where == "requirements.txt:5"
    [unknown] = held.unknown
    assert "${NOT_SET}" in unknown.reason and unknown.where == "requirements.txt:13"


def test_pip_command_lines_in_their_spellings(tmp_path: Path) -> None:
    view = installs(tmp_path, {
        "Dockerfile": (
            "FROM python:3.12-slim\n"
            "ENV PKGS=\"httpx orjson\"\n"
            "RUN pip install --no-cache-dir 'uvicorn[standard]>=0.30' \"fastapi==0.111.*\" && \\\n"
            "    python3 -m pip install -U $PKGS; python -m pip uninstall -y orjson\n"
            "RUN uv pip install --system structlog && pip3.12 install --user rich\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends python3-yaml curl\n"
        ),
    })
    assert names(view) == {"pip", "uvicorn", "fastapi", "httpx", "structlog", "rich"}
    assert view.held.distributions["uvicorn"].extras == frozenset({"standard"})
    assert "yaml" in view.held.modules


def test_vcs_urls_and_local_wheels(tmp_path: Path) -> None:
    view = installs(tmp_path, {
        "Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nCOPY dist/ /tmp/dist/\nRUN pip install -r requirements.txt\n"
                      "RUN pip install /tmp/dist/ourlib-1.2.0-py3-none-any.whl && pip install /tmp/dist/*.tar.gz\n",
        "requirements.txt": (
            "-e git+https://github.com/example/tool.git@v1#egg=example-tool\n"
            "-e git+https://github.com/example/other.git@main\n"
            "https://files.example.com/pkgs/shiny_lib-2.0-py3-none-any.whl\n"
            "named-dist @ https://files.example.com/archive.zip\n"
        ),
        "dist/ourlib-1.2.0-py3-none-any.whl": "",
        "dist/helper_pkg-0.1.tar.gz": "",
    })
    assert names(view) - {"pip", "setuptools", "wheel"} == {"example-tool", "shiny-lib", "named-dist", "ourlib", "helper-pkg"}
    [unknown] = view.held.unknown
    assert "-e git+https://github.com/example/other.git@main" in unknown.reason and "VCS checkout" in unknown.reason


def test_pip_install_dot_reads_the_project_and_honours_extras(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /src\nCOPY . .\nRUN pip install --no-cache-dir '.[gcs]'\n",
        "pyproject.toml": (
            "[project]\nname = \"Our-App\"\ndependencies = [\"requests>=2\", \"pywin32; sys_platform == 'win32'\"]\n"
            "[project.optional-dependencies]\ngcs = [\"google-cloud-storage\", \"our-app[yaml]\"]\nyaml = [\"pyyaml\"]\nbq = [\"google-cloud-bigquery\"]\n"
        ),
        "src/our_app/__init__.py": "",
        "src/our_app/cli.py": "",
    }
    view = installs(tmp_path, files)
    assert names(view) - {"pip", "setuptools", "wheel"} == {"our-app", "requests", "google-cloud-storage", "pyyaml"}
    assert "our_app" in view.held.modules
    assert view.fix_target is not None and (view.fix_target.kind, view.fix_target.path) == ("pyproject", "pyproject.toml")


def test_setup_cfg_and_setup_py_projects(tmp_path: Path) -> None:
    cfg = installs(tmp_path / "cfg", {
        "Dockerfile": "FROM python:3.11-slim\nCOPY . /src\nRUN pip install -e /src\n",
        "setup.cfg": "[metadata]\nname = cfgpkg\n[options]\ninstall_requires =\n    click>=8\n    attrs\n",
        "setup.py": "from setuptools import setup\nsetup()\n",
    })
    assert names(cfg) - {"pip", "setuptools", "wheel"} == {"cfgpkg", "click", "attrs"}
    py = installs(tmp_path / "py", {
        "Dockerfile": "FROM python:3.11-slim\nCOPY . /src\nRUN pip install /src\n",
        "setup.py": "from setuptools import setup\nREQS = ['numpy', 'pandas>=2']\nsetup(name='pypkg', install_requires=REQS)\n",
    })
    assert names(py) - {"pip", "setuptools", "wheel"} == {"pypkg", "numpy", "pandas"}
    computed = installs(tmp_path / "computed", {
        "Dockerfile": "FROM python:3.11-slim\nCOPY . /src\nRUN pip install /src\n",
        "setup.py": "from setuptools import setup\nsetup(name='x', install_requires=compute())\n",
    })
    assert [u.reason for u in computed.held.unknown] == ["the dependencies of setup.py are computed at build time"]


def test_a_wheelhouse_built_in_one_stage_is_installed_in_the_next(tmp_path: Path) -> None:
    view = installs(tmp_path, {
        "Dockerfile": (
            "FROM python:3.11 AS builder\nWORKDIR /build\nCOPY requirements.txt .\n"
            "RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt\n"
            "RUN pip install pytest  # a build-stage tool: not in the runtime image\n"
            "FROM python:3.11-slim\nCOPY --from=builder /wheels /wheels\n"
            "RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/* && rm -rf /wheels\n"
        ),
        "requirements.txt": "flask\ngunicorn\n",
    })
    assert names(view) == {"pip", "setuptools", "wheel", "flask", "gunicorn"}


def test_a_virtualenv_or_prefix_built_in_one_stage_is_copied_to_the_next(tmp_path: Path) -> None:
    venv = installs(tmp_path / "venv", {
        "Dockerfile": (
            "FROM python:3.12 AS build\nRUN python -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n"
            "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            "RUN /usr/local/bin/pip install build\n"  # the system interpreter: not copied below
            "FROM python:3.12-slim\nCOPY --from=build /opt/venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n"
        ),
        "requirements.txt": "pandas\n",
    })
    assert names(venv) == {"pip", "pandas"}
    user = installs(tmp_path / "user", {
        "Dockerfile": (
            "FROM python:3.11 AS build\nCOPY requirements.txt .\nRUN pip install --user -r requirements.txt\n"
            "FROM python:3.11-slim\nCOPY --from=build /root/.local /root/.local\n"
        ),
        "requirements.txt": "boto3\n",
    })
    assert "boto3" in names(user)


def test_uv_sync_reads_the_lock_for_the_selected_groups(tmp_path: Path) -> None:
    lock = (
        'version = 1\n'
        '[[package]]\nname = "svc"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "httpx" }]\n'
        '[package.optional-dependencies]\nyaml = [{ name = "pyyaml" }]\n'
        '[package.dev-dependencies]\ndev = [{ name = "pytest" }]\n'
        '[[package]]\nname = "httpx"\nversion = "0.27.0"\nsource = { registry = "https://pypi.org/simple" }\n'
        'dependencies = [{ name = "certifi" }, { name = "h11" }]\n'
        '[[package]]\nname = "certifi"\nversion = "1"\n[[package]]\nname = "h11"\nversion = "1"\n'
        '[[package]]\nname = "pyyaml"\nversion = "6"\n[[package]]\nname = "pytest"\nversion = "8"\n'
    )
    files = {
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-dev --extra yaml\n",
        "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = ["httpx"]\n',
        "uv.lock": lock,
    }
    assert names(installs(tmp_path / "a", files)) == {"pip", "svc", "httpx", "certifi", "h11", "pyyaml"}
    files["Dockerfile"] = files["Dockerfile"].replace("--no-dev --extra yaml", "")
    assert names(installs(tmp_path / "b", files)) == {"pip", "svc", "httpx", "certifi", "h11", "pytest"}


def test_poetry_install_and_pipenv_read_their_locks(tmp_path: Path) -> None:
    poetry = installs(tmp_path / "poetry", {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\n"
                      "RUN poetry config virtualenvs.create false && poetry install --no-root --without dev\n",
        "pyproject.toml": '[tool.poetry]\nname = "svc"\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "^2"\n'
                          '[tool.poetry.group.dev.dependencies]\npytest = "^8"\n',
        "poetry.lock": '[[package]]\nname = "requests"\nversion = "2.32"\noptional = false\n[package.dependencies]\n'
                       'idna = ">=2.5"\nPySocks = {version = "*", optional = true}\n'
                       '[[package]]\nname = "idna"\nversion = "3"\noptional = false\n'
                       '[[package]]\nname = "pysocks"\nversion = "1"\noptional = true\n'
                       '[[package]]\nname = "pytest"\nversion = "8"\noptional = false\n',
    })
    assert names(poetry) == {"pip", "setuptools", "wheel", "requests", "idna"}
    pipenv = installs(tmp_path / "pipenv", {
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY Pipfile Pipfile.lock ./\nRUN pip install pipenv && pipenv install --system --deploy\n",
        "Pipfile": '[packages]\nflask = "*"\n',
        "Pipfile.lock": '{"_meta": {}, "default": {"flask": {"version": "==3.0.0"}, "werkzeug": {"version": "==3.0.0"}}, "develop": {"pytest": {}}}',
    })
    assert names(pipenv) == {"pip", "setuptools", "wheel", "pipenv", "flask", "werkzeug"}
    assert pipenv.fix_target is not None and pipenv.fix_target.path == "Pipfile"


def test_conda_environment_files_and_package_lists(tmp_path: Path) -> None:
    view = installs(tmp_path, {
        "Dockerfile": "FROM continuumio/miniconda3\nCOPY environment.yml /tmp/\n"
                      "RUN conda env update -n base -f /tmp/environment.yml && conda install -y -c conda-forge 'scipy>=1.11' conda-forge::lightgbm\n",
        "environment.yml": "name: svc\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - numpy=1.26\n  - pip\n  - pip:\n    - google-cloud-storage==2.*\n",
    }, **{"continuumio/miniconda3": ["conda"]})
    assert names(view) == {"conda", "numpy", "google-cloud-storage", "scipy", "lightgbm"}


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("pyproject.toml", "[project\nname = 'x'\n", "app/pyproject.toml: cannot parse it to read what the image installs"),
    ("uv.lock", "version = 1\n[[package]\n", "app/uv.lock: cannot parse the lock file"),
    ("poetry.lock", "[[package]]\nname = \n", "app/poetry.lock: cannot parse the lock file"),
    ("Pipfile.lock", "{\"default\": ", "app/Pipfile.lock: cannot parse the lock file"),
])
def test_an_unparsable_manifest_or_lock_the_image_installs_is_exit_2_naming_it(check_tree: Check, name: str, text: str, expected: str) -> None:
    command = {"pyproject.toml": "pip install .", "uv.lock": "uv sync --frozen", "poetry.lock": "poetry install",
               "Pipfile.lock": "pipenv install --system --deploy"}[name]
    # The project lives in app/: the repository's own pyproject.toml (predguard's configuration) stays valid.
    files = {
        "Dockerfile": f"FROM python:3.11-slim\nWORKDIR /app\nCOPY app/ .\nRUN {command}\nCMD [\"python\", \"-m\", \"svc.main\"]\n",
        "app/svc/__init__.py": "", "app/svc/main.py": "import requests\n", f"app/{name}": text,
    }
    if name != "pyproject.toml":
        files["app/pyproject.toml"] = "[project]\nname = 'svc'\nversion = '1'\n"
    if name == "Pipfile.lock":
        files["app/Pipfile"] = "[packages]\n"
    result = check_tree(files)
    assert result.code == 2
    [line] = [entry for entry in result.stderr.splitlines() if entry.strip()]
    assert expected in line and "Traceback" not in result.stderr


def test_a_requirements_file_the_image_does_not_have_makes_the_view_unknown(check_tree: Check) -> None:
    dockerfile = ("FROM python:3.11-slim\nWORKDIR /app\nRUN pip install -r requirements.txt\nCOPY svc/ ./svc/\n"
                  "CMD [\"python\", \"-m\", \"svc.main\"]\n")
    result = check_tree({"Dockerfile": dockerfile, "requirements.txt": "yaml\n", "svc/__init__.py": "", "svc/main.py": "import yaml\n"})
    [finding] = result.pg102()
    assert finding["severity"] == "warning"
    assert "the requirements file /app/requirements.txt is not copied into the image" in finding["message"]


def test_an_unreadable_editable_vcs_checkout_downgrades_to_a_warning_that_says_so(check_tree: Check) -> None:
    files = {
        "Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY svc/ /svc/\n"
                      "WORKDIR /\nCMD [\"python\", \"-m\", \"svc.main\"]\n",
        "requirements.txt": "-e git+https://github.com/example/tool.git@main\n",
        "svc/__init__.py": "", "svc/main.py": "import example_tool\n",
    }
    [finding] = check_tree(files).pg102()
    assert finding["severity"] == "warning" and "is a VCS checkout" in finding["message"]


def test_the_example_worker_installs_through_a_prefix_copied_from_its_builder_stage(tmp_path: Path) -> None:
    from tests.hooks.conftest import PLATFORM

    image = load_image(PLATFORM / "predictions/worker/Dockerfile", PLATFORM, root=PLATFORM)
    view = read_installs(image, PLATFORM, dockerfile="predictions/worker/Dockerfile", base_packages={}, config_name="pyproject.toml")
    assert {"flask", "gunicorn"} <= names(view)
    assert view.held.requirement_files == ["predictions/worker/requirements.txt"]


def test_a_file_copied_into_a_directory_of_the_base_image_is_found_there(tmp_path: Path) -> None:
    view = installs(tmp_path, {
        "Dockerfile": "FROM python:3.11\nCOPY requirements.txt /tmp\nRUN pip install -r /tmp/requirements.txt\n",
        "requirements.txt": "fastapi\n",
    })
    assert "fastapi" in names(view) and view.held.unknown == []


def test_system_python_packages_make_the_dependencies_unknown(tmp_path: Path) -> None:
    # python3-grpc-tools brings python3-grpcio and python3-protobuf: Debian's dependencies are not read.
    view = installs(tmp_path, {"Dockerfile": "FROM debian:12\nRUN apt-get update && apt-get install -y python3-grpc-tools curl\n"})
    assert "grpc_tools" in view.held.modules
    [unknown] = view.held.unknown
    assert "python3-grpc-tools" in unknown.reason and unknown.where == "Dockerfile:2"


def test_each_step_sees_the_variables_as_they_were_at_that_step(tmp_path: Path) -> None:
    """Steps keep snapshots of the environment (O(1) each), not the stage's later values."""
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nARG X\nENV A=1\nRUN one\nENV A=2 B=$A\nARG X=set\nRUN two\nCOPY . .\n"})
    image = load_image(tmp_path / "Dockerfile", tmp_path, root=tmp_path)
    [stage] = image.stages
    assert [dict(step.env) for step in stage.steps] == [{"A": "1"}, {"A": "2", "B": "1", "X": "set"}, {"A": "2", "B": "1", "X": "set"}]
    assert "X" not in stage.steps[0].env and stage.steps[0].env.get("X") is None  # `ARG X` without a value is unset
