"""How often is an error from `predguard check-dockerfiles` a real problem? The precision corpus.

    python benchmarks/precision.py                 # every repository of benchmarks/corpus.toml
    python benchmarks/precision.py feast kserve    # some of them
    python benchmarks/precision.py --unlabelled    # also list error findings that have no label yet

Each repository is extracted at its pinned commit (its tree, from a local bare clone under
$PREDGUARD_CORPUS_MIRRORS, or $PREDGUARD_MIRRORS; default ./.mirror) into a temp dir, checked as a user would
(`predguard check-dockerfiles --root DIR --format json`, nothing configured), and its error
findings are joined with the hand labels of benchmarks/corpus-labels.toml:

    [[label]]
    repo = "feast"                                   # a name from corpus.toml
    key = "sdk/Dockerfile PG105 sdk/Dockerfile:12 -" # "<dockerfile> <code> <file>:<line> <module or ->" (printed by --unlabelled)
    real = false                                     # true: the image really is broken there
    why = "one line read from the code: what the image does and why the finding is (not) right"

Precision = labelled-true errors / labelled errors; an error without a label is listed and
counted as unlabelled (not as true). A repository whose mirror is absent is skipped, saying so.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _corpus import extract, mirrors_directory  # benchmarks/ is on sys.path when a script there runs

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class RepoResult:
    name: str
    dockerfiles: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # finding keys
    warnings: int = 0
    notes: int = 0
    listing: list[str] = field(default_factory=list)  # every finding, for --all
    true: int = 0
    false: int = 0
    unlabelled: list[str] = field(default_factory=list)
    false_per_dockerfile: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def finding_key(finding: dict[str, object]) -> str:
    return f"{finding['dockerfile']} {finding['code']} {finding['file']}:{finding['line']} {finding.get('module') or '-'}"


def run_check(root: Path) -> tuple[dict[str, object], float]:
    import time

    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "predguard.cli", "check-dockerfiles", "--root", str(root), "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=root)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1, 2) or not proc.stdout.strip():
        raise SystemExit(f"check failed on {root} (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout), elapsed


def load_labels(path: Path) -> dict[tuple[str, str], tuple[bool, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    labels: dict[tuple[str, str], tuple[bool, str]] = {}
    for row in data.get("label", []):
        labels[(row["repo"], row["key"])] = (bool(row["real"]), str(row.get("why", "")))
    return labels


def measure(name: str, mirror: Path, commit: str, labels: dict[tuple[str, str], tuple[bool, str]]) -> RepoResult:
    result = RepoResult(name)
    with tempfile.TemporaryDirectory(prefix=f"corpus-{name}-") as tmp:
        root = Path(tmp)
        extract(mirror, commit, root, checkout=True)
        document, result.seconds = run_check(root)
    dockerfiles = document["dockerfiles"]
    assert isinstance(dockerfiles, list)
    result.dockerfiles = len(dockerfiles)
    result.statuses.update(str(d["status"]) for d in dockerfiles)
    findings = document["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        result.listing.append(f"{finding['severity']:7} {finding_key(finding)}  # {finding['message']}")
        result.warnings += finding["severity"] == "warning"
        result.notes += finding["severity"] == "note"
        if finding["severity"] != "error":
            continue
        key = finding_key(finding)
        result.errors.append(key)
        label = labels.get((name, key))
        if label is None:
            result.unlabelled.append(f"{key}  # {finding['message']}")
        elif label[0]:
            result.true += 1
        else:
            result.false += 1
            result.false_per_dockerfile[str(finding["dockerfile"])] += 1
    return result


def _precision(true: int, false: int) -> str:
    return f"{100 * true / (true + false):.0f}%" if true + false else "n/a"


def table(results: list[RepoResult]) -> str:
    rows = ["| repository | Dockerfiles | statuses | errors | true errors | precision | most false errors in one Dockerfile | warnings | notes |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r.statuses.items()))
        worst = max(r.false_per_dockerfile.values(), default=0)
        unl = f" (+{len(r.unlabelled)} unlabelled)" if r.unlabelled else ""
        rows.append(f"| {r.name} | {r.dockerfiles} | {statuses} | {len(r.errors)}{unl} | {r.true} | {_precision(r.true, r.false)} "
                    f"| {worst} | {r.warnings} | {r.notes} |")
    total_true = sum(r.true for r in results)
    total_false = sum(r.false for r in results)
    statuses_total: Counter[str] = Counter()
    for r in results:
        statuses_total.update(r.statuses)
    rows.append(
        f"| **all** | {sum(r.dockerfiles for r in results)} | {', '.join(f'{k} {v}' for k, v in sorted(statuses_total.items()))} "
        f"| {sum(len(r.errors) for r in results)} | {total_true} | {_precision(total_true, total_false)} "
        f"| {max((max(r.false_per_dockerfile.values(), default=0) for r in results), default=0)} "
        f"| {sum(r.warnings for r in results)} | {sum(r.notes for r in results)} |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="repositories of corpus.toml to run (default: all)")
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus.toml")
    parser.add_argument("--labels", type=Path, default=HERE / "corpus-labels.toml")
    parser.add_argument("--unlabelled", action="store_true", help="list error findings without a label")
    parser.add_argument("--all", action="store_true", help="list every finding (errors, warnings, notes)")
    args = parser.parse_args(argv)
    mirrors = mirrors_directory()
    corpus = tomllib.loads(args.corpus.read_text(encoding="utf-8"))["repo"]
    labels = load_labels(args.labels)
    results: list[RepoResult] = []
    for repo in corpus:
        if args.names and repo["name"] not in args.names:
            continue
        mirror = mirrors / repo["mirror"]
        if not mirror.is_dir():
            print(f"skipped {repo['name']}: no bare clone at {mirror} (fetch {repo['url']} there)", file=sys.stderr)
            continue
        results.append(measure(repo["name"], mirror, repo["commit"], labels))
        if args.unlabelled:
            for line in results[-1].unlabelled:
                print(f"{repo['name']}: {line}")
        if args.all:
            for line in results[-1].listing:
                print(f"{repo['name']}: {line}")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
