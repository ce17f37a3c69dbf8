"""The distribution installs one import name, `predguard`, and nothing a platform's code uses.

setup.py maps the repository's top-level folders (hooks/, verify/, processors/, monitors/) into
`predguard.*`. A service image often runs with PYTHONPATH=/app, where the platform's own
`processors/` or `monitors/` live: the built wheel must import beside them, each side getting its own.
"""
from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("hooks", "verify", "processors", "monitors")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(out), str(REPO)], check=True, capture_output=True, timeout=300)
    (built,) = out.glob("predguard-*.whl")
    return built


def test_the_wheel_holds_only_the_predguard_namespace(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"predguard"}
    for package in PACKAGES:
        assert f"predguard/{package}/__init__.py" in names
    # Subpackages come along (setup.py computes the list, so a new one cannot be forgotten).
    assert "predguard/hooks/dockerfile/lexer.py" in names
    assert "predguard/monitors/detection/core.py" in names


def test_the_installed_wheel_imports_beside_a_platforms_own_packages(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    with zipfile.ZipFile(wheel) as archive:  # what `pip install --no-deps` puts in site-packages
        archive.extractall(site)
    # Third-party dependencies come from this test run's environment, after the wheel's own files.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    user = tmp_path / "app"  # a platform's image: /app with its own generic top-level packages
    for package in PACKAGES:
        (user / package).mkdir(parents=True)
        (user / package / "__init__.py").write_text(f"OWNER = 'platform {package}'\n")
    probe = (
        "import hooks, verify, processors, monitors\n"
        "import predguard.hooks, predguard.verify, predguard.processors, predguard.monitors\n"
        "import predguard.hooks.check_dockerfiles, predguard.monitors.drift\n"
        "for name in ('hooks', 'verify', 'processors', 'monitors'):\n"
        "    user, ours = __import__(name), __import__('predguard.' + name, fromlist=['_'])\n"
        "    assert user.OWNER == 'platform ' + name, user\n"
        "    assert not hasattr(ours, 'OWNER') and '/site-packages/predguard/' in ours.__file__, ours\n"
        "print('ok')\n"
    )
    result = subprocess.run([str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(user), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

