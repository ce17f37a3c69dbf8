"""A real local BigQuery emulator (local-bigquery, on Python 3.13) for the real
google-cloud-bigquery client, started as a subprocess on 127.0.0.1.

The emulator's interpreter is `$PREDGUARD_BQEMU_PYTHON`, else `<repo>/.venv-bqemu/bin/python`
(`.ci/setup-bqemu` creates it when a Python 3.13 is available). When it is missing or does not
start, `start()` raises `EmulatorUnavailable` with the reason, and the fixtures skip.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = "test-proj"
START_TIMEOUT_S = 30.0


class EmulatorUnavailable(RuntimeError):
    pass


def emulator_python() -> Path:
    configured = os.environ.get("PREDGUARD_BQEMU_PYTHON")
    return Path(configured) if configured else REPO / ".venv-bqemu" / "bin" / "python"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class BigQueryEmulator:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    project: str = PROJECT

    def client(self):  # -> google.cloud.bigquery.Client
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.url),
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(data_dir: Path) -> BigQueryEmulator:
    python = emulator_python()
    if not python.exists():
        raise EmulatorUnavailable(f"no emulator interpreter at {python} (run .ci/setup-bqemu, which needs Python 3.13)")
    port, grpc_port = _free_port(), _free_port()
    log_path = data_dir / "emulator.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(python), "-c", "from local_bigquery.cli import main; main()", "serve",
             "--host", "127.0.0.1", "--port", str(port), "--grpc-port", str(grpc_port),
             "--project", PROJECT, "--data-dir", str(data_dir)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    emulator = BigQueryEmulator(process, url, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-400:]
            raise EmulatorUnavailable(f"emulator exited with {process.returncode}: {tail}")
        try:
            with urllib.request.urlopen(f"{url}/bigquery/v2/projects/{PROJECT}/datasets", timeout=1) as response:
                if response.status == 200:
                    return emulator
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    emulator.stop()
    raise EmulatorUnavailable(f"emulator did not answer within {START_TIMEOUT_S:.0f} s (log: {log_path})")
