"""Is a repository path ignored by git? `.gitignore` files from the root down to the path's
directory, read with git's rules (gitignore(5)): a pattern without a slash (a trailing one aside)
matches a name at any depth below its file's directory, one with a slash is anchored there,
`dir/` matches directories only, `!` re-includes, the last matching pattern wins, and nothing
inside an excluded directory can be re-included.

Used to tell a COPY source that the pipeline makes or downloads before `docker build` (model
weights, generated code: git-ignored) from a stale path (neither present nor ignored)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path, PurePosixPath


def forget_patterns() -> None:
    """Forget .gitignore files read by earlier runs of this process."""
    _patterns.cache_clear()


@lru_cache(maxsize=1024)
def _patterns(gitignore: Path) -> tuple[tuple[re.Pattern[str], bool, bool], ...]:
    """(regex over paths relative to the file's directory, negated, directory-only) per line."""
    try:
        lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ()
    out = []
    for line in lines:
        line = line.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        line = line.replace("\\#", "#").replace("\\!", "!")
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line  # a leading or middle slash anchors it to the file's directory
        line = line.lstrip("/")
        if not line:
            continue
        body = _glob(line)
        regex = re.compile(("" if anchored else "(?:.*/)?") + body + r"\Z")
        out.append((regex, negated, dir_only))
    return tuple(out)


def _glob(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape("["))
                i += 1
            else:
                out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def is_ignored(path: Path, root: Path) -> bool:
    """True when git would ignore `path` (which may not exist) in the repository at `root`."""
    try:
        relative = PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except (ValueError, OSError):
        return False
    parts = relative.parts
    leaf = root / relative
    # A missing path may be a directory once made (`COPY models/ ...`), so `dir/` patterns apply to it.
    leaf_is_dir = leaf.is_dir() or not leaf.exists()
    # A path is ignored when it, or any directory above it, is ignored (git does not look inside).
    for depth in range(1, len(parts) + 1):
        if _ignored_here(root, parts[:depth], is_dir=depth < len(parts) or leaf_is_dir):
            return True
    return False


def _ignored_here(root: Path, parts: tuple[str, ...], *, is_dir: bool) -> bool:
    verdict = False
    for level in range(len(parts)):  # .gitignore files from the root down to the path's directory
        gitignore = root.joinpath(*parts[:level], ".gitignore")
        below = "/".join(parts[level:])
        for regex, negated, dir_only in _patterns(gitignore):
            if dir_only and not is_dir:
                continue
            if regex.match(below):
                verdict = not negated
    return verdict
