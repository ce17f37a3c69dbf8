"""Helpers to build a small build context on disk and model a Dockerfile in it."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from hooks.dockerfile import load_image
from hooks.model import Image


class Link(str):
    """A symlink to create, with this target."""


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(str(content), path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


ModelFn = Callable[..., Image]


@pytest.fixture
def model(tmp_path: Path) -> ModelFn:
    """model(dockerfile_text, files={...}, build_args=..., target=...) -> Image; context = tmp root."""

    def _model(dockerfile: str, files: Mapping[str, str | bytes] | None = None, **kwargs: object) -> Image:
        write_tree(tmp_path, files or {})
        path = tmp_path / "Dockerfile"
        path.write_text(dockerfile, encoding="utf-8")
        return load_image(path, tmp_path, root=tmp_path, **kwargs)  # type: ignore[arg-type]

    return _model
