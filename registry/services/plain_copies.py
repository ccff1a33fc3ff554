"""The exports folder's plain copies (``standards/<code>/<version>.<ext>``, see ``services.exports``)
kept true to the catalog: those that print a standing are dropped when a standing may have changed
(a publication, a withdrawal, a new day, another process's change: ``services.events``).

The folder keeps a mark of how far its copies follow the catalog: the last change-log entry and the
day the watcher acted on (``.standings-seen``). A process that starts resumes from that mark rather
than from "now" (``services.watcher``), so that a change committed by a process that was killed
before it dropped the copies (a SIGKILL just after COMMIT), or a day that began while no process
ran, is still acted on. A folder without a mark is caught up from the start of the change log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from ..db import catalog_id
from ..exports.formats import FORMATS
from . import events
from .exports import forget_lookups
from .files import atomic_write, no_space

log = logging.getLogger(__name__)

#: the mark's file in the exports folder (a web server serving the folder need not show it)
MARK = ".standings-seen"


@dataclass(frozen=True)
class Seen:
    """How far the folder's copies follow the catalog: every change-log entry up to ``seq``, and
    the standings of ``day`` (None: not known)."""

    seq: int = 0
    day: date | None = None


def seen(exports_dir: Path) -> Seen:
    """The folder's mark; none (or an unreadable one) means nothing is known to be seen."""
    try:
        data = json.loads((exports_dir / MARK).read_text())
        return Seen(int(data["seq"]), date.fromisoformat(data["day"]) if data.get("day") else None)
    except (OSError, ValueError, KeyError, TypeError):
        return Seen()


def _mark(exports_dir: Path, seq: int | None, day: date | None) -> None:
    # Processes mark in any order: a mark that goes back only makes the next start drop copies again.
    old = seen(exports_dir)
    new = Seen(old.seq if seq is None else seq, day or old.day)
    if new == old:
        return
    text = json.dumps({"seq": new.seq, "day": new.day.isoformat() if new.day else None})
    try:
        atomic_write(exports_dir / MARK, text.encode())
    except OSError as exc:
        if not no_space(exc):
            raise
        log.warning("exports disk full: the plain copies' mark is not kept (the next start looks again)")


def forget_status_copies(exports_dir: Path, code: str) -> None:
    """Delete the plain copies (``standards/<code>/<version>.pdf``, ``.html``, ``.case.json``) that
    print a standing: a web server that serves the folder must not go on offering a superseded PDF
    that says it is in force. The next download (or ``registry export --all``) writes them again."""
    suffixes = tuple(spec.suffix for spec in FORMATS.values() if spec.prints_standing)
    try:
        copies = [path for path in (exports_dir / "standards" / code).iterdir() if path.name.endswith(suffixes)]
    except FileNotFoundError:
        return
    for path in copies:
        path.unlink(missing_ok=True)


def connect(engine: Engine, exports_dir: Path):
    """Keep this process's exports right after changes to ``engine``'s catalog: forget the rows it
    reuses, drop the plain copies whose standing may have changed, and mark what the watcher saw.
    Returns the receiver; keep a reference to it for as long as it should stay connected (signals
    hold receivers weakly)."""
    def receiver(_sender, code: str | None = None, codes: Iterable[str] = (), seq: int | None = None,
                 day: date | None = None, **_values) -> None:
        forget_lookups()
        for changed in ([code] if code else list(codes)):
            forget_status_copies(exports_dir, changed)
        if seq is not None or day is not None:  # the watcher's signals: only once the copies are dropped
            _mark(exports_dir, seq, day)

    for signal in events.STANDING_CHANGED:
        signal.connect(receiver, sender=catalog_id(engine))
    return receiver
