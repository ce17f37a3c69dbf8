"""Read one Python file and list every import it can make at run time.

Module-level, deferred (inside functions), class-level and conditional imports all count:
the incident was a deferred import that unit tests never executed. `if TYPE_CHECKING:` bodies
never run and are skipped; imports inside `try: ... except ImportError:` are marked optional.
`importlib.import_module("literal")` and `__import__("literal")` count as imports.

Files are parsed once per process and cached by (path, mtime, size): the hook checks several
Dockerfiles that share `shared/`. Only the import list is kept, never the syntax tree, so a 5 MB
generated module costs one parse and a few bytes of cache.
"""
from __future__ import annotations

import ast
import bisect
import io
import os
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from predguard.hooks import cache, replay

# `# predguard: ignore`, `# predguard: ignore[PG101]`, `# predguard: ignore[PG101, PG104]`
_PRAGMA = re.compile(r"#\s*predguard:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?")
# Handlers that catch a failed import: the import is optional (a degraded feature, not a crash).
# Python's own line ends (str.splitlines also splits at \f, \x1c, \u2028 ..., which would shift line numbers).
_NEWLINE = re.compile(r"\r\n|\r|\n")
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass(frozen=True)
class ImportRef:
    """One import the file can perform."""

    module: str  # dotted name as written ("" for `from . import x`)
    level: int  # 0 absolute, >0 relative (number of leading dots)
    names: tuple[str, ...]  # `from module import names` ("*" for a star import); () for `import module`
    line: int  # 1-based
    column: int  # 1-based, in characters
    optional: bool  # inside `try:` whose handlers catch ImportError
    dynamic: bool = False  # importlib.import_module / __import__


@dataclass(frozen=True)
class ParseProblem:
    message: str
    line: int
    column: int


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    imports: tuple[ImportRef, ...]
    problem: ParseProblem | None  # set when the file cannot be parsed (PG104); imports is then ()
    suppressions: dict[int, frozenset[str]]  # line -> suppressed codes ("*" = every code)
    trivial: bool = False  # nothing but comments and a docstring (an `__init__.py` that changes nothing)

    def suppressed(self, line: int, code: str) -> bool:
        codes = self.suppressions.get(line)
        return codes is not None and ("*" in codes or code in codes)


_cache: dict[tuple[str, int, int], ParsedFile] = {}
CACHE_KIND = "imports"


def parse_file(path: Path) -> ParsedFile:
    """The imports of `path`, parsed at most once per process while the file is unchanged, and
    not at all when the persistent cache (predguard.hooks.cache) holds this exact content."""
    try:
        stat = path.stat()
        key = (os.fspath(path), stat.st_mtime_ns, stat.st_size)
        cached = _cache.get(key)
        if cached is None:
            with replay.paused():  # a run's record keeps this file's scan, not its bytes
                cached = _cache[key] = _scan(path, path.read_bytes(), stat.st_size, stat.st_mtime_ns)
    except OSError as exc:  # vanished, a directory, a symlink loop, unreadable
        replay.failed(path)  # e.g. a chmod that makes it readable must be seen
        return ParsedFile(path, (), ParseProblem(f"cannot be read: {exc.strerror or exc}", 1, 1), {})
    replay.scanned(path, stat, lambda: to_json(cached))
    return cached


def clear_cache() -> None:
    """Forget this process's parses (a new run: files may have changed with the same size and mtime)."""
    _cache.clear()


def _scan(path: Path, data: bytes, size: int, mtime_ns: int) -> ParsedFile:
    store = cache.active()
    if store is None:
        return _parse(path, data)
    digest = cache.content_hash(data)
    name = os.fspath(path)
    parsed = _from_json(path, store.get(CACHE_KIND, name, size, mtime_ns, digest))
    if parsed is None:
        parsed = _parse(path, data)
        store.put(CACHE_KIND, name, size, mtime_ns, digest, to_json(parsed))
    return parsed


def to_json(parsed: ParsedFile) -> dict[str, Any]:
    problem = parsed.problem
    return {
        "imports": [[r.module, r.level, list(r.names), r.line, r.column, r.optional, r.dynamic] for r in parsed.imports],
        "problem": [problem.message, problem.line, problem.column] if problem else None,
        "suppressions": {str(line): sorted(codes) for line, codes in parsed.suppressions.items()},
        "trivial": parsed.trivial,
    }


def _from_json(path: Path, value: Any) -> ParsedFile | None:
    """A cached scan back as a ParsedFile; None for anything malformed (then the file is parsed)."""
    if not isinstance(value, dict):
        return None
    try:
        imports = tuple(
            ImportRef(str(m), int(lv), tuple(str(n) for n in names), int(ln), int(col), bool(opt), bool(dyn))
            for m, lv, names, ln, col, opt, dyn in value["imports"]
        )
        raw = value["problem"]
        problem = ParseProblem(str(raw[0]), int(raw[1]), int(raw[2])) if raw is not None else None
        suppressions = {int(line): frozenset(str(c) for c in codes) for line, codes in value["suppressions"].items()}
        trivial = value["trivial"]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return ParsedFile(path, imports, problem, suppressions, trivial is True)


def _parse(path: Path, data: bytes) -> ParsedFile:
    text, problem = _decode(data)
    suppressions = _suppressions(text if text is not None else data.decode("utf-8", "replace"))
    if problem is None and text is not None:
        try:
            tree = ast.parse(text, filename=os.fspath(path))
        except SyntaxError as exc:
            problem = ParseProblem(_syntax_message(exc), exc.lineno or 1, exc.offset or 1)
        except (RecursionError, MemoryError):
            problem = ParseProblem("is too deeply nested for Python's parser", 1, 1)
        except ValueError as exc:  # e.g. NUL bytes on some Python versions
            problem = ParseProblem(str(exc), 1, 1)
        else:
            collector = _Collector(text)
            collector.visit(tree)
            return ParsedFile(path, tuple(collector.found), None, suppressions, _only_docstring(tree))
    assert problem is not None
    return ParsedFile(path, (), problem, suppressions)


def _only_docstring(tree: ast.Module) -> bool:
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    return not body


def _decode(data: bytes) -> tuple[str | None, ParseProblem | None]:
    """Decode like `tokenize.open`: BOM or PEP 263 coding cookie, else UTF-8."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = _position(data, nul)
        return None, ParseProblem("contains a NUL byte, so Python cannot import it", line, column)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if _COOKIE.search(b"\n".join(data.split(b"\n", 2)[:2])):  # an unknown codec, or one contradicting a BOM
            return None, ParseProblem(f"has an invalid encoding declaration: {exc}", getattr(exc, "lineno", None) or 1, 1)
        encoding = "utf-8"  # no cookie: the first lines are simply not UTF-8 (reported below, with the position)
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        return None, ParseProblem(
            f"is not valid {encoding} (byte 0x{data[exc.start]:02x}); declare its encoding (PEP 263) or re-save it as UTF-8",
            line,
            column,
        )
    except LookupError as exc:
        return None, ParseProblem(f"declares an unknown encoding: {exc}", 1, 1)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _syntax_message(exc: SyntaxError) -> str:
    reason = exc.msg or "invalid syntax"
    if "Missing parentheses in call to" in reason or reason.startswith("Did you mean print"):
        reason += " (Python 2 syntax?)"
    return f"has a syntax error: {reason}"


def _suppressions(text: str) -> dict[int, frozenset[str]]:
    if "predguard" not in text:
        return {}
    found: dict[int, frozenset[str]] = {}
    for number, line in enumerate(_NEWLINE.split(text), start=1):
        match = _PRAGMA.search(line)
        if match:
            codes = match.group(1)
            parsed = frozenset(c.strip().upper() for c in codes.split(",") if c.strip()) if codes is not None else frozenset()
            found[number] = parsed or frozenset({"*"})
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for kind in kinds:
        name = kind.attr if isinstance(kind, ast.Attribute) else kind.id if isinstance(kind, ast.Name) else None
        if name in _IMPORT_ERRORS:
            return True
    return False


def _lines_containing(text: str, word: str) -> list[int]:
    """The 1-based numbers of the lines of `text` that contain `word`, ascending (lines end at
    \\r\\n, \\r or \\n, as the parser counts them)."""
    found: list[int] = []
    line, position = 1, 0
    single = "\r" not in text  # then counting "\n" in C is enough
    for match in re.finditer(word, text):
        start = match.start()
        line += text.count("\n", position, start) if single else len(_NEWLINE.findall(text, position, start))
        position = start
        if not found or found[-1] != line:
            found.append(line)
    return found


class _Collector(ast.NodeVisitor):
    """Walks the whole tree (function and class bodies included), tracking `try` optionality."""

    def __init__(self, text: str) -> None:
        self.found: list[ImportRef] = []
        self._text = text
        self._ascii = text.isascii()  # then a UTF-8 byte column is the character column
        self._lines: list[str] | None = None
        self._import_lines = _lines_containing(text, "import")
        self._optional = 0

    def visit(self, node: ast.AST) -> None:
        # Every import form contains the word "import" (import, from ... import, import_module,
        # __import__): a statement none of whose lines has it is skipped whole. Generated modules
        # are mostly huge literal tables, so this halves the cost of a 5 MB file.
        if isinstance(node, ast.stmt) and node.end_lineno is not None:
            at = bisect.bisect_left(self._import_lines, node.lineno)
            if at == len(self._import_lines) or self._import_lines[at] > node.end_lineno:
                return
        super().visit(node)

    def _column(self, node: ast.stmt | ast.expr) -> int:
        # col_offset counts UTF-8 bytes; report characters, 1-based.
        if self._ascii:
            return node.col_offset + 1
        if self._lines is None:
            self._lines = _NEWLINE.split(self._text)
        line = self._lines[node.lineno - 1] if 0 < node.lineno <= len(self._lines) else ""
        return len(line.encode("utf-8")[: node.col_offset].decode("utf-8", "replace")) + 1

    def _add(self, node: ast.stmt | ast.expr, module: str, level: int, names: tuple[str, ...], dynamic: bool = False) -> None:
        self.found.append(ImportRef(module, level, names, node.lineno, self._column(node), self._optional > 0, dynamic))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name, 0, ())

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "__future__":
            return
        self._add(node, node.module or "", node.level, tuple(alias.name for alias in node.names))

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        if _is_type_checking(node.test):  # only for type checkers: never runs
            body, other = [], node.orelse
        elif isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) and _is_type_checking(node.test.operand):
            body, other = node.body, []
        else:
            body, other = node.body, node.orelse
        for statement in [*body, *other]:
            self.visit(statement)

    def visit_Try(self, node: ast.Try) -> None:
        self._visit_try(node)

    def visit_TryStar(self, node: ast.TryStar) -> None:
        self._visit_try(node)

    def _visit_try(self, node: ast.Try | ast.TryStar) -> None:
        optional = any(_catches_import_error(handler) for handler in node.handlers)
        self._optional += optional
        for statement in node.body:
            self.visit(statement)
        self._optional -= optional
        for part in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(part)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else function.id if isinstance(function, ast.Name) else None
        if name not in ("import_module", "__import__") or not node.args:
            return
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value):
            return  # a computed name: nothing static to check
        target = first.value
        if name == "__import__":
            level = _keyword_constant(node, "level", position=4, args=node.args)
            self._add(node, target, level if isinstance(level, int) else 0, (), dynamic=True)
            return
        stripped = target.lstrip(".")
        level = len(target) - len(stripped)
        if level:
            package = _keyword_constant(node, "package", position=1, args=node.args)
            if isinstance(package, str):  # a literal anchor: make the name absolute
                self._add(node, _absolute(package, level, stripped), 0, (), dynamic=True)
            elif _names_own_package(node):  # package=__package__ / __name__: relative to this file
                self._add(node, stripped, level, (), dynamic=True)
            return
        self._add(node, target, 0, (), dynamic=True)


def _keyword_constant(node: ast.Call, keyword: str, *, position: int, args: list[ast.expr]) -> object:
    for item in node.keywords:
        if item.arg == keyword and isinstance(item.value, ast.Constant):
            return item.value.value
    arg = args[position] if len(args) > position else None
    if isinstance(arg, ast.Constant):
        return arg.value
    return None


def _names_own_package(node: ast.Call) -> bool:
    values = [k.value for k in node.keywords if k.arg == "package"] + node.args[1:2]
    return any(isinstance(v, ast.Name) and v.id in ("__package__", "__name__") for v in values)


def _absolute(package: str, level: int, name: str) -> str:
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*base, name] if name else base)
