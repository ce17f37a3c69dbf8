"""Build-context discovery: configuration, compose files, cloudbuild.yaml, then inference."""
from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from predguard.hooks.dockerfile import find_context
from predguard.errors import InputError
from tests.hooks.dockerfile.tree import write_tree

SERVICE_DOCKERFILE = "FROM python:3.11-slim\nWORKDIR /app\nCOPY shared/ ./shared/\nCOPY svc/app.py ./svc/\n"
REPO = {"shared/a.py": "", "svc/app.py": "", "svc/Dockerfile": SERVICE_DOCKERFILE}


def rel(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def test_configured_context_wins(tmp_path: Path) -> None:
    write_tree(tmp_path, {**REPO, "compose.yaml": "services:\n  svc:\n    build: svc\n"})
    context, reason = find_context(tmp_path / "svc/Dockerfile", tmp_path, configured=tmp_path / "svc")
    assert (rel(context, tmp_path), reason) == ("svc", "configured in pyproject.toml")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("compose.yaml", "services:\n  svc:\n    build:\n      context: .\n      dockerfile: svc/Dockerfile\n", "."),
        ("docker-compose.yml", "services:\n  svc:\n    build: ./svc\n", "svc"),
        ("compose.yaml", "services:\n  other:\n    build:\n      context: .\n      dockerfile: other/Dockerfile\n", None),
        ("cloudbuild.yaml", 'steps:\n  - name: gcr.io/cloud-builders/docker\n    args: ["build", "-f", "svc/Dockerfile", "-t", "svc", "."]\n', "."),
        ("cloudbuild.yaml", "steps:\n  - name: gcr.io/cloud-builders/docker\n    dir: svc\n    args: [build, -t, svc, .]\n", "svc"),
        ("cloudbuild.yaml", 'steps:\n  - name: gcr.io/cloud-builders/docker\n    args: ["build", "-f", "other/Dockerfile", "."]\n', None),
        ("compose.yaml", "services: [broken\n", None),
    ],
)
def test_compose_and_cloudbuild(tmp_path: Path, name: str, text: str, expected: str | None) -> None:
    write_tree(tmp_path, {**REPO, name: text})
    context, reason = find_context(tmp_path / "svc/Dockerfile", tmp_path)
    if expected is None:
        assert reason.startswith("inferred:")  # not this Dockerfile's entry (or unreadable): fall back
    else:
        assert (rel(context, tmp_path), reason) == (expected, f"from {name}")


def test_without_pyyaml_compose_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {**REPO, "compose.yaml": "services:\n  svc:\n    build: ./svc\n"})
    real_import = builtins.__import__

    def no_yaml(name: str, *args: object, **kwargs: object) -> object:
        if name == "yaml":
            raise ImportError("no yaml in the hook environment")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_yaml)
    context, reason = find_context(tmp_path / "svc/Dockerfile", tmp_path)
    assert (rel(context, tmp_path), reason) == (".", "inferred: repository root, where every COPY source exists")


@pytest.mark.parametrize(
    ("files", "expected", "reason"),
    [
        (REPO, ".", "inferred: repository root, where every COPY source exists"),
        (
            {"svc/app.py": "", "svc/Dockerfile": "FROM a\nCOPY app.py /app/\n"},
            "svc",
            "inferred: the Dockerfile's directory, where every COPY source exists",
        ),
        (
            {"x/shared/a.py": "", "x/svc/app.py": "", "x/svc/Dockerfile": SERVICE_DOCKERFILE},
            "x",
            "inferred: x, where every COPY source exists",
        ),
        ({"svc/Dockerfile": "FROM a\nRUN true\n"}, "svc", "inferred: the Dockerfile's directory (it copies nothing from a context)"),
        (
            {"svc/Dockerfile": "FROM a\nARG D=shared\nCOPY $D/ /x/\nCOPY --from=b /y /y\nCOPY *.py /z/\n", "shared/a.py": ""},
            ".",
            "inferred: repository root, where every COPY source exists",
        ),
    ],
)
def test_inference(tmp_path: Path, files: dict[str, str], expected: str, reason: str) -> None:
    write_tree(tmp_path, files)
    dockerfile = next(tmp_path.rglob("Dockerfile"))
    context, why = find_context(dockerfile, tmp_path)
    assert (rel(context, tmp_path), why) == (expected, reason)


def test_inference_when_sources_exist_nowhere(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc/Dockerfile": "FROM a\nCOPY nowhere.py /app/\n"})
    context, reason = find_context(tmp_path / "svc/Dockerfile", tmp_path)
    assert rel(context, tmp_path) == "svc"
    assert "missing here: nowhere.py" in reason


def test_inference_reads_the_dockerfile_like_load_image(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc/Dockerfile": "FROM a\nRUN <<EOF\n"})
    with pytest.raises(InputError, match="unterminated heredoc"):
        find_context(tmp_path / "svc/Dockerfile", tmp_path)


def test_cloudbuild_substitutions_with_defaults_are_resolved(tmp_path: Path) -> None:
    cloudbuild = ("substitutions:\n  _SERVICE: svc\n  _CONTEXT: .\nsteps:\n"
                  "- name: gcr.io/cloud-builders/docker\n"
                  "  args: [build, -t, 'gcr.io/$PROJECT_ID/${_SERVICE}:$SHORT_SHA', -f, '${_SERVICE}/Dockerfile', '$_CONTEXT']\n")
    write_tree(tmp_path, {"svc/Dockerfile": "FROM a\nCOPY lib/ /lib/\n", "lib/x.py": "", "cloudbuild.yaml": cloudbuild})
    context, reason = find_context(tmp_path / "svc/Dockerfile", tmp_path)
    assert (rel(context, tmp_path), reason) == (".", "from cloudbuild.yaml")


def test_a_substitution_without_a_default_leaves_the_context_to_inference(tmp_path: Path) -> None:
    cloudbuild = "steps:\n- name: gcr.io/cloud-builders/docker\n  args: [build, -f, '${_SERVICE}/Dockerfile', '.']\n"
    write_tree(tmp_path, {"svc/Dockerfile": "FROM a\nCOPY lib/ /lib/\n", "lib/x.py": "", "cloudbuild.yaml": cloudbuild})
    _, reason = find_context(tmp_path / "svc/Dockerfile", tmp_path)
    assert reason.startswith("inferred")


def test_compose_defaults_are_resolved(tmp_path: Path) -> None:
    compose = "services:\n  api:\n    build:\n      context: ${API_CONTEXT:-.}\n      dockerfile: ${API_DOCKERFILE:-svc/Dockerfile}\n"
    write_tree(tmp_path, {"svc/Dockerfile": "FROM a\nCOPY lib/ /lib/\n", "lib/x.py": "", "compose.yaml": compose})
    context, reason = find_context(tmp_path / "svc/Dockerfile", tmp_path)
    assert (rel(context, tmp_path), reason) == (".", "from compose.yaml")
