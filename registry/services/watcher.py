"""Each app process notices what changes standings without a request of its own: a new day in the
registry's time zone (a version comes into force, or its last day passes), and publications or
withdrawals committed by other processes or machines (the catalog's change log). It sends the
signals of ``services.events``; the receivers (the exports' plain copies, cached rows) do the rest.
No request waits for it, and it writes nothing to the catalog.

A process's watcher starts from where the exports folder's plain copies were last brought up to date
(``services.plain_copies``), and takes its first look at once: what happened while no process
watched (a process killed between a commit and its receivers, a night with the server down) is
acted on at the next start.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import select

from ..clock import Clock
from ..db import catalog_id, read_session
from ..models import ChangeLog
from . import events
from .catalog import change_log_head
from .standing import histories

log = logging.getLogger(__name__)

#: seconds between two looks (REGISTRY_WATCH_INTERVAL): a new day or another machine's change is
#: acted on within this time
INTERVAL = 5.0
EXTENSION = "registry.watcher"


def changed_between(engine: Engine, clock: Clock, before: date, after: date) -> list[str]:
    """The standards some of whose versions have another standing on ``after`` than on ``before``."""
    with read_session(engine) as session:
        found = histories(session, None, clock)
    return sorted(code for code, hist in found.items()
                  if {v: s.state for v, s in hist.timeline.standings(before).items()}
                  != {v: s.state for v, s in hist.timeline.standings(after).items()})


class StandingWatcher:
    """``since_seq``, ``since_day``: the change-log entry and the day already acted on (default: now)."""

    def __init__(self, engine: Engine, clock: Clock, interval: float = INTERVAL, *, since_seq: int | None = None,
                 since_day: date | None = None):
        self.engine, self.clock, self.interval = engine, clock, interval
        self.sender = catalog_id(engine)
        self.day = since_day or clock.today()
        self.seq = self._head() if since_seq is None else since_seq
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _head(self) -> int:
        with read_session(self.engine) as session:
            return change_log_head(session)

    def check(self) -> None:
        """One look: signal a new day, and the standards changed in the catalog since the last look."""
        today = self.clock.today()
        if today != self.day:
            codes = changed_between(self.engine, self.clock, self.day, today)
            log.info("a new day (%s): the standings of %d standard(s) changed", today, len(codes))
            self.day = today
            events.day_began.send(self.sender, day=today, codes=codes)
        with read_session(self.engine) as session:
            entries = list(session.exec(select(ChangeLog.seq, ChangeLog.code).where(ChangeLog.seq > self.seq)
                                        .order_by(ChangeLog.seq)))
        if entries:
            self.seq = entries[-1].seq
            events.catalog_changed.send(self.sender, codes=sorted({e.code for e in entries}), seq=self.seq,
                                        day=self.day)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="standing-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop looking, and wait for a look under way to end: its connection must go back to the pool
        before the engine is disposed, or it is left open."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:  # the first look at once: it catches up with what happened before this process
            try:
                self.check()
            except Exception:  # the catalog unreachable, say: look again next time
                log.warning("standing watcher: could not look at the catalog", exc_info=True)
            if self._stop.wait(self.interval):
                return
