"""The bundled example platform, modelled for real: the incident and the fixed coordinator image."""
from __future__ import annotations

from pathlib import Path

import pytest

from predguard.hooks.dockerfile import find_context, load_image

REPO = Path(__file__).resolve().parents[3]
PLATFORM = REPO / "examples" / "prediction-platform"
INCIDENT = REPO / "examples" / "incidents" / "missing-worker-copy" / "predictions" / "coordinator" / "Dockerfile"


@pytest.mark.parametrize(
    ("dockerfile", "has_worker"),
    [(PLATFORM / "predictions/coordinator/Dockerfile", True), (INCIDENT, False)],
    ids=["fixed", "incident"],
)
def test_coordinator_image(dockerfile: Path, has_worker: bool) -> None:
    image = load_image(dockerfile, PLATFORM, root=PLATFORM)
    assert ("/app/predictions/worker/data_loaders.py" in image.files) is has_worker
    assert "/app/predictions/coordinator/app.py" in image.files and "/app/shared/config.py" in image.files
    assert image.workdir == "/app" and image.env["PYTHONPATH"] == "/app"
    assert image.cmd is not None and image.cmd.shell and image.cmd.argv[:2] == ("exec", "gunicorn")
    assert not image.problems


def test_worker_files_propagate_through_the_builder_stage() -> None:
    dockerfile = PLATFORM / "predictions/worker/Dockerfile"
    copy_line = next(n for n, text in enumerate(dockerfile.read_text().splitlines(), 1) if text.startswith("COPY --from=builder /src/"))
    image = load_image(dockerfile, PLATFORM, root=PLATFORM)
    assert image.workdir == "/srv/app"  # WORKDIR ${APP_HOME} from a stage ARG default
    entry = image.files["/srv/app/predictions/worker/data_loaders.py"]
    assert entry.source == PLATFORM.resolve() / "predictions/worker/data_loaders.py"
    assert entry.line == copy_line  # the final stage's COPY --from=builder, not the builder's COPY
    assert "/usr/local" in image.opaque_dirs  # pip --prefix=/install in the builder
    assert any("pip install" in text for _, text in image.runs)
    assert not any("/tests/" in path or "__pycache__" in path for path in image.files)  # .dockerignore


def test_context_is_the_repository_root() -> None:
    context, reason = find_context(PLATFORM / "predictions/coordinator/Dockerfile", PLATFORM)
    assert context.resolve() == PLATFORM.resolve()
    assert reason in ("from cloudbuild.yaml", "inferred: repository root, where every COPY source exists")
