"""`.dockerignore` with Docker's semantics: a port of moby/patternmatcher (ignorefile.ReadAll,
Pattern.compile, MatchesOrParentMatches).

Patterns are anchored at the context root; `*` and `?` never cross `/`; `**` spans any number of
directories, zero included; a path is excluded when a pattern matches it or any of its parent
directories; the last matching line wins and `!pattern` re-includes, even under an excluded directory.
Matching follows BuildKit's context walk (fsutil filterFS.Walk): each directory's per-pattern result
feeds its children, and an excluded directory is not listed at all unless a `!` pattern can
re-include something below it (`prunable`).

docker-py's `PatternMatcher` was measured against the same table (tests/hooks/dockerfile/
test_dockerignore.py) and differs from BuildKit where it matters (it checks only the parent at the
pattern's depth, so `**/tests` does not exclude `a/b/tests/x.py`), and it pulls in requests: it is
kept as a test oracle only.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from predguard.errors import InputError
from predguard.paths import display_path


@dataclass(frozen=True)
class IgnorePattern:
    text: str  # cleaned pattern, without "!"
    exclusion: bool  # True for "!pattern" (re-include)
    regex: re.Pattern[str]
    line: int


# Characters that make a `!` pattern a glob rather than a literal path (fsutil's patternChars).
_GLOB_CHARS = frozenset("*[]?^\\")


@dataclass(frozen=True)
class DockerIgnore:
    """A compiled pattern list. Paths are matched the way BuildKit walks the context (fsutil's
    filterFS.Walk with moby/patternmatcher's MatchesUsingParentResults): each directory's result
    is computed once and its children start from it, so a path costs one pass over the patterns
    instead of one per parent directory."""

    path: Path | None  # the file the patterns came from
    patterns: tuple[IgnorePattern, ...]

    @cached_property
    def has_exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    @cached_property
    def _reinclude_prefixes(self) -> tuple[str, ...] | None:
        """Each `!` pattern without a trailing `/**` or `/*`, plus "/", when all of them are then
        literal paths (fsutil's onlyPrefixExcludeExceptions); None when one is a glob."""
        prefixes = []
        for pattern in self.patterns:
            if pattern.exclusion:
                text = pattern.text.removesuffix("/**").removesuffix("/*")
                if _GLOB_CHARS.intersection(text):
                    return None
                prefixes.append(text + "/")
        return tuple(prefixes)

    def match(self, rel: str, parent: int | None) -> tuple[IgnorePattern | None, int]:
        """patternmatcher's MatchesUsingParentResults for the context-relative POSIX path `rel`.

        `parent` is the bit set returned for rel's directory (None at the top level, or with no
        walk behind it: then every parent directory is tried, as MatchesOrParentMatches does).
        Returns the pattern that finally excludes `rel` (None: it is in the context) and the bit
        set of patterns that matched `rel` or a parent, for rel's children.
        """
        matched: IgnorePattern | None = None
        bits = 0
        parents: list[str] | None = None
        for index, pattern in enumerate(self.patterns):
            bit = 1 << index
            hit = parent is not None and bool(parent & bit)
            if not hit:
                # Like moby: an exclusion only matters once matched, a pattern only until matched.
                if pattern.exclusion != (matched is not None):
                    continue
                hit = pattern.regex.match(rel) is not None
                if not hit and parent is None and "/" in rel:
                    if parents is None:
                        parts = rel.split("/")[:-1]
                        parents = ["/".join(parts[: n + 1]) for n in range(len(parts))]
                    hit = any(pattern.regex.match(p) is not None for p in parents)
            if hit:
                bits |= bit
                matched = None if pattern.exclusion else pattern
        return matched, bits

    def excluded(self, rel: str) -> bool:
        """Whether a context-relative POSIX path is left out of the build context."""
        return self.matching_line(rel) is not None

    def matching_line(self, rel: str) -> IgnorePattern | None:
        """The pattern that finally excludes `rel`, or None when the path is in the context
        (each parent directory matched first, as the walk does; ContextIndex memoizes those)."""
        info: int | None = None
        start = 0
        while (slash := rel.find("/", start)) >= 0:
            _, info = self.match(rel[:slash], info)
            start = slash + 1
        return self.match(rel, info)[0]

    def prunable(self, rel_dir: str) -> bool:
        """Can an excluded directory be skipped without listing it? Exactly when BuildKit skips it:
        no `!` pattern at all, or only literal ones and none of them lies below this directory."""
        if not self.has_exclusions:
            return True
        prefixes = self._reinclude_prefixes
        if prefixes is None:
            return False  # a glob re-include could match anything below: walk it (as fsutil does)
        slash = rel_dir + "/"
        return not any(prefix.startswith(slash) for prefix in prefixes)


EMPTY = DockerIgnore(path=None, patterns=())


def parse(text: str, path: Path | None = None, shown: str = ".dockerignore") -> DockerIgnore:
    """The patterns of a .dockerignore; one that cannot compile is an InputError at its line
    (docker build fails on it too: "syntax error in pattern")."""
    patterns = []
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        exclusion = pattern.startswith("!")
        if exclusion:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = posixpath.normpath(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern.lstrip("/") or "/"
        if pattern in ("", "."):
            continue  # "For historical reasons, the pattern . is ignored."
        try:
            regex = compile_pattern(pattern)
        except re.error as exc:
            raise InputError(f"invalid pattern {raw.strip()!r} ({exc.msg})", where=f"{shown}:{number}") from None
        patterns.append(IgnorePattern(text=pattern, exclusion=exclusion, regex=regex, line=number))
    return DockerIgnore(path=path, patterns=tuple(patterns))


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """patternmatcher's Pattern.compile: glob -> anchored regex."""
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1  # "**/" is "**"
                if i >= n:
                    out.append(".*")
                else:
                    out.append("(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 < n:
                out.append(re.escape(pattern[i + 1]))
                i += 1
            else:
                out.append(re.escape("\\"))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\").replace("[", "\\[") + "]")  # a '[' inside a class is literal
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


def find(dockerfile: Path, context: Path) -> Path | None:
    """`<Dockerfile-name>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`."""
    specific = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if specific.is_file():
        return specific
    general = context / ".dockerignore"
    return general if general.is_file() else None


def load(dockerfile: Path, context: Path, root: Path) -> DockerIgnore:
    path = find(dockerfile, context)
    if path is None:
        return EMPTY
    shown = display_path(path, root)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read .dockerignore: {exc.strerror or exc}", where=shown) from None
    except UnicodeDecodeError:
        raise InputError(".dockerignore is not valid UTF-8", where=shown) from None
    return parse(text, path, shown)
