"""What each image installs, and PG102: third-party modules the service imports that it lacks.

    names          requirement specifiers, markers, PEP 503 names
    reqfile        requirements files (nested -r/-c, options, hashes, ${VAR}), specifiers, local projects
    projects       `pip install .[extra]`: pyproject.toml / setup.cfg / setup.py dependencies and packages
    locks          uv.lock, poetry.lock, Pipfile.lock: the locked closure a sync command installs
    commands       RUN text -> simple commands -> pip / uv / poetry / pipenv / conda / venv calls
    base           the base image: Python version and preinstalled distributions
    image          every stage's install locations, COPY --from between them -> InstallView
    stdlib         the standard library of the image's Python version
    distributions  import name -> distribution (module_map, installed RECORDs, shipped table); dependency maps
    elsewhere      where else the repository declares a distribution (the incident pattern)
    check          -> PG102 findings
"""
from __future__ import annotations

from predguard.hooks.installs.check import check_third_party
from predguard.hooks.installs.distributions import DistributionIndex
from predguard.hooks.installs.image import InstallView, read_installs

__all__ = ["DistributionIndex", "InstallView", "check_third_party", "read_installs"]
