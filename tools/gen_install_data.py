"""Regenerate the install model's shipped data (hooks/data/module_map.json, dependencies.json,
and the 3.11 module list of stdlib.json) from real wheels.

    mkdir /tmp/wheels && pip download --no-deps --only-binary=:all: --python-version 3.11 \\
        --platform manylinux2014_x86_64 --platform any -d /tmp/wheels <distribution>...
    python3.11 tools/gen_install_data.py /tmp/wheels

Each wheel's RECORD gives the module prefixes it installs (the same rule predguard applies to
installed distributions: predguard.hooks.installs.distributions.modules_from_record), and its
METADATA gives the dependencies: unconditional Requires-Dist under "", and those an extra adds
under the extra's name (markers other than `extra` are kept as dependencies: a map that says
"maybe installed" only hides findings, never invents them). ALTERNATIVES adds distributions that
ship the same modules under another name (their wheels are large; their RECORDs match the
listed twin's).
"""
from __future__ import annotations

import email.parser
import json
import re
import sys
import zipfile
from pathlib import Path

from predguard.hooks.installs.distributions import modules_from_record
from predguard.hooks.installs.names import normalise, parse_specifier

DATA = Path(__file__).resolve().parent.parent / "hooks" / "data"
# module prefix -> further distributions that install it (same RECORD as the downloaded twin).
ALTERNATIVES = {
    "cv2": ["opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless"],
    "psycopg2": ["psycopg2"],
    "PIL": ["pillow-simd"],
}
_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def read_wheel(path: Path) -> tuple[str, str, set[str], dict[str, list[str]]]:
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode("utf-8", "replace"))
        record = wheel.read(f"{dist_info}/RECORD").decode("utf-8", "replace")
    files = [line.split(",")[0] for line in record.splitlines() if line.strip()]
    deps: dict[str, list[str]] = {"": []}
    for requirement in meta.get_all("Requires-Dist") or []:
        spec = parse_specifier(requirement)
        if spec is None or spec.name is None:
            continue
        extra = _EXTRA.search(spec.marker or "")
        key = normalise(extra.group(1)) if extra else ""
        bucket = deps.setdefault(key, [])
        if spec.name not in bucket:
            bucket.append(spec.name)
    return normalise(meta["Name"]), meta["Version"], modules_from_record(files), deps


def main(wheel_dir: str) -> int:
    modules: dict[str, list[str]] = {}
    dependencies: dict[str, dict[str, list[str]]] = {}
    versions: dict[str, str] = {}
    for path in sorted(Path(wheel_dir).glob("*.whl")):
        name, version, provided, deps = read_wheel(path)
        versions[name] = version
        dependencies[name] = {k: v for k, v in deps.items() if v or k == ""}
        for module in provided:
            modules.setdefault(module, [])
            if name not in modules[module]:
                modules[module].append(name)
    for module, others in ALTERNATIVES.items():
        if module in modules:
            modules[module] += [o for o in others if o not in modules[module]]
    source = "RECORD and METADATA of the wheels listed under `distributions` (tools/gen_install_data.py)"
    (DATA / "module_map.json").write_text(json.dumps(
        {"source": source, "alternatives": ALTERNATIVES, "distributions": versions, "modules": dict(sorted(modules.items()))},
        indent=1, sort_keys=False) + "\n", encoding="utf-8")
    (DATA / "dependencies.json").write_text(json.dumps(
        {"source": source, "dependencies": dict(sorted(dependencies.items()))}, indent=1) + "\n", encoding="utf-8")
    if sys.version_info[:2] == (3, 11):
        stdlib_path = DATA / "stdlib.json"
        stdlib = json.loads(stdlib_path.read_text(encoding="utf-8"))
        stdlib["modules"] = sorted(set(sys.stdlib_module_names) | set(sys.builtin_module_names))
        stdlib_path.write_text(json.dumps(stdlib, indent=1) + "\n", encoding="utf-8")
    print(f"{len(versions)} wheels, {len(modules)} module prefixes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
