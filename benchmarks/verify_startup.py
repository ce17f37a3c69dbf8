"""Start-up cost of predguard.verify.startup over a 500-module manifest: spec mode vs import mode.

    python benchmarks/verify_startup.py [--modules 500] [--runs 7]

A synthetic service tree (25 packages x 20 modules, each module a few lines importing the
standard library and a sibling) is written to a temp dir. Each measurement is a fresh
interpreter, as a service starts once: the time is what `verify_imports` reports (the check
itself, not interpreter start-up), median and worst of --runs. Baseline (named): the platform's
hand-kept "critical imports" loop — `for m in CRITICAL: importlib.import_module(m)` — over the
same 500 names, which imports everything and stops at the first failure.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBES = {
    "spec mode (find_spec, no module code)": "from predguard.verify.startup import verify_imports, load_manifest\n"
    "r = verify_imports(load_manifest(M), mode='spec'); assert r.ok; print(r.seconds)",
    "import mode (really import)": "from predguard.verify.startup import verify_imports, load_manifest\n"
    "r = verify_imports(load_manifest(M), mode='import'); assert r.ok; print(r.seconds)",
    "baseline: hand-kept import loop": "import importlib, time\n"
    "names = [l.strip() for l in open(M) if l.strip() and not l.startswith('#')]\n"
    "t = time.perf_counter()\nfor n in names: importlib.import_module(n)\nprint(time.perf_counter() - t)",
}


def make_tree(root: Path, count: int) -> Path:
    packages = max(1, count // 20)
    names = []
    for p in range(packages):
        package = root / "svc" / f"pkg{p:02d}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        names.append(f"svc.pkg{p:02d}")
        for m in range(count // packages - 1):
            sibling = f"from svc.pkg{p:02d} import mod{m - 1:02d}\n" if m else ""
            (package / f"mod{m:02d}.py").write_text(
                f"import json\nimport os\n{sibling}\nVALUE = {m}\n\ndef handler(x):\n    return json.dumps({{'x': x, 'pid': os.getpid()}})\n")
            names.append(f"svc.pkg{p:02d}.mod{m:02d}")
    (root / "svc" / "__init__.py").write_text("")
    names.insert(0, "svc")
    manifest = root / "manifest.txt"
    manifest.write_text("\n".join(names[:count]) + "\n")
    return manifest


def measure(probe: str, root: Path, manifest: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        code = f"import sys; sys.path.insert(0, {str(root)!r}); M = {str(manifest)!r}\n{probe}"
        out = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, text=True, check=True, timeout=120)
        times.append(float(out.stdout.strip()) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest = make_tree(root, args.modules)
        count = len(manifest.read_text().split())
        results = {name: measure(probe, root, manifest, args.runs) for name, probe in PROBES.items()}
    baseline = statistics.median(results["baseline: hand-kept import loop"])
    if args.json:
        print(json.dumps({k: {"median_ms": statistics.median(v), "max_ms": max(v)} for k, v in results.items()}))
        return
    print(f"{count} modules, {args.runs} fresh interpreters each (python -B: no bytecode cache, like a fresh image)\n")
    print(f"| {'check':<40} | median (ms) | worst (ms) | time vs baseline |")
    print(f"|{'-' * 42}|-------------|------------|------------------|")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"| {name:<40} | {median:11.1f} | {max(times):10.1f} | {median / baseline:15.2f}x |")


if __name__ == "__main__":
    main()
