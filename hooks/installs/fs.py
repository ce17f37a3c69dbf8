"""One build stage's files as the install steps see them: image path -> the repository file."""
from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path

from predguard.hooks.installs.model import SourceFile
from predguard.hooks.model import ImageFile


class StageFiles:
    def __init__(self, files: Mapping[str, ImageFile], root: Path, opaque: Sequence[str] = ()) -> None:
        self._files = files
        self._root = Path(os.path.abspath(root))
        self._opaque = tuple(opaque)

    def find(self, image_path: str) -> SourceFile | None:
        image_path = posixpath.normpath(image_path)
        found = self._files.get(image_path)
        if found is None:
            # `COPY requirements.txt /tmp` into a directory the base image has (the Dockerfile model,
            # not seeing it, places a file named /tmp): the file is at /tmp/requirements.txt.
            parent = self._files.get(posixpath.dirname(image_path))
            if parent is None or parent.source.name != posixpath.basename(image_path):
                return None
            found = parent
        return SourceFile(found.image_path, found.source, self.shown(found.source))

    def under(self, directory: str) -> list[str]:
        """Image paths of the files below `directory` (sorted)."""
        prefix = directory.rstrip("/") + "/"
        return sorted(p for p in self._files if p.startswith(prefix))

    def opaque(self, image_path: str) -> bool:
        """Filled by something we cannot see (COPY --from=<image>, ADD <url>, an inline heredoc)."""
        return any(image_path == o or image_path.startswith(o.rstrip("/") + "/") for o in self._opaque)

    def shown(self, path: Path) -> str:
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(self._root).as_posix()
        except ValueError:
            return absolute.as_posix()
