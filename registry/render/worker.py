"""PDF rendering in a warm child process, with a time limit and a memory limit.

WeasyPrint can take unbounded time and memory on crafted input (threats.md A5-A8), and the
first render of a process pays about a second of imports and font loading. So each web process
keeps one :class:`RenderWorker`: a child Python process (``python -m registry.render.worker``)
that has imported WeasyPrint, loaded the prepared font and rendered a warm-up page before the
first request, and that runs every render under

* a wall-clock limit enforced by the parent (the child is killed with SIGKILL when it passes);
* ``RLIMIT_AS`` (address space) set in the child, so a render that allocates too much fails
  inside the child (MemoryError, or the child dies) and never grows the web worker;
* no network: the child's sockets refuse to connect (the fetcher never asks, this is a second
  lock on the same door).

A failed render raises :class:`registry.render.RenderFailed` (HTTP 422) with the limit that was
hit; the child is replaced in the background and the caller carries on. The child is also
recycled after ``max_renders`` renders, since WeasyPrint does not give memory back.

Protocol on the child's stdin/stdout: frames of an 8-byte big-endian length and a pickle.
Both ends are this module; nothing else writes to these pipes.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any

from . import RenderAssetError, RenderFailed, RenderUnavailable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0            # seconds for one render
DEFAULT_MEMORY_MB = 2048          # RLIMIT_AS of the child (address space, not RSS)
DEFAULT_START_TIMEOUT = 90.0      # import + fonts + warm-up of a new child
DEFAULT_QUEUE_TIMEOUT = 120.0     # how long a request waits for the worker to be free
DEFAULT_MAX_RENDERS = 200         # recycle the child after this many renders
MAX_HTML_BYTES = 16 * 1024 * 1024

_HEADER = struct.Struct(">Q")
_MAX_FRAME = 512 * 1024 * 1024


# --- framing -------------------------------------------------------------------------------------


def _write_frame(stream, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_exact_blocking(stream, size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame_blocking(stream) -> Any:
    (size,) = _HEADER.unpack(_read_exact_blocking(stream, _HEADER.size))
    if size > _MAX_FRAME:
        raise ValueError("frame too large")
    return pickle.loads(_read_exact_blocking(stream, size))  # noqa: S301 - frames from our own parent process


def _read_exact_until(fd: int, size: int, deadline: float) -> bytes:
    """Read ``size`` bytes from ``fd`` before ``deadline``, or raise TimeoutError / EOFError.

    What is already in the pipe is read even after the deadline: a warm worker whose "ready"
    message has waited since start-up must not be taken for one that failed to start.
    """
    chunks = []
    while size:
        remaining = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("child closed its output")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame_until(fd: int, deadline: float) -> Any:
    (size,) = _HEADER.unpack(_read_exact_until(fd, _HEADER.size, deadline))
    if size > _MAX_FRAME:
        raise EOFError("child sent a frame too large")
    return pickle.loads(_read_exact_until(fd, size, deadline))  # noqa: S301 - frames from our own render child


# --- the child -----------------------------------------------------------------------------------


def _no_network() -> None:
    """Make every socket connection of this process fail (defence in depth for the fetcher)."""
    import socket

    def refuse(*_args, **_kwargs):
        raise PermissionError("network access is disabled in the render worker")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


def _set_memory_limit(megabytes: int) -> None:
    if megabytes and megabytes > 0:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child_main(memory_mb: int, warm: bool) -> int:
    """Serve render requests from stdin until it closes."""
    requests = sys.stdin.buffer
    # Replies go to a private copy of stdout; anything a library prints to stdout must not corrupt
    # the frames, so fd 1 itself now points at stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _no_network()
    started = time.perf_counter()
    try:
        _set_memory_limit(memory_mb)
        from . import pdf

        warm_stats = pdf.warm_up() if warm else {}
        _write_frame(replies, {"ready": True, "pid": os.getpid(), "start_s": time.perf_counter() - started,
                               "warm": warm_stats})
    except BaseException as error:  # noqa: BLE001 - report why the worker could not start
        _write_frame(replies, {"ready": False, "message": f"{type(error).__name__}: {error}"})
        return 1
    while True:
        try:
            request = _read_frame_blocking(requests)
            _write_frame(replies, {"taken": True})  # the parent tells a death before this from one mid-render
        except (EOFError, BrokenPipeError):
            return 0
        try:
            stats: dict = {}
            data = pdf.render_pdf(request["html"], attachments=request.get("attachments", ()), stats=stats,
                                  **request.get("options", {}))
            reply = {"ok": True, "pdf": data, "stats": stats}
        except MemoryError:
            reply = {"ok": False, "kind": "memory", "message": "the render ran out of memory"}
        except RenderAssetError as error:
            reply = {"ok": False, "kind": "asset", "message": error.message, "details": error.details}
        except RecursionError:
            reply = {"ok": False, "kind": "complexity", "message": "the document is nested too deeply to lay out"}
        except Exception as error:  # noqa: BLE001 - any other failure is the document's or WeasyPrint's
            reply = {"ok": False, "kind": "error", "message": f"{type(error).__name__}: {error}"[:500]}
        try:
            _write_frame(replies, reply)
        except MemoryError:
            return 3
        except BrokenPipeError:
            return 0


# --- the parent ----------------------------------------------------------------------------------


class RenderWorker:
    """One warm child process that renders PDFs one at a time, under limits."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                 start_timeout: float = DEFAULT_START_TIMEOUT, queue_timeout: float = DEFAULT_QUEUE_TIMEOUT,
                 max_renders: int = DEFAULT_MAX_RENDERS, warm: bool = True, python: str = sys.executable):
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.start_timeout = start_timeout
        self.queue_timeout = queue_timeout
        self.max_renders = max_renders
        self.warm = warm
        self.python = python
        self._lock = threading.Lock()          # one render at a time
        self._proc: subprocess.Popen | None = None
        self._tmp: str | None = None           # the child's temporary folder (its TMPDIR)
        self._ready: dict | None = None
        self._renders = 0
        self._spawned_at = 0.0
        self.restarts = 0
        self.last_stats: dict = {}
        self._owner_pid = os.getpid()

    # -- life cycle

    def _spawn(self) -> None:
        # WeasyPrint writes each process's fonts (megabytes) to a folder of its own that only the
        # process's exit removes: a child killed (time or memory limit, recycled after max_renders)
        # would leave it behind in /tmp. The child's folder is made here and removed once it is reaped.
        self._kill()  # a previous child that ended by itself: its pipes and folder
        self._tmp = tempfile.mkdtemp(prefix="registry-render-")
        env = dict(os.environ, TMPDIR=self._tmp)
        self._proc = subprocess.Popen(
            [self.python, "-m", "registry.render.worker", "--child", "--memory-mb", str(self.memory_mb),
             *(() if self.warm else ("--no-warm",))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, env=env, close_fds=True,
            start_new_session=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        )
        self._ready = None
        self._renders = 0
        self._spawned_at = time.monotonic()

    def start(self) -> RenderWorker:
        """Start the child now (non-blocking): the first render then finds it warm."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._spawn()
        return self

    def _await_ready(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        if self._ready is not None:
            return
        deadline = self._spawned_at + self.start_timeout
        try:
            message = _read_frame_until(self._proc.stdout.fileno(), deadline)
        except (TimeoutError, EOFError) as error:
            self._kill()
            raise RenderUnavailable(f"the PDF renderer did not start ({type(error).__name__})") from None
        if not message.get("ready"):
            self._kill()
            raise RenderUnavailable(f"the PDF renderer could not start: {message.get('message')}")
        self._ready = message

    def _kill(self) -> None:
        proc, self._proc, self._ready = self._proc, None, None
        tmp, self._tmp = self._tmp, None
        if proc is None:
            if tmp is not None:  # Popen failed
                shutil.rmtree(tmp, ignore_errors=True)
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                proc.kill()
            except ProcessLookupError:
                pass
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait
            pass
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    def _replace(self) -> None:
        """Kill the child and start a new one (it warms up while the caller gets its error)."""
        self._kill()
        self.restarts += 1
        self._spawn()

    def close(self) -> None:
        with self._lock:
            proc = self._proc
            if proc is not None and proc.poll() is None and proc.stdin:
                try:
                    proc.stdin.close()      # the child exits on EOF
                    proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            self._kill()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def status(self) -> dict:
        proc = self._proc
        return {"pid": proc.pid if proc else None, "alive": bool(proc and proc.poll() is None),
                "ready": self._ready is not None, "renders": self._renders, "restarts": self.restarts,
                "timeout_s": self.timeout, "memory_mb": self.memory_mb}

    # -- rendering

    def _hand_over(self, request: dict) -> None:
        """Give the child ``request`` and wait until it says it took it. A child that died while idle
        (killed from outside) is replaced once: its pipe is broken, or (killed a moment before, not yet
        reaped) it closes its output without taking the request. Only a death after that is a render's."""
        for attempt in (1, 2):
            self._await_ready()
            assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
            try:
                _write_frame(self._proc.stdin, request)
                deadline = time.monotonic() + self.start_timeout
                if _read_frame_until(self._proc.stdout.fileno(), deadline).get("taken"):
                    return
            except (OSError, EOFError) as error:  # BrokenPipeError, TimeoutError (a child that does not read)
                if attempt == 2:
                    self._replace()
                    raise RenderUnavailable(f"the PDF renderer did not take the render ({type(error).__name__}); "
                                            "retry later") from None
            self._replace()

    def render_pdf(self, html: str, *, attachments: Sequence[tuple[str, bytes]] = (),
                   timeout: float | None = None, options: dict | None = None) -> bytes:
        """Render ``html`` in the child; see :func:`registry.render.pdf.render_pdf`.

        Raises RenderFailed (time, memory, error: 422), RenderAssetError (500) or RenderUnavailable
        (the worker is busy, does not start or dies mid-render: 503).
        """
        if len(html.encode("utf-8", "surrogatepass")) > MAX_HTML_BYTES:
            raise RenderFailed(f"the document is too large to render (HTML over {MAX_HTML_BYTES // (1 << 20)} MiB)",
                               details={"limit": "size", "max_html_bytes": MAX_HTML_BYTES})
        limit = self.timeout if timeout is None else timeout
        if not self._lock.acquire(timeout=self.queue_timeout):
            raise RenderUnavailable("the PDF renderer is busy; retry later")
        try:
            if os.getpid() != self._owner_pid:  # forked: the child belongs to the parent process
                self._proc, self._tmp, self._ready, self._owner_pid = None, None, None, os.getpid()
            if self._proc is None or self._proc.poll() is not None:
                if self._proc is not None:
                    self.restarts += 1
                self._spawn()
            self._hand_over({"html": html, "attachments": list(attachments), "options": options or {}})
            started = time.monotonic()
            try:
                assert self._proc.stdout is not None
                reply = _read_frame_until(self._proc.stdout.fileno(), started + limit)
            except TimeoutError:
                self._replace()
                raise RenderFailed(f"the render took longer than {limit:g} s and was stopped",
                                   details={"limit": "time", "seconds": limit}) from None
            except EOFError:
                code = _exit_code(self._proc)
                self._replace()
                if code is not None and -code in _DOCUMENT_CRASHES:
                    # C code that cannot allocate under the memory limit ends the child itself (GLib's
                    # g_error traps, malloc failures abort or fault): the document's doing, as a retry
                    # of the same document would end the same way
                    raise RenderFailed(f"the render needed more than {self.memory_mb} MB and was stopped",
                                       details={"limit": "memory", "memory_mb": self.memory_mb,
                                                "exit_code": code}) from None
                # killed from outside (SIGKILL, SIGTERM, the kernel): a transient fault of the renderer
                raise RenderUnavailable("the PDF renderer stopped during the render; retry later",
                                        details={"exit_code": code}) from None
            self._renders += 1
            if not reply.get("ok"):
                kind = reply.get("kind")
                if kind == "memory":
                    self._replace()  # a MemoryError may leave the child's heap in a poor state
                    raise RenderFailed(f"the render needed more than {self.memory_mb} MB and was stopped",
                                       details={"limit": "memory", "memory_mb": self.memory_mb})
                if kind == "asset":
                    raise RenderAssetError(reply.get("message", "print asset refused"), details=reply.get("details"))
                raise RenderFailed(f"the document could not be rendered: {reply.get('message')}",
                                   details={"limit": kind or "error"})
            self.last_stats = dict(reply.get("stats") or {}, worker_pid=self._proc.pid)
            if self._renders >= self.max_renders:
                self._replace()
            return reply["pdf"]
        finally:
            self._lock.release()


#: how a child ends itself when the document's render fails in C (out of memory under the limit)
_DOCUMENT_CRASHES = frozenset({signal.SIGTRAP, signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS})


def _exit_code(proc) -> int | None:
    """How a child that closed its output ended (it may take a moment to be reaped)."""
    try:
        return proc.wait(timeout=5) if proc is not None else None
    except subprocess.TimeoutExpired:
        return None


_workers: dict[int, RenderWorker] = {}
_workers_lock = threading.Lock()


def configured_settings() -> dict:
    """The limits from the environment (``REGISTRY_RENDER_TIMEOUT``, ``REGISTRY_RENDER_MEMORY_MB``)."""
    from ..config import load_config

    config = load_config()
    return {"timeout": float(config["RENDER_TIMEOUT"]), "memory_mb": int(config["RENDER_MEMORY_MB"])}


def get_worker(**settings: Any) -> RenderWorker:
    """The warm worker of this process (created, not started, on first use).

    Without ``settings``, the first call takes the limits from the environment, so that
    ``registry export`` and the app render under the same configured limits.
    """
    pid = os.getpid()
    with _workers_lock:
        worker = _workers.get(pid)
        if worker is None:
            worker = _workers[pid] = RenderWorker(**(settings or configured_settings()))
        return worker


def start_warm_worker(**settings: Any) -> RenderWorker:
    """Call at application start (per process): the first PDF then needs no cold start."""
    return get_worker(**settings).start()


@atexit.register
def _close_workers() -> None:  # pragma: no cover - exercised at interpreter exit
    for pid, worker in list(_workers.items()):
        if pid == os.getpid():
            try:
                worker.close()
            except Exception:  # noqa: BLE001, S110 - exiting: nothing left to report to
                pass


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="registry.render.worker")
    parser.add_argument("--child", action="store_true", help="serve render requests on stdin/stdout")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("--no-warm", action="store_true")
    args = parser.parse_args(argv)
    if not args.child:
        parser.error("this module is started by RenderWorker (--child)")
    return _child_main(args.memory_mb, warm=not args.no_warm)


if __name__ == "__main__":
    sys.exit(main())
