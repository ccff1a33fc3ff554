"""Files written whole or not at all, readable by a web server, and a full disk told apart."""

from __future__ import annotations

import errno
import os
import tempfile
from functools import lru_cache
from pathlib import Path

#: errors that mean the disk (or the user's quota) is full: the file is not written, and the
#: caller may still answer from memory
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def no_space(exc: OSError) -> bool:
    return exc.errno in NO_SPACE


@lru_cache(maxsize=1)
def _umask() -> int:
    """The process's umask, read without setting it (os.umask would change it for every thread)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def atomic_write(path: Path, data: bytes, *, public: bool = True) -> None:
    """Write ``path`` whole or not at all: readers see the old file or the new one, never half, and
    a failure (a full disk, say) leaves no temporary file. A public file (the exports folder, which
    any web server may serve) gets the mode an ordinary file would (0644 under the usual umask),
    not mkstemp's 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        if public:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
