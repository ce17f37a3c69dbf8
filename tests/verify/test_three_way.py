"""The same verdict three ways — the static hook, the dry build, the real build — on the fixed
platform and on every incident overlay under examples/incidents/ (whatever overlays exist).
A disagreement is a bug in one of them."""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import platform_copy, states
from .docker_env import Docker
from .verdicts import canonical, dry_verdict, real_verdict, static_verdict

CASES = states()
IDS = [f"{state}:{dockerfile}" for state, _, dockerfile in CASES]


@pytest.mark.parametrize(("state", "overlay", "dockerfile"), CASES, ids=IDS)
def test_the_static_check_and_the_dry_build_agree(tmp_path: Path, state: str, overlay: Path | None, dockerfile: str) -> None:
    root = platform_copy(tmp_path / "platform", overlay)
    static, dry = canonical(static_verdict(root, dockerfile), dry_verdict(root, dockerfile))
    assert static == dry
    if state == "fixed":
        assert static == set()


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.parametrize(("state", "overlay", "dockerfile"), CASES, ids=IDS)
def test_the_real_build_agrees(docker: Docker, tmp_path: Path, state: str, overlay: Path | None, dockerfile: str) -> None:
    root = platform_copy(tmp_path / "platform", overlay)
    tag = f"{state}-{Path(dockerfile).parent.name}".lower()
    real, _failed_at_build = real_verdict(docker, root, dockerfile, tag)
    dry = dry_verdict(root, dockerfile)
    assert real == dry  # the same check in the same tree: the same names, not just the same verdict
    static, real_names = canonical(static_verdict(root, dockerfile), real)
    assert static == real_names
