"""The public corpora the benchmarks read: bare git mirrors, never vendored, written out at run time.

A mirror is a bare git directory (`<owner>+<name>/repo`, as the fetch tool makes them) under
$PREDGUARD_CORPUS_MIRRORS or $PREDGUARD_MIRRORS (default ./.mirror, git-ignored). A snapshot may lack
its largest blobs (images, data, never read by the check): those are left out and counted.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


def mirrors_directory() -> Path:
    return Path(os.environ.get("PREDGUARD_CORPUS_MIRRORS") or os.environ.get("PREDGUARD_MIRRORS") or ".mirror")


def extract(mirror: Path, commit: str, into: Path, *, checkout: bool = False) -> tuple[int, int]:
    """Write the tree at `commit` under `into`: (files written, blobs the mirror lacks).

    With `checkout`, `into` becomes a real work tree too: a `.git` (some Dockerfiles COPY it) whose
    index says what is tracked, borrowing the mirror's objects instead of copying them."""
    listing = subprocess.run(["git", "--git-dir", str(mirror), "ls-tree", "-r", "-z", "--full-tree", commit],
                             check=True, capture_output=True).stdout
    entries = []
    for record in filter(None, listing.split(b"\0")):
        meta, path = record.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((mode, sha, path.decode("utf-8", "surrogateescape")))
    # One object at a time through one `cat-file --batch`: a large tree never sits in memory whole.
    cat = subprocess.Popen(["git", "--git-dir", str(mirror), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert cat.stdin is not None and cat.stdout is not None
    absent = 0
    for mode, sha, path in entries:
        cat.stdin.write(sha + b"\n")
        cat.stdin.flush()
        header = cat.stdout.readline()
        if header.endswith(b" missing\n"):
            absent += 1
            continue
        data = cat.stdout.read(int(header.split()[2]))
        cat.stdout.read(1)  # the newline after each object
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":
            target.symlink_to(data.decode("utf-8", "surrogateescape"))
        else:
            target.write_bytes(data)
            if mode == b"100755":
                target.chmod(0o755)
    cat.stdin.close()
    cat.wait()
    if checkout:
        subprocess.run(["git", "init", "-q", str(into)], check=True)
        (into / ".git" / "objects" / "info" / "alternates").write_text(str(mirror.resolve() / "objects") + "\n")
        subprocess.run(["git", "-C", str(into), "read-tree", commit], check=True)
    return len(entries) - absent, absent
