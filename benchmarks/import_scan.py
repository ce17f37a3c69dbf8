"""Which per-file import scan should the hook use? `ast.parse` + our walk is the reference.

    python benchmarks/import_scan.py DIR          # every .py file under DIR (e.g. an extracted corpus)
    python benchmarks/import_scan.py --corpus mage-ai   # from benchmarks/check_speed.toml and $PREDGUARD_MIRRORS

Per file, best of 3, CPU time in this process (files read into memory first):
  reference     predguard.hooks.python.imports._parse: decode, ast.parse, the import walk
  ast.parse     the C parser alone (what any ast-based scan pays)
  tokenize      the standard tokenizer alone: the least a pure-Python statement-level scan pays
                to know where strings and comments are (a regex over lines is not a scanner:
                docstrings and strings holding "import x" fool it; its agreement is printed)
  regex lines   `^\\s*(import|from)\\s` over the lines, then the names (incorrect by design; shown
                for its speed and its disagreement with the reference)
  tree-sitter   tree-sitter + tree-sitter-python parse (if importable; a benchmark-only install),
                its import nodes compared with the reference's static imports
"""
from __future__ import annotations

import argparse
import ast
import io
import os
import re
import sys
import tempfile
import time
import tokenize
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

from predguard.hooks.python.imports import _parse

HERE = Path(__file__).resolve().parent
_LINE = re.compile(rb"^[ \t]*(?:import[ \t]+([\w., \t]+)|from[ \t]+(\.*[\w.]*)[ \t]+import\b)", re.M)


def reference_modules(path: Path, data: bytes) -> set[str]:
    parsed = _parse(path, data)
    return {("." * r.level) + r.module for r in parsed.imports if not r.dynamic}


def regex_modules(data: bytes) -> set[str]:
    found: set[str] = set()
    for plain, source in _LINE.findall(data):
        if plain:
            found.update(part.strip().split()[0] for part in plain.decode(errors="replace").split(",") if part.strip())
        elif source and source != b"__future__":
            found.add(source.decode(errors="replace"))
    return found


def best_of(runs: int, func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def tree_sitter_parser() -> tuple[Callable[[bytes], object], Callable[[object], set[str]]] | None:
    try:
        import tree_sitter
        import tree_sitter_python
    except ImportError:
        return None
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))

    def modules(tree: object) -> set[str]:
        found: set[str] = set()
        stack = [tree.root_node]  # type: ignore[attr-defined]
        while stack:
            node = stack.pop()
            if node.type == "import_statement":
                for child in node.children_by_field_name("name"):
                    target = child.child_by_field_name("name") if child.type == "aliased_import" else child
                    found.add(target.text.decode())
            elif node.type == "import_from_statement":
                module = node.child_by_field_name("module_name")
                if module is not None and module.text != b"__future__":
                    found.add(module.text.decode())
            stack.extend(node.children)
        return found

    return parser.parse, modules


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path)
    parser.add_argument("--corpus", help="a corpus of benchmarks/check_speed.toml, extracted from $PREDGUARD_MIRRORS")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(list(argv) if argv is not None else None)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.directory
        if directory is None:
            sys.path.insert(0, str(HERE))
            from _corpus import extract
            from check_speed import find_mirror

            corpus = next(c for c in tomllib.loads((HERE / "check_speed.toml").read_text())["corpus"] if c["name"] == args.corpus)
            mirror = find_mirror(corpus["repository"], Path(os.environ["PREDGUARD_MIRRORS"]) if "PREDGUARD_MIRRORS" in os.environ else None)
            if mirror is None:
                print(f"skipped: no mirror of {corpus['repository']} under $PREDGUARD_MIRRORS")
                return 0
            directory = Path(tmp)
            extract(mirror, corpus["commit"], directory)
        files = [(p, p.read_bytes()) for p in sorted(directory.rglob("*.py")) if p.is_file()]
        total = sum(len(d) for _, d in files)
        print(f"{len(files):,} .py files, {total / 1e6:.1f} MB, best of {args.runs}\n")

        def each(func: Callable[[Path, bytes], object]) -> Callable[[], None]:
            def run() -> None:
                for path, data in files:
                    func(path, data)  # results dropped at once: holding 2,000 syntax trees would time the GC
            return run

        def parse_only(path: Path, data: bytes) -> object:
            try:
                return ast.parse(data)
            except (SyntaxError, ValueError):
                return None

        def tokens_only(path: Path, data: bytes) -> object:
            try:
                return sum(1 for _ in tokenize.tokenize(io.BytesIO(data).readline))
            except (tokenize.TokenError, SyntaxError):
                return None

        rows = [("reference: ast.parse + import walk", best_of(args.runs, each(lambda p, d: _parse(p, d))), "reference")]
        rows.append(("ast.parse alone", best_of(args.runs, each(parse_only)), "-"))
        rows.append(("tokenize alone (pure-Python scan floor)", best_of(args.runs, each(tokens_only)), "-"))
        reference = {p: reference_modules(p, d) for p, d in files}
        differ = sum(1 for p, d in files if regex_modules(d) != reference[p])
        rows.append(("regex over lines", best_of(args.runs, each(lambda p, d: regex_modules(d))),
                     f"{differ:,} files differ ({differ / len(files):.0%})"))
        ts = tree_sitter_parser()
        if ts is not None:
            parse, modules = ts
            differ = sum(1 for p, d in files if modules(parse(d)) != reference[p])
            rows.append(("tree-sitter parse alone", best_of(args.runs, each(lambda p, d: parse(d))), "-"))
            rows.append(("tree-sitter parse + import nodes", best_of(args.runs, each(lambda p, d: modules(parse(d)))),
                         f"{differ:,} files differ ({differ / len(files):.0%})"))
        else:
            rows.append(("tree-sitter", float("nan"), "not installed (pip install tree-sitter tree-sitter-python)"))
        base = rows[0][1]
        print("| scan | CPU ms (all files) | vs reference | agreement with the reference (static imports) |")
        print("|---|---|---|---|")
        for name, seconds, agreement in rows:
            print(f"| {name} | {seconds * 1000:,.0f} | {seconds / base:.2f}x | {agreement} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
