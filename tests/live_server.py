"""A real server for the tests and the fault scripts (``benchmarks/faults``) that need one: gunicorn
serving ``registry:create_app()`` with two workers on loopback, in its own process group, so that
one SIGKILL takes the master, its workers and their render children, and nothing outlives its user.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``gunicorn registry:create_app()`` with two workers on 127.0.0.1, with `registry serve`'s gunicorn
    configuration (registry.serving), configured by ``env``
    (``REGISTRY_*`` settings), its output in ``log_path``. Started by the constructor, which waits
    until it answers (at most ``start_limit`` seconds); :meth:`kill` ends it with SIGKILL."""

    def __init__(self, env: dict[str, str], log_path: Path, *, start_limit: float = 120):
        self.port = free_port()
        self.log_path = log_path
        self.log_start = log_path.stat().st_size if log_path.exists() else 0  # where this server's output begins
        self._log = open(log_path, "ab")
        settings = {"REGISTRY_LOG_LEVEL": "WARNING", "REGISTRY_RENDER_WARM": "0", **env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:registry.serving", "--workers", "2", "--threads", "4",
             "--bind", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "1", "--timeout", "120", "registry:create_app()"],
            env={**os.environ, **settings}, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=ROOT)
        deadline = time.monotonic() + start_limit
        while True:
            try:
                if self.request("GET", "/api/v1/standards?per_page=1", timeout=10)[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the server did not start; its log: {log_path}")
            time.sleep(0.1)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs (idempotent)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=60)
        self._log.close()
