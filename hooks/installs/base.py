"""What a base image brings before the Dockerfile's own steps: Python version and packages.

An official `python` image holds pip (and setuptools + wheel before 3.12) and nothing else; an
OS image holds no Python distributions; `base_packages` in [tool.predguard] says what any other
base preinstalls. Anything else is *unknown*: it may preinstall what the service imports.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from predguard.hooks.installs.names import normalise

_OFFICIAL_PYTHON = frozenset({"python", "docker.io/python", "docker.io/library/python", "library/python", "index.docker.io/library/python"})
_PYTHON_TAG = re.compile(r"^(?:python)?(3)\.(\d+)(?:\.\d+)?(?:[-.].*)?$")
_UV_TAG = re.compile(r"python(3)\.(\d+)")
# Operating-system images: no Python distributions until a RUN installs them.
_OS_IMAGES = frozenset({
    "ubuntu", "debian", "alpine", "busybox", "scratch", "fedora", "centos", "rockylinux", "almalinux", "amazonlinux",
    "archlinux", "opensuse/leap", "oraclelinux", "photon", "clearlinux", "registry.access.redhat.com/ubi8/ubi",
    "registry.access.redhat.com/ubi9/ubi", "redhat/ubi8", "redhat/ubi9", "gcr.io/distroless/python3", "gcr.io/distroless/python3-debian12",
    "gcr.io/distroless/base", "gcr.io/distroless/cc", "gcr.io/distroless/static", "gcr.io/distroless/static-debian12",
    "mcr.microsoft.com/devcontainers/base", "marketplace.gcr.io/google/debian11", "marketplace.gcr.io/google/debian12",
    "launcher.gcr.io/google/debian11", "launcher.gcr.io/google/debian12",
    # Images of other runtimes: no Python distributions either.
    "nginx", "node", "golang", "eclipse-temurin", "openjdk", "maven", "gradle", "ruby", "php", "rust", "oven/bun",
})


@dataclass(frozen=True)
class BaseImage:
    ref: str  # as written after expansion
    python_version: str | None  # "3.11" from the tag, when it says
    packages: tuple[str, ...]  # normalised distributions it holds
    known: bool  # False: it may hold distributions nobody told us about
    note: str  # how its contents are known ("official python image", "base_packages in pyproject.toml", why unknown)


def split_ref(ref: str) -> tuple[str, str | None]:
    """`docker.io/library/python:3.11-slim@sha256:..` -> ("docker.io/library/python", "3.11-slim")."""
    ref = ref.split("@", 1)[0]
    name, colon, tag = ref.rpartition(":")
    if colon and "/" not in tag:
        return name.lower(), tag
    return ref.lower(), None


def describe_base(ref: str, configured: Mapping[str, Sequence[str]], config_name: str) -> BaseImage:
    name, tag = split_ref(ref)
    short = name.removeprefix("docker.io/").removeprefix("library/").removeprefix("index.docker.io/library/")
    version = _version(short, tag)
    for key in (ref, f"{name}:{tag}" if tag else name, name, short):
        if key in configured:
            packages = tuple(normalise(p) for p in configured[key])
            return BaseImage(ref, version, packages, True, f"base_packages['{key}'] in {config_name}")
    if "$" in ref:
        return BaseImage(ref, None, (), False, f"the base image '{ref}' is named by an unset build argument")
    if name in _OFFICIAL_PYTHON:
        packages = ("pip",) if version is None or _minor(version) >= 12 else ("pip", "setuptools", "wheel")
        return BaseImage(ref, version, packages, True, "an official python image")
    if short == "ghcr.io/astral-sh/uv" and version is not None:
        return BaseImage(ref, version, ("pip",), True, "an astral-sh/uv python image")
    if short in _OS_IMAGES or short.split("/")[-1] in ("ubuntu", "debian", "alpine"):
        return BaseImage(ref, None, (), True, "an operating-system image")
    return BaseImage(
        ref, version, (), False,
        f"the base image '{ref}' may preinstall Python packages predguard does not know of "
        f"(list them under base_packages in [tool.predguard])",
    )


def _version(short: str, tag: str | None) -> str | None:
    if not tag:
        return None
    if short == "ghcr.io/astral-sh/uv":
        m = _UV_TAG.search(tag)
    else:
        m = _PYTHON_TAG.match(tag) if short == "python" or tag.startswith("python3") else None
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _minor(version: str) -> int:
    return int(version.split(".")[1])
