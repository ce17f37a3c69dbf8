"""Requirement specifiers (PEP 508, the subset pip files use) and PEP 503 name normalisation.

Only what the install model needs: the distribution name, its extras, whether the environment
marker holds for the image, and a direct reference (URL or path) when one is given. Versions are
not compared: predguard asks *whether* a distribution is installed, not which version.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_NORMALISE = re.compile(r"[-_.]+")
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*")
_WHEEL = re.compile(r"^(?P<name>[^-]+)-[^-]+(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$")
_SDIST = re.compile(r"^(?P<name>.+?)-\d[^/]*\.(?:tar\.gz|tgz|tar\.bz2|zip)$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9._-]+)")
_NAMED_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")  # `name[extra] @ url`


def normalise(name: str) -> str:
    """PEP 503: `Google_Cloud.Storage` and `google-cloud-storage` are one distribution."""
    return _NORMALISE.sub("-", name).lower()


@dataclass(frozen=True)
class Specifier:
    name: str | None  # normalised distribution name; None when the text does not say (a bare URL or path)
    extras: frozenset[str]  # normalised
    marker: str | None  # the environment marker after `;`, as written
    reference: str | None  # URL or local path (`name @ url`, `./dir`, `/wheels/x.whl`, `git+https://...`)


def is_reference(text: str) -> bool:
    """A path or URL rather than a `name[extras]spec` (pip's own test: contains a separator or a dot-start)."""
    return (
        "://" in text
        or text.startswith(("git+", "hg+", "svn+", "bzr+", ".", "/", "~"))
        or "/" in text.split(";", 1)[0].split("[", 1)[0]
        or text.split(";", 1)[0].strip().endswith((".whl", ".tar.gz", ".zip", ".tgz"))
    )


def parse_specifier(text: str) -> Specifier | None:
    """`name[extra]>=1; marker`, `name @ url`, or a path/URL; None when it is none of them."""
    text = text.strip()
    if is_reference(text) and not _NAMED_URL.match(text):
        target, _, marker = _split_marker(text)
        target, extras = _reference_extras(target)
        return Specifier(name_from_reference(target), extras, marker or None, target)
    m = _NAME.match(text)
    if not m:
        return None
    name = normalise(m.group(1))
    extras = _extras(m.group(2))
    rest = text[m.end():]
    reference: str | None = None
    if rest.startswith("@"):
        reference, _, marker = _split_marker(rest[1:].strip())
    else:
        _, _, marker = rest.partition(";")
        if rest and not re.match(r"^\s*(?:[<>=!~;(]|$)", rest):
            return None  # `name junk`: not a requirement
    return Specifier(name, extras, marker.strip() or None, reference)


def name_from_reference(reference: str) -> str | None:
    """The distribution a wheel/sdist file name or a `#egg=` fragment names; None for a bare URL, VCS checkout or directory."""
    egg = _EGG.search(reference)
    if egg:
        return normalise(egg.group(1))
    base = reference.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    m = _WHEEL.match(base) or _SDIST.match(base)
    return normalise(m.group("name")) if m else None


def _split_marker(text: str) -> tuple[str, str, str]:
    # In `url ; marker` the `;` must follow whitespace (PEP 508), since URLs may hold `;`.
    m = re.search(r"\s;", text)
    if not m:
        return text.strip(), "", ""
    return text[: m.start()].strip(), ";", text[m.end():].strip()


def _reference_extras(reference: str) -> tuple[str, frozenset[str]]:
    m = re.match(r"^(.*?)(\[[^\]/]*\])$", reference)
    if m and not reference.startswith(("http://", "https://")):
        return m.group(1), _extras(m.group(2))
    return reference, frozenset()


def _extras(bracket: str | None) -> frozenset[str]:
    if not bracket:
        return frozenset()
    return frozenset(normalise(e.strip()) for e in bracket.strip("[]").split(",") if e.strip())


# -- environment markers ------------------------------------------------------------------------

_MARKER_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)|(?P<paren>[()])"""
    r"""|(?P<bool>and\b|or\b)|(?P<var>[A-Za-z_][A-Za-z0-9_.]*))"""
)


def marker_holds(marker: str | None, environment: dict[str, str]) -> bool:
    """Whether a PEP 508 marker is true in `environment`; a marker we cannot evaluate counts as
    true (assume installed: a wrong "installed" only hides a finding, a wrong "absent" invents one)."""
    if not marker:
        return True
    try:
        tokens = _tokens(marker)
        value, rest = _or(tokens, environment)
        return value if not rest else True
    except (ValueError, IndexError):
        return True


def _tokens(marker: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    marker = marker.strip()
    while pos < len(marker):
        m = _MARKER_TOKEN.match(marker, pos)
        if not m or m.end() == pos:
            raise ValueError(marker)
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(marker) and marker[pos].isspace():
            pos += 1
    return out


def _or(tokens: list[tuple[str, str]], env: dict[str, str]) -> tuple[bool, list[tuple[str, str]]]:
    value, tokens = _and(tokens, env)
    while tokens and tokens[0] == ("bool", "or"):
        right, tokens = _and(tokens[1:], env)
        value = value or right
    return value, tokens


def _and(tokens: list[tuple[str, str]], env: dict[str, str]) -> tuple[bool, list[tuple[str, str]]]:
    value, tokens = _atom(tokens, env)
    while tokens and tokens[0] == ("bool", "and"):
        right, tokens = _atom(tokens[1:], env)
        value = value and right
    return value, tokens


def _atom(tokens: list[tuple[str, str]], env: dict[str, str]) -> tuple[bool, list[tuple[str, str]]]:
    if tokens[0] == ("paren", "("):
        value, rest = _or(tokens[1:], env)
        if not rest or rest[0] != ("paren", ")"):
            raise ValueError("unbalanced")
        return value, rest[1:]
    left, op, right = tokens[0], tokens[1], tokens[2]
    if op[0] != "op":
        raise ValueError("operator expected")
    a, b = _operand(left, env), _operand(right, env)
    if a is None or b is None:
        return True, tokens[3:]  # an unknown variable: cannot tell, assume it holds
    return _compare(a, " ".join(op[1].split()), b), tokens[3:]


def _operand(token: tuple[str, str], env: dict[str, str]) -> str | None:
    kind, text = token
    if kind == "str":
        return text[1:-1]
    if kind == "var":
        return env.get(text)
    raise ValueError("operand expected")


def _compare(a: str, op: str, b: str) -> bool:
    if op == "in":
        return a in b
    if op == "not in":
        return a not in b
    va, vb = _version(a), _version(b)
    if va is not None and vb is not None:
        if op == "~=":
            return va >= vb and va[: max(len(vb) - 1, 1)] == vb[: max(len(vb) - 1, 1)]
        return {"==": va == vb, "===": a == b, "!=": va != vb, "<": va < vb, "<=": va <= vb, ">": va > vb, ">=": va >= vb}[op]
    if op in ("==", "==="):
        return a == b
    if op == "!=":
        return a != b
    return True  # ordering of non-versions: undefined, assume it holds


def _version(text: str) -> tuple[int, ...] | None:
    if not re.fullmatch(r"\d+(?:\.\d+)*(?:\.\*)?", text.strip()):
        return None
    parts = [int(p) for p in text.strip().replace(".*", "").split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def marker_environment(python_version: str | None) -> dict[str, str]:
    """The marker variables of a Linux CPython image; python_version only when the image says it."""
    env = {
        "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
        "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": "",
    }
    if python_version:
        env["python_version"] = python_version
        env["python_full_version"] = python_version
    return env
