"""predguard.hooks.python.check_image end to end: the incident, large files, caching, what HC relies on."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from predguard.hooks.python import imports
from tests.hooks.python.builders import check, make_image, write_tree

COORDINATOR_APP = '''"""The coordinator."""
from __future__ import annotations

from flask import Flask

from shared.config import load

app = Flask(__name__)


@app.post("/predictions")
def handle_request():
    from predictions.worker.data_loaders import load_game_features

    return load_game_features(load().day)
'''
PLATFORM = {
    "shared/__init__.py": "",
    "shared/config.py": "import os\n\ndef load():\n    return os.environ\n",
    "predictions/__init__.py": "",
    "predictions/coordinator/__init__.py": "",
    "predictions/coordinator/app.py": COORDINATOR_APP,
    "predictions/worker/__init__.py": "",
    "predictions/worker/data_loaders.py": "import csv\n\nfrom shared.config import load\nfrom predictions.worker.model import M\n",
    "predictions/worker/model.py": "import math\nM = 1\n",
}
COORDINATOR_COPIES = [
    ("shared/", "./shared/"),
    ("predictions/__init__.py", "./predictions/__init__.py"),
    ("predictions/coordinator/", "./predictions/coordinator/"),
]
GUNICORN = "exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 predictions.coordinator.app:app"


def coordinator(context: Path, copies: list[tuple[str, str]]):
    return make_image(context, copies, env={"PYTHONPATH": "/app", "PORT": "8080"}, cmd=GUNICORN,
                      dockerfile="predictions/coordinator/Dockerfile")


def test_the_incident_is_exactly_one_pg101_with_line_chain_and_fix(tmp_path: Path) -> None:
    write_tree(tmp_path, PLATFORM)
    result = check(coordinator(tmp_path, COORDINATOR_COPIES), root=tmp_path, service="coordinator")
    [finding] = result.findings
    assert finding.to_json() == {
        "code": "PG101",
        "severity": "error",
        "dockerfile": "predictions/coordinator/Dockerfile",
        "service": "coordinator",
        "module": "predictions.worker.data_loaders",
        "file": "predictions/coordinator/app.py",
        "line": 13,
        "column": 5,
        "chain": ["predictions.coordinator.app", "predictions.worker.data_loaders"],
        "message": "predictions.worker.data_loaders is imported but not copied into the image of predictions/coordinator/Dockerfile",
        "fix": "COPY predictions/worker/ ./predictions/worker/",
        "distribution": None,
    }
    # the missing module was followed through the repository (its own sibling import shares the same fix)
    assert tmp_path / "predictions/worker/model.py" in result.closure
    assert result.third_party == {"flask": (tmp_path / "predictions/coordinator/app.py", 4, 1)}
    assert result.entry.modules == ("predictions.coordinator.app",)


def test_the_fixed_incident_is_clean(tmp_path: Path) -> None:
    write_tree(tmp_path, PLATFORM)
    fixed = [*COORDINATOR_COPIES, ("predictions/worker/", "./predictions/worker/")]
    result = check(coordinator(tmp_path, fixed), root=tmp_path, service="coordinator")
    assert result.findings == ()
    assert result.closure == {tmp_path / p for p in PLATFORM if p != "predictions/worker/model.py"} | {
        tmp_path / "predictions/worker/model.py"
    }


EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "prediction-platform"


def test_the_bundled_example_platform_incident(tmp_path: Path) -> None:
    context = tmp_path / "platform"
    shutil.copytree(EXAMPLE, context)
    result = check(coordinator(context, COORDINATOR_COPIES), root=context, service="coordinator")
    assert [(f.code, f.module, f.file, f.fix) for f in result.findings] == [
        ("PG101", "predictions.worker.data_loaders", "predictions/coordinator/app.py", "COPY predictions/worker/ ./predictions/worker/")
    ]


def test_first_party_roots_from_config_and_context(tmp_path: Path) -> None:
    # The image copies only the service's own dir to /app; `shared` lives at the context root.
    write_tree(tmp_path, {"svc/main.py": "import shared.config\nimport common.util\n", "shared/__init__.py": "",
                          "shared/config.py": "", "common/util.py": ""})
    image = make_image(tmp_path, [("svc/", "./")], cmd="python -m main")
    result = check(image, root=tmp_path, service="svc")
    # a regular package at the context root is first-party; a bare directory (`common`, PEP 420) is not evidence enough
    assert [(f.module, f.fix) for f in result.findings] == [("shared.config", "COPY shared/ ./shared/")]
    assert set(result.third_party) == {"common"}
    configured = check(image, root=tmp_path, service="svc", first_party=["common"])
    assert {f.module for f in configured.findings} == {"shared.config", "common.util"}
    assert configured.third_party == {}


def test_optional_third_party_imports_are_not_recorded(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/main.py": "try:\n    import ujson\nexcept ImportError:\n    import json\nimport yaml\n"})
    result = check(make_image(tmp_path, [("app/", "./app/")], cmd="python -m app.main"), root=tmp_path, service=None)
    assert set(result.third_party) == {"yaml"}


def test_entrypoint_override(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/main.py": "", "app/jobs.py": "import lib.x\n", "lib/__init__.py": "", "lib/x.py": ""})
    image = make_image(tmp_path, [("app/", "./app/")], cmd="python -m app.main")
    assert check(image, root=tmp_path, service=None).findings == ()
    result = check(image, root=tmp_path, service=None, entrypoints=["app.jobs"])
    assert [f.module for f in result.findings] == ["lib.x"]
    assert result.entry.origin == "config override: app.jobs"


def test_files_shared_between_dockerfiles_are_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, PLATFORM)
    parsed: list[Path] = []
    real_parse = imports._parse
    monkeypatch.setattr(imports, "_parse", lambda path, data: parsed.append(path) or real_parse(path, data))
    check(coordinator(tmp_path, COORDINATOR_COPIES), root=tmp_path, service="coordinator")
    worker = make_image(tmp_path, [("shared/", "./shared/"), ("predictions/", "./predictions/")],
                        cmd=["python", "-m", "predictions.worker.data_loaders"], dockerfile="predictions/worker/Dockerfile")
    check(worker, root=tmp_path, service="worker")
    assert len(parsed) == len(set(parsed))
    assert tmp_path / "shared/config.py" in parsed


def _generated_module(size: int, tail: str) -> str:
    """A machine-generated table module of about `size` bytes (like protobuf or schema dumps)."""
    row = "    ({0}, 'feature_{0:07d}', {0}.5, 'a fairly long description string for row {0}'),\n"
    rows, total, index = [], 0, 0
    while total < size:
        line = row.format(index)
        rows.append(line)
        total += len(line)
        index += 1
    return "import json\n\nTABLE = [\n" + "".join(rows) + "]\n\n\ndef lookup(key):\n" + tail


def test_a_5mb_generated_module_is_parsed_and_followed(tmp_path: Path) -> None:
    generated = _generated_module(5 * 1024 * 1024, "    from lib.late import late\n    return late(key)\n")
    write_tree(tmp_path, {"app/__init__.py": "", "app/main.py": "from app import generated\n", "app/generated.py": generated,
                          "lib/__init__.py": "", "lib/late.py": ""})
    assert (tmp_path / "app/generated.py").stat().st_size >= 5 * 1024 * 1024
    result = check(make_image(tmp_path, [("app/", "./app/")], cmd="python -m app.main"), root=tmp_path, service=None)
    [finding] = result.findings
    assert (finding.module, finding.file, finding.line) == ("lib.late", "app/generated.py", generated.count("\n") - 1)


def test_a_5mb_module_with_a_syntax_error_at_the_end_is_pg104(tmp_path: Path) -> None:
    generated = _generated_module(5 * 1024 * 1024, "    return TABLE[key\n")
    write_tree(tmp_path, {"app/__init__.py": "", "app/main.py": "import app.generated\n", "app/generated.py": generated})
    result = check(make_image(tmp_path, [("app/", "./app/")], cmd="python -m app.main"), root=tmp_path, service=None)
    [finding] = result.findings
    assert (finding.code, finding.file) == ("PG104", "app/generated.py")
    assert finding.line == generated.count("\n")  # the unclosed bracket, on the last line
