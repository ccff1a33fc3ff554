"""The app under gunicorn, started the way ``registry serve`` starts it (threaded workers), and the HTTP
client every HTTP step uses."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from _machine import children, private_memory_mb, stop_server

from .common import HERE, free_port, mem_info


def app_factory():
    """The WSGI app for gunicorn: ``registry.create_app()``, with the search blueprint and service wired in
    when create_app does not do it yet (remove this once it does; then it only calls create_app)."""
    from registry import create_app

    app = create_app()
    notes = []
    if not any(rule.rule == "/api/v1/search" for rule in app.url_map.iter_rules()):
        from registry.api.search import bp

        if bp.name not in app.blueprints:
            app.register_blueprint(bp)
            notes.append("registered registry.api.search.bp")
    if "registry.search" not in app.extensions:
        from registry.search.service import init_app

        init_app(app)
        notes.append("called registry.search.service.init_app")
    print(f"bench_search.app_factory: pid {os.getpid()}: {'; '.join(notes) or 'create_app wires search itself'}",
          file=sys.stderr, flush=True)
    return app


class HttpClient:
    """http.client with keep-alive when the server allows it (gunicorn's threaded workers keep a connection
    open between requests, as ``registry serve`` runs them; a closed connection is opened again once)."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed a kept-alive connection: reconnect once
                if attempt:
                    raise
            except (OSError, http.client.HTTPException):
                self.conn.close()  # leave the connection reusable for the next call
                raise
        raise AssertionError("unreachable")

    def get(self, path: str):
        return self.request("GET", path)

    def close(self) -> None:
        self.conn.close()


def query_path(query: dict, per_page: int) -> str:
    params = {"q": query["q"], "per_page": per_page, **query["filters"]}
    return "/api/v1/search?" + urllib.parse.urlencode(params)


def serve_threads() -> int:
    """The threads per worker ``registry serve`` gives gunicorn by default (its ``--threads``)."""
    from registry.cli import serve

    return next(p.default for p in serve.params if p.name == "threads")


class Server:
    """gunicorn serving the app as ``registry serve`` runs it (its configuration module, ``workers`` threaded
    workers of ``registry serve``'s default threads each), in its own session; stopped by its pid."""

    def __init__(self, env: dict, workers: int, logdir: Path, app: str = "registry:create_app()"):
        self.port = free_port()
        self.app = app
        self.threads = serve_threads()
        self.log_path = logdir / f"gunicorn-{len(list(logdir.glob('gunicorn-*.log')))}.log"
        self.log = open(self.log_path, "wb")
        cmd = [sys.executable, "-m", "gunicorn", "--config", "python:registry.serving", "--workers", str(workers),
               "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
               "--timeout", "300", "--access-logfile", str(logdir / "access.log"), "--no-control-socket",
               "--pythonpath", str(HERE), app]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 900) -> float | None:
        """Seconds until the search answers 200; None when the app has no search route (404)."""
        started = time.monotonic()
        client = HttpClient(self.port)
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                status, _ = client.get("/api/v1/search?q=data&per_page=1")
                if status == 200:
                    return time.monotonic() - started
                if status == 404:
                    return None
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def memory(self) -> list[dict]:
        """Each worker's memory, and its render child's (the warm PDF renderer, on by default)."""
        out = []
        for pid in self.workers():
            row = {"pid": pid, **mem_info(pid)}
            kids = [{**mem_info(c), **private_memory_mb(c)} for c in children(pid)]
            if kids:
                row["render_child"] = {k: sum(kid.get(k, 0) for kid in kids) for k in ("vmhwm_mb", "vmrss_mb", "pss_mb",
                                                                                     "uss_mb")}
            row["uss_mb"] = private_memory_mb(pid).get("uss_mb", 0)
            out.append(row)
        return out

    def stop(self) -> None:
        stop_server(self.proc, self.log)

    def notes(self) -> list[str]:
        text = self.log_path.read_text("utf-8", errors="replace")
        return sorted({line.split(": ", 2)[-1] for line in text.splitlines() if "bench_search.app_factory" in line})
