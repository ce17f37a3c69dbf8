"""Real HTTP services on 127.0.0.1 (subprocesses) for the verify-deploy tests."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER = Path(__file__).with_name("deploy_server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def service(*args: str, wait: bool = True) -> Iterator[str]:
    """Start deploy_server.py; yield its base URL; stop it (by its pid) afterwards."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(SERVER), str(port), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        if wait:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"listening"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_until_listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")
