"""The Dockerfile model: a Dockerfile and its build context -> `predguard.hooks.model.Image`.

lexer         bytes -> instructions (directives, continuations, heredocs; tokenised by dockerfile-parse)
instructions  one instruction's arguments: flags, exec/shell form, ARG/ENV pairs, commands
variables     BuildKit's shell-word expansion ($X, ${X:-w}, ...)
dockerignore  Docker's .dockerignore matcher (moby/patternmatcher semantics)
imagefs       which context files a COPY/ADD source names, and where below dest they land
build         read once (`interpret`: stages, ARG/ENV/WORKDIR, COPY sources), then `place` the
              context's files (COPY --from propagation) -> Image; `load_image` does both
context       which directory is the build context, and why (from the same `interpret` result)
"""
from __future__ import annotations

from predguard.hooks.dockerfile.build import Interpreted, interpret, load_image, place
from predguard.hooks.dockerfile.context import find_context

__all__ = ["Interpreted", "find_context", "interpret", "load_image", "place"]
