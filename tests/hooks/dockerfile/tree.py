"""Write a small build context to disk (files, bytes and symlinks)."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from predguard.hooks.model import Image

ModelFn = Callable[..., Image]  # the `model` fixture: model(dockerfile_text, files, **load_image kwargs)


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
