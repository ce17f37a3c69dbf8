"""`.dockerignore` with Docker's semantics: a port of moby/patternmatcher (ignorefile.ReadAll,
Pattern.compile, MatchesOrParentMatches).

Patterns are anchored at the context root; `*` and `?` never cross `/`; `**` spans any number of
directories, zero included; a path is excluded when a pattern matches it or any of its parent
directories; the last matching line wins and `!pattern` re-includes, even under an excluded directory.

docker-py's `PatternMatcher` was measured against the same table (tests/hooks/dockerfile/
test_dockerignore.py) and differs from BuildKit where it matters (it checks only the parent at the
pattern's depth, so `**/tests` does not exclude `a/b/tests/x.py`), and it pulls in requests: it is
kept as a test oracle only.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from predguard.errors import InputError
from predguard.paths import display_path


@dataclass(frozen=True)
class IgnorePattern:
    text: str  # cleaned pattern, without "!"
    exclusion: bool  # True for "!pattern" (re-include)
    regex: re.Pattern[str]
    line: int


@dataclass(frozen=True)
class DockerIgnore:
    path: Path | None  # the file the patterns came from
    patterns: tuple[IgnorePattern, ...]

    @property
    def has_exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def excluded(self, rel: str) -> bool:
        """Whether a context-relative POSIX path is left out of the build context."""
        return self.matching_line(rel) is not None

    def matching_line(self, rel: str) -> IgnorePattern | None:
        """The pattern that finally excludes `rel`, or None when the path is in the context."""
        parents = rel.split("/")[:-1]
        matched: IgnorePattern | None = None
        for pattern in self.patterns:
            # Like moby: an exclusion only matters once matched, a pattern only until matched.
            if pattern.exclusion != (matched is not None):
                continue
            hit = pattern.regex.match(rel) is not None
            if not hit:
                for n in range(1, len(parents) + 1):
                    if pattern.regex.match("/".join(parents[:n])):
                        hit = True
                        break
            if hit:
                matched = None if pattern.exclusion else pattern
        return matched


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
