"""The three verdicts on one image — static (check-dockerfiles' PG101), dry build, real build —
as comparable sets of missing modules.

The hook names the module an import statement needs (`predictions.worker.data_loaders`); Python
names the first part of it that is absent (`No module named 'predictions.worker'`). Both are put
in the same terms: each name becomes the shortest of its prefixes named by either side.
"""
from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from predguard.verify import startup
from predguard.verify.dry_build import CHILD_PROGRAM

from .conftest import predguard
from .docker_env import Docker


def missing_from_report_lines(lines: Iterable[str]) -> set[str]:
    """Missing names from `verify-imports --format json` lines (failure lines, then a summary)."""
    found = set()
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if "module" in entry and entry.get("severity") == "ERROR":
            found.add(entry.get("missing") or entry["module"])
    return found


def canonical(static: set[str], dynamic: set[str]) -> tuple[set[str], set[str]]:
    names = static | dynamic

    def shortest(name: str) -> str:
        parts = name.split(".")
        return next(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in names)

    return {shortest(n) for n in static}, {shortest(n) for n in dynamic}


_CANNOT = re.compile(r"^error: cannot import (\S+)(?: \(imported from [^)]*\))?: (.*)$")
_NO_MODULE = re.compile(r"No module named '([^']+)'")


def missing_from_text(output: str) -> set[str]:
    """Missing names from `verify-imports` text output (as a failed build step prints it)."""
    found = set()
    for line in output.splitlines():
        match = _CANNOT.match(line.strip())
        if match:
            named = _NO_MODULE.search(match.group(2))
            found.add(named.group(1) if named else match.group(1))
    return found


def static_verdict(root: Path, dockerfile: str) -> set[str]:
    """check-dockerfiles' error findings that name a module, for one Dockerfile. A relative import
    (`.data_loaders`) is named by the file that makes it, as Python fails that file as a whole."""
    run = predguard("check-dockerfiles", "--root", root, "--format", "json")
    assert run.code in (0, 1), run.stderr
    findings = json.loads(run.stdout)["findings"]
    return {f["file"] if f["module"].startswith(".") else f["module"] for f in findings
            if f["dockerfile"] == dockerfile and f["severity"] == "error" and f.get("module")}


def dry_report(root: Path, dockerfile: str) -> dict[str, object]:
    run = predguard("dry-build", dockerfile, "--format", "json", cwd=root)
    assert run.code in (0, 1), run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def dry_verdict(root: Path, dockerfile: str) -> set[str]:
    report = dry_report(root, dockerfile)
    return {f.get("missing") or f.get("file") or f["module"] for f in report["failures"] if f["severity"] == "ERROR"}  # type: ignore[attr-defined]


def refresh_manifest(root: Path, dockerfile: str) -> Path:
    """The tree's manifest for `dockerfile`, derived from the tree's own code (an overlay may change it)."""
    manifest = root / Path(dockerfile).parent / "imports-manifest.json"
    run = predguard("imports-manifest", "--dockerfile", dockerfile, "-o", manifest, cwd=root)
    assert run.code == 0, run.stderr
    return manifest


def real_verdict(docker: Docker, root: Path, dockerfile: str, tag: str) -> tuple[set[str], bool]:
    """Build the image for real. Where the build's own verify step fails, its output is the
    verdict; where the image builds, the same check runs inside it with the runner's sys.path.
    Returns (missing names, whether the build itself failed at the verify step)."""
    manifest = refresh_manifest(root, dockerfile)
    dry = dry_report(root, dockerfile)
    files = {f["module"]: f["file"] for f in dry["failures"] if "file" in f}  # type: ignore[attr-defined]  # scripts -> repo paths
    built = docker.run("build", "--network", "none", "-f", dockerfile, "-t", tag, ".", cwd=root)
    output = built.stdout + built.stderr
    if built.returncode != 0:
        assert "verify" in output.split("Step ")[-1], f"the build failed before its verify step:\n{output[-2000:]}"
        return {files.get(name, name) for name in missing_from_text(output)}, True
    data = json.loads(manifest.read_text())
    sys_path = dry["sys_path"]
    modules = [m for m in data["modules"] if m["kind"] != "third_party"]
    staged = docker.home / f"check-{tag}"
    staged.mkdir()
    (staged / "manifest.json").write_text(json.dumps({"version": 1, "modules": modules}))
    shutil.copy(startup.__file__, staged / "startup.py")
    ran = docker.run("run", "--rm", "--network", "none", "-v", f"{staged}:/predguard-check:ro", "--entrypoint", "python",
                     tag, "-I", "-c", CHILD_PROGRAM, "/predguard-check/startup.py", "/predguard-check/manifest.json",
                     "import", json.dumps(sys_path))
    assert ran.stdout.strip(), f"the check did not run in the image: {ran.stderr[-2000:]}"
    return {files.get(name, name) for name in missing_from_report_lines(ran.stdout.splitlines())}, False
