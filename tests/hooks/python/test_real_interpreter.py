"""Differential check against a real interpreter: materialise each test image as a directory
tree, then ask CPython itself. Every module reported missing (PG101) must fail to import there,
and must import once the finding's own `fix` COPY line is applied — so the resolution rules and
the COPY lines agree with Python, not just with our expectations."""
from __future__ import annotations

import json
import posixpath
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from predguard.hooks.model import Image
from tests.hooks.python.builders import check, make_image, write_tree
from tests.hooks.python.test_closure import CASES, Case

PROBE = """
import importlib, json, sys
sys.path[:0] = json.loads(sys.argv[1])
results = {}
for name in json.loads(sys.argv[2]):
    try:
        importlib.import_module(name)
        results[name] = "ok"
    except ImportError as exc:
        results[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(results))
"""


def importable(tree: Path, sys_path: tuple[str, ...], modules: list[str]) -> dict[str, str]:
    host_path = [str(tree / d.lstrip("/")) for d in sys_path]
    completed = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, json.dumps(host_path), json.dumps(modules)],
        capture_output=True, text=True, timeout=60, cwd=tree, check=True,
    )
    return json.loads(completed.stdout)


def materialise(image: Image, tree: Path) -> None:
    for image_path, image_file in image.files.items():
        target = tree / image_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image_file.source, target)


def apply_copy(fix: str, image: Image, tree: Path) -> None:
    _, source, destination = fix.split()
    target = tree / posixpath.join(image.workdir or "/", destination).lstrip("/")
    if source.endswith("/"):
        shutil.copytree(image.context / source, target, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image.context / source, target)


def _missing_module_cases() -> list[Case]:
    return [c for c in CASES if any(code == "PG101" and severity == "error" for code, _, severity in c.expected)]


@pytest.mark.parametrize("case", _missing_module_cases(), ids=lambda c: c.id)
def test_reported_modules_really_fail_and_the_fix_really_works(tmp_path: Path, case: Case) -> None:
    context = write_tree(tmp_path / "repo", case.files)
    image = make_image(context, case.copies, workdir=case.workdir, env=case.env, cmd=case.cmd, opaque=case.opaque)
    result = check(image, root=context, service="svc")
    missing = [f for f in result.findings if f.code == "PG101" and f.severity == "error"]
    assert missing
    tree = tmp_path / "image"
    materialise(image, tree)
    # A package whose __init__.py is missing still imports as a namespace package (its own code
    # just never runs), so only plain missing modules must fail outright.
    dotted = [f for f in missing if f.module and not f.module.startswith("/")]
    modules = [f.module for f in dotted if f.module]
    scripts = [f.module for f in missing if f.module and f.module.startswith("/")]  # entry scripts: image paths
    plain = [f.module for f in dotted if f.module and "__init__.py" not in f.message]
    before = importable(tree, result.entry.sys_path, plain)
    assert all(outcome.startswith("ModuleNotFoundError") for outcome in before.values()), before
    for finding in missing:
        assert finding.fix is not None and finding.fix.startswith("COPY ")
        apply_copy(finding.fix, image, tree)
    after = importable(tree, result.entry.sys_path, modules)
    assert set(after.values()) <= {"ok"}, after
    assert all((tree / script.lstrip("/")).is_file() for script in scripts)


def test_the_clean_cases_import_their_entry_modules(tmp_path: Path) -> None:
    # (suppressed cases are broken on purpose; third-party ones need packages the image would install)
    skip = ("third-party", "importlib computed", "suppress", "ignore")
    clean = [c for c in CASES if not c.expected and not any(word in c.id for word in skip)]
    assert len(clean) > 15
    for index, case in enumerate(clean):
        context = write_tree(tmp_path / f"repo{index}", case.files)
        image = make_image(context, case.copies, workdir=case.workdir, env=case.env, cmd=case.cmd, opaque=case.opaque)
        result = check(image, root=context, service="svc")
        if not result.entry.modules or case.opaque:
            continue  # scripts run as __main__; opaque dirs hold what we cannot materialise
        tree = tmp_path / f"image{index}"
        materialise(image, tree)
        outcome = importable(tree, result.entry.sys_path, list(result.entry.modules))
        assert set(outcome.values()) == {"ok"}, (case.id, outcome)


def test_the_incident_passes_an_import_smoke_test_but_not_our_check(tmp_path: Path) -> None:
    """Why a start-up import check is not enough: the entry module imports fine, the deferred one does not."""
    from tests.hooks.python.test_check_image import COORDINATOR_COPIES, PLATFORM, coordinator

    context = write_tree(tmp_path / "repo", PLATFORM)
    image = coordinator(context, COORDINATOR_COPIES)
    [finding] = check(image, root=context, service="coordinator").findings
    tree = tmp_path / "image"
    materialise(image, tree)
    entry, deferred = "predictions.coordinator.app", "predictions.worker.data_loaders"
    before = importable(tree, ("/app",), [entry, deferred])
    assert before[entry] == "ok" and before[deferred].startswith("ModuleNotFoundError")
    assert finding.fix is not None
    apply_copy(finding.fix, image, tree)
    assert importable(tree, ("/app",), [entry, deferred]) == {entry: "ok", deferred: "ok"}
