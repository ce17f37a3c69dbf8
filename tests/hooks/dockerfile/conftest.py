"""Helpers to build a small build context on disk and model a Dockerfile in it."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from predguard.hooks.dockerfile import load_image
from predguard.hooks.model import Image
from tests.hooks.dockerfile.tree import ModelFn, write_tree


@pytest.fixture
def model(tmp_path: Path) -> ModelFn:
    """model(dockerfile_text, files={...}, build_args=..., target=...) -> Image; context = tmp root."""

    def _model(dockerfile: str, files: Mapping[str, str | bytes] | None = None, **kwargs: object) -> Image:
        write_tree(tmp_path, files or {})
        path = tmp_path / "Dockerfile"
        path.write_text(dockerfile, encoding="utf-8")
        return load_image(path, tmp_path, root=tmp_path, **kwargs)  # type: ignore[arg-type]

    return _model
