"""A real Docker daemon for the real-build tests, set up as REAL-COMPONENTS.md says: no bridge,
no iptables, every build and container with `--network none`; the base image made with
debootstrap and `docker import`; third-party packages built as wheels on the host and installed
in the image with `pip --no-index`.

The base is tagged `python:3.11-slim` inside this private daemon, laid out as that image is
(Python in /usr/local, pip on PATH — here a venv at /usr/local, with pip pointed at the wheels),
so the example platform's Dockerfiles build unchanged. Everything lives in one temporary
directory and one daemon per test session; the daemon is stopped by its pid.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "examples" / "prediction-platform"
BASE_DOCKERFILE = """\
FROM local/debian-py:bookworm
COPY wheels/ /wheels/
RUN python3 -m venv /usr/local
ENV PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels PIP_DISABLE_PIP_VERSION_CHECK=1
"""


class Unavailable(Exception):
    """The daemon or the base image cannot be had here: the tests skip with this reason."""


@dataclass
class Docker:
    home: Path  # the session's directory: data root, exec root, socket, base-image context
    process: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        return f"unix://{self.home}/docker.sock"

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "-H", self.host, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)

    def stop(self) -> None:
        self.run("system", "prune", "-af", timeout=120)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


def start() -> Docker:
    """Start a private daemon; Unavailable (with the reason) when it cannot run here."""
    for tool in ("dockerd", "docker", "debootstrap"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not installed (bash .ci/setup-docker installs docker.io and debootstrap)")
    if os.geteuid() != 0:
        raise Unavailable("dockerd and debootstrap need root")
    home = Path(tempfile.mkdtemp(prefix="pgdk.", dir="/tmp"))  # short: a unix socket path is limited to 108 bytes
    log = open(home / "dockerd.log", "wb")
    process = subprocess.Popen(
        ["dockerd", "--data-root", str(home / "root"), "--exec-root", str(home / "exec"),
         "-H", f"unix://{home}/docker.sock", "--pidfile", str(home / "dockerd.pid"),
         "--bridge=none", "--iptables=false", "--ip-forward=false", "--ip-masq=false"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    docker = Docker(home, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if docker.run("info", timeout=20).returncode == 0:
            return docker
        time.sleep(0.5)
    tail = (home / "dockerd.log").read_text(errors="replace").strip().splitlines()[-3:]
    docker.stop()
    raise Unavailable("the Docker daemon did not start: " + " | ".join(tail))


def prepare_base(docker: Docker) -> None:
    """debootstrap (Debian 12: Python 3.11, like the host) -> `docker import` -> python:3.11-slim."""
    rootfs = docker.home / "rootfs"
    done = subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv", "bookworm", str(rootfs)],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise Unavailable("debootstrap failed: " + (done.stdout + done.stderr).strip().splitlines()[-1])
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(["docker", "-H", docker.host, "import", "-", "local/debian-py:bookworm"],
                              stdin=tar.stdout, capture_output=True, text=True, timeout=600)
    tar.wait()
    shutil.rmtree(rootfs, ignore_errors=True)
    if imported.returncode != 0:
        raise Unavailable("docker import failed: " + imported.stderr.strip())
    context = docker.home / "base"
    build_wheels(context / "wheels")
    (context / "Dockerfile").write_text(BASE_DOCKERFILE)
    built = docker.run("build", "-q", "--network", "none", "-t", "python:3.11-slim", ".", cwd=context)
    if built.returncode != 0:
        raise Unavailable("the python base image did not build: " + built.stderr.strip()[-300:])


def build_wheels(out: Path) -> None:
    """Every example service's requirements as wheels built here (predguard from this checkout)."""
    wanted: list[str] = []
    for requirements in sorted(PLATFORM.glob("**/requirements.txt")):
        for line in requirements.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("predguard"):
                extras = line[len("predguard"):].split("]")[0].lstrip("[") if line.startswith("predguard[") else ""
                line = f"{REPO}[{extras}]" if extras else str(REPO)
            if line and line not in wanted:
                wanted.append(line)
    out.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "-w", str(out), *wanted],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise Unavailable("pip wheel failed: " + done.stderr.strip().splitlines()[-1])
