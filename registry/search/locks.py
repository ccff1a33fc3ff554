"""A lock file for writers: one writer per index directory across processes and threads.

An ``fcntl`` lock on a file, which the OS drops when a process dies; a thread lock in front of it, since
``flock`` locks belong to open file descriptions, not threads.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def file_lock(path: Path, timeout: float | None) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` (across processes and threads); yields False on timeout.

    ``timeout=None`` waits for ever; ``0`` tries once.
    """
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(str(path), threading.Lock())
    if not thread_lock.acquire(timeout=-1 if timeout is None else timeout):
        yield False
        return
    fd = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.01)
        yield True
    finally:
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock
        thread_lock.release()
