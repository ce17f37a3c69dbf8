"""PG102: a third-party module the service imports that the image does not install.

For each import of the closure outside first-party code and outside the image's standard library:
the distribution that provides it (distributions.DistributionIndex), and whether the image
installs it directly, through a lock file, with its base image, or as a dependency of something
it installs that a dependency map knows. Error when the view is complete; warning when the import
is optional (`except ImportError`) or the view has holes (an unknown base image, a URL, a VCS
checkout, a generated file), and the message says which.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from predguard.hooks.installs.distributions import DistributionIndex, Provider
from predguard.hooks.installs.elsewhere import Declaration, declarations
from predguard.hooks.installs.image import InstallView
from predguard.hooks.installs.names import normalise
from predguard.hooks.installs.stdlib import stdlib_modules
from predguard.hooks.codes import new_finding
from predguard.hooks.model import Finding
from predguard.hooks.python.closure import ExternalImport

CODE = "PG102"


@dataclass(frozen=True)
class _Wanted:
    module: str  # the dotted name to provide ("google.cloud.storage")
    provider: Provider | None
    imported: ExternalImport


def check_third_party(
    imports: Sequence[ExternalImport], view: InstallView, index: DistributionIndex, *, root: Path, service: str | None
) -> list[Finding]:
    version = view.base.python_version
    stdlib = stdlib_modules(version)
    held = view.held
    installed = set(held.distributions)
    reachable = _reachable(view, index)
    found: dict[str, Finding] = {}
    repository: dict[str, list[Declaration]] | None = None
    for imported in imports:
        top = imported.module.split(".")[0]
        if top in stdlib or top in held.modules or top in view.copied_packages or "*" in imported.suppressed or CODE in imported.suppressed:
            continue
        for wanted in _wanted(imported, index):
            key = wanted.provider.prefix if wanted.provider else top
            known = found.get(key)
            if known is not None and (known.severity == "error" or imported.optional):
                continue  # the first (shortest-chain) required import speaks for the module
            # Unmapped: the usual naming (`requests` -> requests, `google.genai` -> google-genai).
            candidates = wanted.provider.distributions if wanted.provider else (normalise(top), normalise(wanted.module))
            if any(c in installed or c in reachable for c in candidates):
                continue
            if repository is None:
                repository = declarations(root)
            found[key] = _finding(wanted, view, index, root, service, version, repository, reachable)
    return list(found.values())


def _wanted(imported: ExternalImport, index: DistributionIndex) -> list[_Wanted]:
    """`from google.cloud import storage, bigquery` wants two distributions, `from yaml import x` one."""
    base = index.provider(imported.module)
    wanted: dict[str, _Wanted] = {}
    for name in imported.names:
        if name == "*":
            continue
        provider = index.provider(f"{imported.module}.{name}")
        if provider is not None and (base is None or len(provider.prefix) > len(base.prefix)):
            wanted.setdefault(provider.prefix, _Wanted(provider.prefix, provider, imported))
    if not wanted and base is None and index.has_below(imported.module):
        # A namespace (`from google import genai`): name the submodule nobody provides.
        for name in imported.names:
            if name != "*":
                wanted.setdefault(f"{imported.module}.{name}", _Wanted(f"{imported.module}.{name}", None, imported))
    if not wanted:
        module = base.prefix if base is not None else imported.module
        wanted[module] = _Wanted(module, base, imported)
    return list(wanted.values())


def _reachable(view: InstallView, index: DistributionIndex) -> set[str]:
    """Distributions installed as dependencies of installed ones, as far as the dependency maps say
    (a lock file already lists its whole closure)."""
    reachable: set[str] = set()
    todo = [(item.name, item.extras) for item in view.held.distributions.values() if not item.no_deps and not item.locked]
    while todo:
        name, extras = todo.pop()
        known = index.dependencies(name, extras)
        for dep in known[0] if known else ():
            if dep not in reachable:
                reachable.add(dep)
                todo.append((dep, frozenset()))
    return reachable


def _finding(wanted: _Wanted, view: InstallView, index: DistributionIndex, root: Path, service: str | None,
             version: str | None, repository: dict[str, list[Declaration]], reachable: set[str]) -> Finding:
    imported = wanted.imported
    provider = wanted.provider
    distribution = provider.distributions[0] if provider else None
    held = view.held
    reasons: list[str] = []
    if imported.optional:
        reasons.append("the import is optional: it is guarded by `except ImportError`")
    if not view.base.known:
        reasons.append(view.base.note)
    for unknown in held.unknown[:3]:
        reasons.append(f"{unknown.reason} ({unknown.where})")
    if len(held.unknown) > 3:
        reasons.append(f"and {len(held.unknown) - 3} more steps predguard cannot read")
    unknown_deps = sorted(
        name for name, item in held.distributions.items()
        if not item.no_deps and not item.locked and index.dependencies(name, item.extras) is None
    )
    if unknown_deps:
        shown = ", ".join(unknown_deps[:5]) + (f" and {len(unknown_deps) - 5} more" if len(unknown_deps) > 5 else "")
        reasons.append(f"it may come as a dependency of {shown}, whose dependencies predguard does not know "
                       "(name them in dependency_map in [tool.predguard])")
    unmapped = sorted(d for d in {*held.distributions, *reachable} if not index.knows_distribution(d))
    if provider is None and any(_resembles(d, wanted.module) for d in unmapped):
        reasons.append(f"the image installs {', '.join(unmapped[:5])}, whose modules predguard does not know: if one provides it, "
                       "map it with module_map in [tool.predguard]")
    complete = not imported.optional and view.base.known and not held.unknown and not reasons
    severity = "error" if complete else "warning"

    files = held.requirement_files
    installs = f"the image installs {', '.join(files)}" if files else "the image installs no requirements file"
    expected = (f"expected distribution {' or '.join(provider.distributions[:3])} (by {provider.source})" if provider
                else f"no known distribution provides '{wanted.module}'")
    message = f"{wanted.module} is imported but not installed in the image of {view.dockerfile}: {expected}; {installs}"
    others = [d for d in (repository.get(distribution, []) if distribution else []) if d.file not in files]
    if others:
        message += f"; it is listed in {', '.join(sorted({d.file for d in others}))}, which this image does not install"
    if version is None:
        message += (f" (standard library taken from the running Python {_running()}: the base image "
                    f"'{view.base.ref}' does not name a version)")
    if reasons:
        message += " [" + "; ".join(reasons) + "]"
    # Reuse another file's pin, without its environment marker (that belonged to that file's context).
    line_text = others[0].text.split(";")[0].strip() if others else (distribution or wanted.module.split(".")[0])
    return new_finding(
        CODE,
        severity=severity,
        dockerfile=view.dockerfile,
        message=message,
        file=_relative(imported.file, root),
        line=imported.line,
        column=imported.column,
        service=service,
        module=wanted.module,
        chain=(*imported.chain, wanted.module),
        fix=_fix(view, distribution, line_text, wanted.module),
        distribution=distribution,
    )


def _fix(view: InstallView, distribution: str | None, line_text: str, module: str) -> str:
    target = view.fix_target
    what = f"'{line_text}'" if distribution else f"the distribution that provides '{module}'"
    suffix = "" if distribution else " (or name it in module_map in [tool.predguard])"
    if target is None:
        return f"install it: add `RUN pip install --no-cache-dir '{line_text}'` to {view.dockerfile}{suffix}"
    if target.kind == "requirements":
        return f"add {what} to {target.path}{suffix}"
    if target.kind == "pyproject":
        return f"add {what} to [project] dependencies in {target.path} (and re-lock if the image installs a lock file){suffix}"
    if target.kind == "pipfile":
        return f"add {what} to [packages] in {target.path} and run `pipenv lock`{suffix}"
    if target.kind == "conda":
        return f"add {what} to the dependencies of {target.path}{suffix}"
    if target.kind == "dockerfile":
        return f"add {what} to the install command at {target.path}:{target.line}{suffix}"
    return f"add {what} to the dependencies of {target.path}{suffix}"


def _resembles(distribution: str, module: str) -> bool:
    a = distribution.replace("-", "").removeprefix("python")
    b = module.split(".")[0].replace("_", "").lower()
    return bool(a) and bool(b) and (a in b or b in a)


def _running() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _relative(path: Path, root: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(root))).as_posix()
    except ValueError:
        return absolute.as_posix()
