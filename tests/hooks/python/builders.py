"""Build `predguard.hooks.model.Image` values directly (the Dockerfile model is another module's job):
real files in a temporary repository, and a list of COPYs saying where they land."""
from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from predguard.hooks.entrypoints import plan_entrypoints
from predguard.hooks.model import Command, CopySource, Image, ImageFile
from predguard.hooks.python import CheckResult, check_image

DOCKERFILE_LINE = 1  # copies get lines 2, 3, ...; CMD/ENTRYPOINT come after them


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def command(spec: str | Sequence[str] | None, line: int) -> Command | None:
    if spec is None:
        return None
    if isinstance(spec, str):  # shell form
        try:
            argv = tuple(shlex.split(spec))
        except ValueError:  # unbalanced quotes: Docker keeps the text, the shell fails at run time
            argv = tuple(spec.split())
        return Command(argv, True, spec, line)
    return Command(tuple(spec), False, str(list(spec)).replace("'", '"'), line)


def make_image(
    context: Path,
    copies: Sequence[tuple[str, str]],
    *,
    workdir: str | None = "/app",
    env: Mapping[str, str] | None = None,
    cmd: str | Sequence[str] | None = None,
    entrypoint: str | Sequence[str] | None = None,
    opaque: Sequence[str] = (),
    dockerfile: str = "svc/Dockerfile",
) -> Image:
    """`copies` = [(source relative to the context, destination)] with Docker's COPY semantics:
    a directory copies its contents; a destination ending in "/" is a directory."""
    files: dict[str, ImageFile] = {}
    sources: list[CopySource] = []
    for index, (source, destination) in enumerate(copies):
        line = DOCKERFILE_LINE + 1 + index
        dest = posixpath.normpath(posixpath.join(workdir or "/", destination))
        path = context / source
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                image_path = posixpath.join(dest, file.relative_to(path).as_posix())
                files[image_path] = ImageFile(image_path, file, line)
        else:
            image_path = posixpath.join(dest, path.name) if destination.endswith("/") else dest
            files[image_path] = ImageFile(image_path, path, line)
        sources.append(CopySource(line, (source,), dest, None))
    after = DOCKERFILE_LINE + 1 + len(copies)
    return Image(
        dockerfile=context / dockerfile,
        context=context,
        stage=None,
        files=files,
        workdir=workdir,
        env=dict(env or {}),
        entrypoint=command(entrypoint, after),
        cmd=command(cmd, after + 1),
        copies=tuple(sources),
        opaque_dirs=tuple(opaque),
    )


def check(
    image: Image,
    *,
    root: Path,
    service: str | None,
    entrypoints: Sequence[str] | None = None,
    first_party: Sequence[str] | None = None,
) -> CheckResult:
    """The two steps check-dockerfiles runs for an image: plan the entrypoints, then the import closure."""
    plan = plan_entrypoints(image, override=entrypoints, root=root, service=service)
    return check_image(image, plan, root=root, service=service, first_party=first_party)
