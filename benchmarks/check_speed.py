"""How fast is `predguard check-dockerfiles` as a pre-commit hook, against import-graph tools
on the same tree in the same run?

    python benchmarks/check_speed.py                      # every corpus in check_speed.toml, 5 runs each
    python benchmarks/check_speed.py --corpus mage-ai --runs 7
    python benchmarks/check_speed.py --profile mage-ai    # cProfile of one cold and one warm check

Each corpus is a public monorepo pinned in benchmarks/check_speed.toml, read from a bare git
mirror (`<owner>+<name>/repo` under --mirrors or $PREDGUARD_MIRRORS; skipped with a message when
absent) and extracted into a temporary directory. Every measurement is a whole process (interpreter
start included), timed with os.wait4: CPU = user + system of the process, wall, and peak RSS.
Scenarios for predguard:
  cold      no cache (the cache directory is deleted before each run), every Dockerfile
  warm      nothing changed since the previous run, every Dockerfile
  1 .py     one Python file edited, passed as pre-commit passes it (FILES): once keeping its
            imports (a comment), once with a new import (its importers are checked again)
  1 Dockerfile   one Dockerfile edited, passed as FILES
Baselines, same tree, same run: grimp.build_graph cold (no cache) and warm (its own cache),
`ruff analyze graph`, `deptry`. And the bundled example platform (examples/prediction-platform):
the hook's process as pre-commit starts it for one changed file, and the real `pre-commit run`.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _corpus import extract  # benchmarks/ is on sys.path when a script there runs

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPORA = HERE / "check_speed.toml"
BIN = Path(sys.executable).parent
CACHE_DIR = ".predguard_cache"
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None  # for peak RSS only
# Every tool runs as installed: with its bytecode (pip compiles at install; an editable checkout
# writes it on the first run). PYTHONDONTWRITEBYTECODE would make each run compile its modules again.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Sample:
    cpu: float  # seconds, user + system
    wall: float  # seconds
    rss_mb: float  # peak resident set size
    code: int


@dataclass(frozen=True)
class Row:
    name: str
    samples: tuple[Sample, ...]

    def _stat(self, attr: str) -> tuple[float, float, float]:
        values = [getattr(s, attr) for s in self.samples]
        return statistics.median(values), min(values), max(values)

    @property
    def cpu(self) -> float:
        return self._stat("cpu")[0]

    @property
    def wall(self) -> float:
        return self._stat("wall")[0]

    @property
    def rss(self) -> float:
        return max(s.rss_mb for s in self.samples)

    def cells(self) -> tuple[str, str, str]:
        def fmt(attr: str) -> str:
            med, lo, hi = self._stat(attr)
            return f"{med * 1000:,.0f} ({lo * 1000:,.0f}–{hi * 1000:,.0f})"
        return fmt("cpu"), fmt("wall"), f"{self.rss:,.0f}"


def run_once(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    # A child's ru_maxrss starts at its parent's RSS (fork/vfork, kept across exec), so this
    # process's own ~30 MB would show up as every tool's peak: GNU time (a ~2 MB process) starts
    # the command and reports its peak instead. CPU comes from wait4 (time's own share is ~1 ms).
    with tempfile.NamedTemporaryFile(prefix="rss-") as rss_file:
        wrapped = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd] if GNU_TIME else list(cmd)
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        lines = Path(rss_file.name).read_text().split() if GNU_TIME else []
    rss_kb = float(lines[-1]) if lines and lines[-1].isdigit() else usage.ru_maxrss
    if code not in (0, 1):
        sys.stderr.write(f"  note: {' '.join(cmd[:3])}... exited {code}: {err.decode(errors='replace')[:300]}\n")
    return Sample(usage.ru_utime + usage.ru_stime, wall, rss_kb / 1024, code)


def measure(name: str, cmd: Sequence[str], cwd: Path, runs: int, *, before: Callable[[int], None] | None = None,
            prime: bool = False, env: dict[str, str] | None = None) -> Row:
    if prime:
        run_once(cmd, cwd, env)
    samples = []
    for i in range(runs):
        if before is not None:
            before(i)
        samples.append(run_once(cmd, cwd, env))
    print(f"  {name}: cpu {statistics.median(s.cpu for s in samples) * 1000:,.0f} ms", file=sys.stderr)
    return Row(name, tuple(samples))


# --- corpora ------------------------------------------------------------------------------------

def find_mirror(repository: str, mirrors: Path | None) -> Path | None:
    if mirrors is None:
        return None
    candidate = mirrors / repository.replace("/", "+") / "repo"
    return candidate if candidate.is_dir() else None


def predguard_cmd(*args: str) -> list[str]:
    script = BIN / "predguard"  # the console script pre-commit runs
    base = [str(script)] if script.exists() else [sys.executable, "-m", "predguard.cli"]
    return [*base, "check-dockerfiles", *args]


class Editor:
    """Edits a file before each run (a new comment line, so size and content change) and restores it.
    With `imports`, each edit adds a deferred import that differs from the previous run's, so the
    file's import scan changes too and every image whose closure holds it is checked again."""

    def __init__(self, path: Path, comment: str = "#", *, imports: bool = False) -> None:
        self.path = path
        self.original = path.read_bytes()
        self.comment = comment
        self.imports = imports

    def __call__(self, i: int) -> None:
        added = f"\ndef _edit_{i}():\n    import {('json', 'csv')[i % 2]}\n" if self.imports else ""
        self.path.write_bytes(self.original + f"\n{self.comment} edit {i} {time.time_ns()}\n{added}".encode())

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def bench_corpus(corpus: dict, tree: Path, runs: int) -> list[Row]:
    rows: list[Row] = []

    def clear_cache(_: int) -> None:
        shutil.rmtree(tree / CACHE_DIR, ignore_errors=True)

    full = predguard_cmd("--format", "json")
    rows.append(measure("predguard cold full check", full, tree, runs, before=clear_cache))
    rows.append(measure("predguard warm full check", full, tree, runs, prime=True))
    py = Editor(tree / corpus["changed_py"])
    rows.append(measure(f"predguard 1 changed .py ({corpus['changed_py']}, same imports)",
                        predguard_cmd("--format", "json", corpus["changed_py"]), tree, runs, before=py, prime=True))
    py.restore()
    py = Editor(tree / corpus["changed_py"], imports=True)
    rows.append(measure(f"predguard 1 changed .py ({corpus['changed_py']}, a new import)",
                        predguard_cmd("--format", "json", corpus["changed_py"]), tree, runs, before=py, prime=True))
    py.restore()
    df = Editor(tree / corpus["changed_dockerfile"])
    rows.append(measure(f"predguard 1 changed Dockerfile ({corpus['changed_dockerfile']})",
                        predguard_cmd("--format", "json", corpus["changed_dockerfile"]), tree, runs, before=df, prime=True))
    df.restore()

    if corpus.get("grimp"):
        paths = [str((tree / p).resolve()) for p, _ in corpus["grimp"]]
        packages = [name for _, name in corpus["grimp"]]
        grimp_cache = Path(tempfile.mkdtemp(prefix="grimp-cache-"))
        code = ("import sys; sys.path[:0] = {paths!r}; import grimp; "
                "grimp.build_graph(*{packages!r}, cache_dir={cache!r})")
        cold = [sys.executable, "-c", code.format(paths=paths, packages=packages, cache=None)]
        warm = [sys.executable, "-c", code.format(paths=paths, packages=packages, cache=str(grimp_cache))]
        rows.append(measure("grimp.build_graph cold (cache_dir=None)", cold, tree, runs))
        rows.append(measure("grimp.build_graph warm (its cache)", warm, tree, runs, prime=True))
        shutil.rmtree(grimp_cache, ignore_errors=True)
    ruff = shutil.which("ruff", path=str(BIN)) or shutil.which("ruff")
    if ruff:
        rows.append(measure("ruff analyze graph", [ruff, "analyze", "graph", "."], tree, runs))
    deptry = shutil.which("deptry", path=str(BIN)) or shutil.which("deptry")
    if deptry:
        rows.append(measure("deptry", [deptry, "."], tree, runs))
    return rows


def bench_platform(runs: int) -> list[Row]:
    """The bundled example platform: the hook process for one changed file (what pre-commit starts),
    a full check, and the real `pre-commit run` with a local hook running the same command."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="platform-") as tmp:
        tree = Path(tmp, "platform")
        shutil.copytree(REPO / "examples" / "prediction-platform", tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        changed = next(p for p in sorted(tree.rglob("*.py")) if "predictions" in p.parts).relative_to(tree).as_posix()
        editor = Editor(tree / changed)
        # The floor on this machine right now: wall time is mostly load when other jobs run.
        rows.append(measure("reference: bare interpreter start (python -c pass)", [sys.executable, "-c", "pass"], tree, runs))
        rows.append(measure(f"hook process, 1 changed .py ({changed})", predguard_cmd(changed), tree, runs, before=editor, prime=True))
        rows.append(measure("hook process, full check (warm)", predguard_cmd(), tree, runs, prime=True))
        precommit = BIN / "pre-commit"
        if precommit.exists() and shutil.which("git"):
            env = {k: v for k, v in ENV.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
            env.update(PRE_COMMIT_HOME=str(Path(tmp, "pc-home")), GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b",
                       GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@b", GIT_CONFIG_NOSYSTEM="1", HOME=tmp)
            entry = " ".join(predguard_cmd())
            (tree / ".pre-commit-config.yaml").write_text(
                "repos:\n- repo: local\n  hooks:\n  - id: dockerfile-imports\n    name: dockerfile-imports\n"
                f"    entry: {entry}\n    language: system\n    files: '\\.py$|Dockerfile'\n    require_serial: true\n")
            subprocess.run(["git", "init", "-q", "."], cwd=tree, env=env, check=True)
            subprocess.run(["git", "add", "-A"], cwd=tree, env=env, check=True)
            rows.append(measure(f"pre-commit run --files {changed} (framework + hook)",
                                [str(precommit), "run", "--files", changed], tree, runs, before=editor, prime=True, env=env))
        editor.restore()
    return rows


def bench_edges(runs: int) -> list[Row]:
    """Large inputs: a 100,000-line Dockerfile (RUN continuations and ENV lines) and a Dockerfile
    with one 10 MB RUN line, each alone in its context and checked in full."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="edges-") as tmp:
        long_dir, wide_dir = Path(tmp, "long"), Path(tmp, "wide")
        for directory in (long_dir, wide_dir):
            directory.mkdir()
            (directory / "app.py").write_text("import json\n")
        body = "".join(f"RUN echo {i} \\\n  && true\n" if i % 2 else f"ENV V{i}=x{i}\n" for i in range(66_666))
        (long_dir / "Dockerfile").write_text(f"FROM python:3.12\nWORKDIR /app\nCOPY app.py .\n{body}CMD [\"python\", \"app.py\"]\n")
        (wide_dir / "Dockerfile").write_text("FROM python:3.12\nWORKDIR /app\nCOPY app.py .\nRUN echo " + "x" * 10_000_000
                                             + "\nCMD [\"python\", \"app.py\"]\n")
        lines = sum(1 for _ in (long_dir / "Dockerfile").open())
        rows.append(measure(f"{lines:,}-line Dockerfile", predguard_cmd("--no-cache", "Dockerfile"), long_dir, runs))
        rows.append(measure("10 MB single-line Dockerfile", predguard_cmd("--no-cache", "Dockerfile"), wide_dir, runs))
    return rows


# --- report -------------------------------------------------------------------------------------

def table(rows: Sequence[Row], baseline: Row | None) -> str:
    head = "| measurement | CPU ms median (min–max) | wall ms median (min–max) | peak RSS MB |"
    lines = [head + (f" CPU vs {baseline.name.split(' (')[0]} |" if baseline else ""),
             "|---|---|---|---|" + ("---|" if baseline else "")]
    for row in rows:
        cpu, wall, rss = row.cells()
        ratio = f" {row.cpu / baseline.cpu:.2f}x |" if baseline else ""
        lines.append(f"| {row.name} | {cpu} | {wall} | {rss} |{ratio}")
    return "\n".join(lines)


def targets(rows: Sequence[Row], platform: Sequence[Row]) -> str:
    by = {r.name.split(" (")[0]: r for r in rows}
    lines = ["| target (issue 10) | measured | wanted | holds |", "|---|---|---|---|"]

    def add(what: str, measured: float, limit: float, unit: str, fmt: str = "{:.0f}") -> None:
        lines.append(f"| {what} | {fmt.format(measured)} {unit} | <= {fmt.format(limit)} {unit} | {'yes' if measured <= limit else 'NO'} |")

    cold, warm = by.get("predguard cold full check"), by.get("predguard warm full check")
    one = next((r for r in rows if r.name.startswith("predguard 1 changed .py") and r.name.endswith("same imports)")), None)
    new_import = next((r for r in rows if r.name.startswith("predguard 1 changed .py") and r.name.endswith("a new import)")), None)
    gcold, gwarm = by.get("grimp.build_graph cold"), by.get("grimp.build_graph warm")
    if cold and gcold:
        add("cold full check CPU / grimp cold CPU", cold.cpu / gcold.cpu, 2.0, "x", "{:.2f}")
    if warm and gwarm:
        add("warm full check CPU / grimp warm CPU", warm.cpu / gwarm.cpu, 1.0, "x", "{:.2f}")
    if one and warm:
        add("1 changed .py (same imports) CPU - warm full check CPU", (one.cpu - warm.cpu) * 1000, 50, "ms")
    if new_import and warm:
        add("1 changed .py (a new import) CPU - warm full check CPU", (new_import.cpu - warm.cpu) * 1000, 50, "ms")
    if rows:
        add("peak RSS of any predguard run", max(r.rss for r in rows if r.name.startswith("predguard")), 150, "MB")
    hook = next((r for r in platform if r.name.startswith("hook process, 1 changed")), None)
    if hook:
        add("example platform: hook process wall, 1 changed file", hook.wall * 1000, 150, "ms")
    return "\n".join(lines)


def profile(tree: Path) -> None:
    """cProfile of one cold and one warm full check in this process (top 25 by own time)."""
    from predguard.hooks import check_dockerfiles

    for label in ("cold", "warm"):
        if label == "cold":
            shutil.rmtree(tree / CACHE_DIR, ignore_errors=True)
        profiler = cProfile.Profile()
        out, sys.stdout = sys.stdout, io.StringIO()
        try:
            profiler.runcall(check_dockerfiles.main, ["--root", str(tree), "--format", "json"])
        finally:
            sys.stdout = out
        print(f"\n### {label} full check, top 25 by own time\n```")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        print("```")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=os.environ.get("PREDGUARD_MIRRORS") or os.environ.get("PREDGUARD_CORPUS_MIRRORS"),
                        help="directory holding <owner>+<name>/repo bare mirrors (default: $PREDGUARD_MIRRORS)")
    parser.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", metavar="CORPUS", help="profile one cold and one warm check on CORPUS instead")
    parser.add_argument("--no-platform", action="store_true", help="skip the bundled example platform")
    parser.add_argument("--no-edges", action="store_true", help="skip the large-input Dockerfiles")
    args = parser.parse_args(argv)
    corpora = tomllib.loads(CORPORA.read_text())["corpus"]
    wanted = [args.profile] if args.profile else args.corpus
    if wanted:
        corpora = [c for c in corpora if c["name"] in wanted]
    print(f"# check-dockerfiles speed — {time.strftime('%a %d %b %Y %H:%M')}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, median of {args.runs} runs\n")
    platform_rows = [] if args.no_platform or args.profile else bench_platform(args.runs)
    if platform_rows:
        print("## bundled example platform (examples/prediction-platform)\n")
        print(table(platform_rows, None) + "\n")
    if not args.profile and not args.no_edges:
        print("## large inputs (each alone in its context, no cache; target < 1 s)\n")
        print(table(bench_edges(args.runs), None) + "\n")
    judged: list[tuple[str, list[Row]]] = []
    for corpus in corpora:
        mirror = find_mirror(corpus["repository"], args.mirrors)
        if mirror is None:
            print(f"## {corpus['name']}: skipped — no mirror of {corpus['repository']} under --mirrors/$PREDGUARD_MIRRORS "
                  f"({args.mirrors or 'not set'}); fetch it as a bare git dir <owner>+<name>/repo\n")
            continue
        with tempfile.TemporaryDirectory(prefix=f"{corpus['name']}-") as tmp:
            tree = Path(tmp)
            written, missing = extract(mirror, corpus["commit"], tree)
            py = sum(1 for _ in tree.rglob("*.py"))
            print(f"## {corpus['name']} ({corpus['repository']} @ {corpus['commit'][:12]}): {written:,} files "
                  f"({py:,} .py; {missing} blobs over the mirror's size limit left out)\n")
            if args.profile:
                profile(tree)
                continue
            rows = bench_corpus(corpus, tree, args.runs)
            baseline = next((r for r in rows if r.name.startswith("grimp.build_graph cold")), None)
            print(table(rows, baseline) + "\n")
            if baseline is not None:  # the targets are judged on each corpus grimp can build
                judged.append((corpus["name"], rows))
    for name, rows in judged:
        print(f"## targets on {name} (ratios from this run)\n")
        print(targets(rows, []) + "\n")
    if platform_rows:
        print("## target on the example platform\n")
        print(targets([], platform_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
