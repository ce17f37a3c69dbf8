""".dockerignore semantics, table-driven, run against our matcher and against docker-py's.

Expected values are BuildKit's (moby/patternmatcher: anchored patterns, `**`, MatchesOrParentMatches,
last match wins, `!` re-includes). docker-py is a dev-only oracle: the cases where it differs are
listed in DOCKER_PY_DIFFERS, and the test fails if that list stops being exactly right.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.hooks.dockerfile import dockerignore

CASES: list[tuple[str, str, str, bool]] = [
    # (id, .dockerignore text, context-relative path, excluded by BuildKit)
    ("root-glob-matches-root", "*.md", "README.md", True),
    ("root-glob-anchored", "*.md", "docs/a.md", False),
    ("doublestar-any-depth", "**/*.md", "docs/a.md", True),
    ("doublestar-zero-dirs", "**/*.md", "README.md", True),
    ("doublestar-dir-parent-match", "**/tests", "a/b/tests/x.py", True),
    ("doublestar-dir-at-root", "**/tests", "tests/x.py", True),
    ("doublestar-dir-no-prefix-match", "**/tests", "a/testsx/y.py", False),
    ("dir-trailing-slash", "data/", "data/x.csv", True),
    ("dir-not-prefix", "data/", "database/x.csv", False),
    ("reinclude-under-excluded-dir", "data\n!data/keep.txt", "data/keep.txt", False),
    ("reinclude-leaves-siblings", "data\n!data/keep.txt", "data/other.txt", True),
    ("star-then-reinclude-dir", "*\n!src", "src/a.py", False),
    ("star-excludes-other", "*\n!src", "lib/a.py", True),
    ("last-match-wins", "!a.txt\n*.txt", "a.txt", True),
    ("leading-slash", "/abs.txt", "abs.txt", True),
    ("inner-doublestar-zero", "a/**/b", "a/b", True),
    ("inner-doublestar-many", "a/**/b", "a/x/y/b", True),
    ("inner-doublestar-miss", "a/**/b", "a/x/c", False),
    ("question-one-char", "?.py", "a.py", True),
    ("question-not-two", "?.py", "ab.py", False),
    ("question-not-slash", "?.py", "d/a.py", False),
    ("class-range", "[a-c].py", "b.py", True),
    ("class-range-miss", "[a-c].py", "d.py", False),
    ("class-negated", "[^a].py", "b.py", True),
    ("class-negated-miss", "[^a].py", "a.py", False),
    ("comment-line", "#x", "#x", False),
    ("space-before-hash-is-a-pattern", " #x", "#x", True),
    ("dot-pattern-ignored", ".", "a.py", False),
    ("doublestar-everything", "**", "a/b/c.py", True),
    ("cleaned-dotdot", "foo/../bar", "bar", True),
    ("dir-star-parent", "dir/*", "dir/a/b.py", True),
    ("dir-star-not-dir-itself", "dir/*", "dir", False),
    ("pycache", "**/__pycache__", "pkg/__pycache__/m.pyc", True),
    ("docs-example", "*/tmp/*", "x/tmp/a", True),
    ("docs-example-anchored", "*/tmp/*", "tmp/a", False),
    ("reinclude-subdir", "a/\n!a/b/", "a/b/c.py", False),
    ("pyc-any-depth", "**/*.pyc", "x/y/a.pyc", True),
    ("escaped-star", "a\\*b", "a*b", True),
    ("escaped-star-literal", "a\\*b", "axb", False),
    ("trailing-space-trimmed", "foo.txt   ", "foo.txt", True),
    ("dockerignore-itself", ".dockerignore", ".dockerignore", True),
    ("no-patterns", "", "a.py", False),
]

# Measured: where docker-py 7's PatternMatcher differs from BuildKit on the table above.
DOCKER_PY_DIFFERS = {
    "doublestar-dir-parent-match",  # it checks only the parent at the pattern's depth,
    "doublestar-dir-at-root",  # ... so `**/tests` misses both a/b/tests/x.py and tests/x.py
    "class-negated",  # Python fnmatch negates with [!a]; Go's filepath.Match with [^a]
    "class-negated-miss",
    "escaped-star",  # no backslash escapes
    "space-before-hash-is-a-pattern",  # it strips the line before looking for "#"
    "dockerignore-itself",  # it always re-includes .dockerignore
}


def docker_py_excluded(text: str, path: str) -> bool:
    from docker.utils.build import PatternMatcher

    # docker-py's own reading of the file (docker/api/build.py).
    lines = [line.strip() for line in text.splitlines()]
    return bool(PatternMatcher([line for line in lines if line and line[0] != "#"]).matches(path))


@pytest.mark.parametrize(("text", "path", "excluded"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_ours_matches_buildkit(text: str, path: str, excluded: bool) -> None:
    assert dockerignore.parse(text).excluded(path) is excluded


def test_docker_py_comparison() -> None:
    pytest.importorskip("docker")
    differs = {case_id for case_id, text, path, excluded in CASES if docker_py_excluded(text, path) is not excluded}
    assert differs == DOCKER_PY_DIFFERS, f"docker-py differs from BuildKit on {len(differs)}/{len(CASES)} cases"


def test_matching_line_names_the_pattern() -> None:
    ignore = dockerignore.parse("# keep small\n**/tests\ndata/\n")
    pattern = ignore.matching_line("data/games.csv")
    assert pattern is not None and (pattern.line, pattern.text) == (3, "data")
    assert ignore.matching_line("shared/config.py") is None


@pytest.mark.parametrize(
    ("files", "found"),
    [
        ({".dockerignore": "a", "svc/Dockerfile.dockerignore": "b"}, "svc/Dockerfile.dockerignore"),
        ({".dockerignore": "a"}, ".dockerignore"),
        ({}, None),
    ],
)
def test_dockerfile_specific_ignore_file_wins(tmp_path: Path, files: dict[str, str], found: str | None) -> None:
    (tmp_path / "svc").mkdir()
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    result = dockerignore.find(tmp_path / "svc" / "Dockerfile", tmp_path)
    assert (result.relative_to(tmp_path).as_posix() if result else None) == found


def test_a_pattern_that_cannot_compile_is_an_input_error_at_its_line() -> None:
    # Found by the fuzzer (tests/fuzz): an empty class used to escape as re.error.
    from predguard.errors import InputError

    with pytest.raises(InputError) as info:
        dockerignore.parse("app\n!a/#c#[]\n", shown="svc/.dockerignore")
    assert info.value.where == "svc/.dockerignore:2" and "invalid pattern '!a/#c#[]'" in info.value.message


def test_a_bracket_inside_a_class_is_literal_as_in_go() -> None:
    ignore = dockerignore.parse("x[[a]y\n")
    assert ignore.patterns[0].regex.match("x[y") and ignore.patterns[0].regex.match("xay")
    assert not ignore.patterns[0].regex.match("xby")


# BuildKit walks the context with each directory's per-pattern results feeding its children
# (fsutil filterFS.Walk + MatchesUsingParentResults): a pattern skipped at a directory (because it
# could not change the verdict there) is not re-tried against that directory for its children.
# Here `a` re-matches `a/c` only through its parent, which the walk never re-checks: a/c is sent.
def test_walk_semantics_use_the_parent_directory_results() -> None:
    ignore = dockerignore.parse("a\n!a/c\na\n")
    assert ignore.excluded("a/c") is False
    assert ignore.excluded("a/d") is True


def _index(tmp_path: Path, ignore_text: str) -> "imagefs.ContextIndex":
    from predguard.hooks.dockerfile import imagefs

    for rel in ("src/app.py", "data/big/1.csv", "data/big/2.csv", "data/keep.txt", "data/sub/x.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    return imagefs.ContextIndex(tmp_path, dockerignore.parse(ignore_text))


@pytest.mark.parametrize(
    ("text", "files", "listed"),
    [
        # no `!` pattern: an excluded directory is never listed
        ("data\n", ["src/app.py"], {"", "src"}),
        # a literal `!` below it: walked (only where it can re-include), the rest stays out
        ("data\n!data/keep.txt\n", ["data/keep.txt", "src/app.py"], {"", "src", "data"}),
        # a literal `!` elsewhere does not open data/
        ("data\n!src/app.py\n", ["src/app.py"], {"", "src"}),
        # a glob `!` could re-include anything: BuildKit walks every excluded directory
        ("data\n!**/*.py\n", ["data/sub/x.py", "src/app.py"], {"", "src", "data", "data/big", "data/sub"}),
    ],
)
def test_excluded_directories_are_pruned_as_buildkit_does(tmp_path: Path, text: str, files: list[str], listed: set[str]) -> None:
    index = _index(tmp_path, text)
    found = sorted(rel for rel, _ in index.files_under(""))
    assert found == files
    assert set(index._listings) == listed


def test_each_path_is_matched_once_per_index(tmp_path: Path) -> None:
    from predguard.hooks.dockerfile import imagefs

    calls: list[str] = []

    class Counting(dockerignore.DockerIgnore):  # the real matcher, with its calls recorded
        def match(self, rel: str, parent: int | None) -> tuple[dockerignore.IgnorePattern | None, int]:
            calls.append(rel)
            return super().match(rel, parent)

    parsed = _index(tmp_path, "data/big\n!data/big/1.csv\n").ignore
    index = imagefs.ContextIndex(tmp_path, Counting(parsed.path, parsed.patterns))
    first = sorted(rel for rel, _ in index.files_under(""))
    second = sorted(rel for rel, _ in index.files_under("data"))
    assert first == ["data/big/1.csv", "data/keep.txt", "data/sub/x.py", "src/app.py"]
    assert second == [f for f in first if f.startswith("data/")]
    assert index.visible("data/big/2.csv") is False
    assert sorted(calls) == sorted(set(calls)) and "data/big/2.csv" in calls
