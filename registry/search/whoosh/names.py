"""Names of Whoosh's new files that cannot repeat.

Whoosh names each new segment, and its temporary files, from the global ``random`` generator. The index
code here takes a segment's name to be unique: a mirror is written once per name, a searcher reuses
the reader of a segment of the same name, per-segment data are cached by name. Anything that seeds the
global generator (Hypothesis does, before each case it draws, in the process of a server under test)
makes Whoosh repeat a name: a new segment then reads as an old one (a 500 on search) or its commit
fails (``create_compound_file``'s assertion). Here the names come from the operating system's
generator instead, which nothing can seed.
"""

from __future__ import annotations

import importlib
import secrets
import threading

from whoosh.util import IDCHARS

#: the Whoosh modules that name files with ``whoosh.util.random_name`` (each imported it by name)
_USERS = ("whoosh.util", "whoosh.codec.base", "whoosh.writing", "whoosh.filedb.filestore", "whoosh.filedb.compound",
          "whoosh.multiproc")
_installed = threading.Event()
_lock = threading.Lock()


def unique_name(size: int = 28) -> str:
    return "".join(secrets.choice(IDCHARS) for _ in range(size))


def install() -> None:
    """Have Whoosh name its new files with :func:`unique_name` (once per process; cheap afterwards)."""
    if _installed.is_set():
        return
    with _lock:
        for name in _USERS:
            module = importlib.import_module(name)
            if getattr(module, "random_name", None) is not None:
                module.random_name = unique_name
        _installed.set()
