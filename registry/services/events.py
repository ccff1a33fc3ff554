"""What follows a change to the catalog, once it is committed: one place, as signals.

The services emit these signals after the commit of a publication, a withdrawal or a change of
keeper (``db.on_commit``), and the day watcher emits ``day_began`` when a new day starts in the
registry's time zone (a version may come into force without anyone touching the catalog), and
``catalog_changed`` when it sees changes that other processes or machines committed.
Receivers are connected by the app factory and the command line for their catalog (the sender is
the catalog's URL, ``db.catalog_id``), never at import time. Each receiver does one job: the
exports drop the plain copies that print a standing, for example.

Signals carry keyword arguments: ``code`` (and ``version``) of what changed; ``day_began`` carries
``day`` and the ``codes`` whose standings changed that day; ``catalog_changed`` the ``codes``,
``seq`` (the last change-log entry seen) and ``day`` (the day it was seen on).
"""

from __future__ import annotations

from blinker import Namespace

from ..db import catalog_id, on_commit

signals = Namespace()

version_published = signals.signal("version-published")
version_withdrawn = signals.signal("version-withdrawn")
keeper_assigned = signals.signal("keeper-assigned")
day_began = signals.signal("day-began")
catalog_changed = signals.signal("catalog-changed")

#: sent inside the transaction of a publication, once its rows are written (``session``, ``code``,
#: ``version``): for test-only fault injection (``services.faults``); a receiver must not commit
publishing = signals.signal("publishing")

#: every signal whose receivers refresh what shows a standard's standing
STANDING_CHANGED = (version_published, version_withdrawn, day_began, catalog_changed)


def emit_after_commit(session, signal, **values) -> None:
    """Send ``signal`` for the session's catalog once its transaction has committed."""
    sender = catalog_id(session)
    on_commit(session, lambda: signal.send(sender, **values))
