"""Images without Python: nothing for predguard to check, so they are skipped with a reason
instead of warned about (a Go, .NET or Java service is not a problem)."""
from __future__ import annotations

import re

from predguard.hooks.entrypoints import EntryPlan
from predguard.hooks.model import Image

# Bases that carry a Python: official and vendor Python, conda, notebook and ML framework images.
_PYTHON_BASE = re.compile(r"python|pypy|conda|mamba|jupyter|notebook|pytorch|tensorflow|astral-sh/uv|airflow|spark|ray", re.IGNORECASE)
# RUN steps that install or run Python.
_PYTHON_RUN = re.compile(r"(?<![\w.-])(?:python[\d.]*|pip[\d.]*|uv|conda|mamba|micromamba|poetry|pipenv|pdm)(?![\w-])")


def no_python(image: Image, plan: EntryPlan) -> str | None:
    """Why `image` has no Python to check (None when it may have some)."""
    if plan.modules or plan.scripts:
        return None
    if any(path.endswith(".py") for path in image.files):
        return None
    base = image.base or "unknown"
    if _PYTHON_BASE.search(base):
        return None
    if any(_PYTHON_RUN.search(text) for _, text in image.runs):
        return None
    return f"no Python in the image: base {base}, no python/pip in any RUN, no .py file copied"
