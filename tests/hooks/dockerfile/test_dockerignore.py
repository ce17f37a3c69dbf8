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
