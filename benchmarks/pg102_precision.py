"""How often is a PG102 error (third-party module not installed in its image) a real problem?

    python benchmarks/pg102_precision.py              # every repository of benchmarks/pg102-corpus.toml
    python benchmarks/pg102_precision.py --unlabelled # also print PG102 errors that have no label yet

Each repository's tree at its pinned commit is written from a local bare clone
($PREDGUARD_CORPUS_MIRRORS, or $PREDGUARD_MIRRORS; default ./.mirror; blobs absent from a partial snapshot are
skipped: they are images and data, never read) into a temp dir and checked as a user would
(`predguard check-dockerfiles --root DIR --format json`, nothing configured). PG102 errors are
joined with the hand labels of benchmarks/pg102-labels.toml:

    [[label]]
    repo = "generative-ai"
    key = "<dockerfile> PG102 <file>:<line> <module>"
    real = true
    why = "one line read from the repository: what the image installs and why the finding is (not) right"

Precision = labelled-true errors / labelled errors. Warnings are counted by their first reason.
A repository whose mirror is absent is skipped, saying so.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _corpus import extract, mirrors_directory  # benchmarks/ is on sys.path when a script there runs

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class Result:
    name: str
    dockerfiles: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: int = 0
    true: int = 0
    false: int = 0
    unlabelled: list[str] = field(default_factory=list)
    seconds: float = 0.0


def key(finding: dict[str, object]) -> str:
    return f"{finding['dockerfile']} {finding['code']} {finding['file']}:{finding['line']} {finding['module']}"


def measure(name: str, mirror: Path, commit: str, labels: dict[tuple[str, str], bool], reasons: Counter[str]) -> Result:
    result = Result(name)
    with tempfile.TemporaryDirectory(prefix=f"pg102-{name}-") as tmp:
        root = Path(tmp)
        extract(mirror, commit, root)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "predguard.cli", "check-dockerfiles", "--root", str(root), "--format", "json"],
                              capture_output=True, text=True, cwd=root, env={**os.environ, "NO_COLOR": "1"})
        result.seconds = time.perf_counter() - started
    document = json.loads(proc.stdout)
    result.dockerfiles = len(document["dockerfiles"])
    for finding in document["findings"]:
        if finding["code"] != "PG102":
            continue
        if finding["severity"] != "error":
            result.warnings += 1
            why = finding["message"].partition(" [")[2] or "-"
            reasons[_reason_kind(why)] += 1
            continue
        k = key(finding)
        result.errors.append(k)
        label = labels.get((name, k))
        if label is None:
            result.unlabelled.append(f"{k}  # {finding['message']} | fix: {finding['fix']}")
        elif label:
            result.true += 1
        else:
            result.false += 1
    return result


def _reason_kind(why: str) -> str:
    for needle, kind in (("optional", "optional import"), ("base image", "unknown base image"),
                         ("dependency of", "a distribution whose dependencies no map knows"),
                         ("whose modules predguard does not know", "a distribution whose modules no map knows"),
                         ("no uv.lock", "no lock file in the image"), ("no poetry.lock", "no lock file in the image"),
                         ("computed at build time", "dependencies computed by setup.py"),
                         ("not copied into the image", "a requirements file the image does not have"),
                         ("VCS checkout", "a VCS checkout"), ("unset", "an unset variable")):
        if needle in why:
            return kind
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=HERE / "pg102-corpus.toml")
    parser.add_argument("--labels", type=Path, default=HERE / "pg102-labels.toml")
    parser.add_argument("--unlabelled", action="store_true")
    args = parser.parse_args(argv)
    mirrors = mirrors_directory()
    labels = {(row["repo"], row["key"]): bool(row["real"])
              for row in (tomllib.loads(args.labels.read_text()).get("label", []) if args.labels.is_file() else [])}
    reasons: Counter[str] = Counter()
    results = []
    for repo in tomllib.loads(args.corpus.read_text())["repo"]:
        mirror = mirrors / repo["mirror"]
        if not mirror.is_dir():
            print(f"skipped {repo['name']}: no bare clone at {mirror} (fetch {repo['url']} there)", file=sys.stderr)
            continue
        results.append(measure(repo["name"], mirror, repo["commit"], labels, reasons))
        if args.unlabelled:
            for line in results[-1].unlabelled:
                print(f"{repo['name']}: {line}")
    rows = ["| repository | Dockerfiles | PG102 errors | labelled true | labelled false | PG102 warnings | check time (s) |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        unl = f" (+{len(r.unlabelled)} unlabelled)" if r.unlabelled else ""
        rows.append(f"| {r.name} | {r.dockerfiles} | {len(r.errors)}{unl} | {r.true} | {r.false} | {r.warnings} | {r.seconds:.1f} |")
    true, false = sum(r.true for r in results), sum(r.false for r in results)
    precision = f"{100 * true / (true + false):.0f}%" if true + false else "n/a"
    rows.append(f"| **all** | {sum(r.dockerfiles for r in results)} | {sum(len(r.errors) for r in results)} | {true} | {false} "
                f"| {sum(r.warnings for r in results)} | {sum(r.seconds for r in results):.1f} |")
    print("\n".join(rows))
    print(f"\nPG102 error precision: {precision} ({true} of {true + false} labelled errors are real)")
    print("\n| why a PG102 finding is a warning (first reason) | findings |\n|---|---:|")
    for kind, count in reasons.most_common():
        print(f"| {kind} | {count} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
