"""Test-only fault injection: hold a publication's transaction open at a chosen point, saying so
first, so that a test can kill the process or race another writer there
(``REGISTRY_FAULT_PUBLISH_DELAY`` and ``REGISTRY_FAULT_PUBLISH_POINT``). Connected by the app factory
only when a delay is configured; the services know nothing of it (``events.publishing``)."""

from __future__ import annotations

import logging
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..db import catalog_id, run_after_appends
from . import events

log = logging.getLogger("registry.services.catalog")  # where the tests listen for the announcement

POINTS = ("versions", "commit", "committed")


def hold_publications(engine: Engine, seconds: float, point: str = "versions"):
    """Hold every publication on ``engine``'s catalog open for ``seconds`` at ``point``: ``versions``
    (its version rows written), ``commit`` (every row written, logs included, just before COMMIT) or
    ``committed`` (just after COMMIT, before anything the commit causes: the exports' plain copies
    dropped, the response). Returns the receiver; keep a reference to it while it should act."""
    if point not in POINTS:
        raise ValueError(f"fault point must be one of {POINTS}, not {point!r}")

    def receiver(_sender, session, code: str, version: str) -> None:
        def hold(_session=None) -> None:
            log.warning("fault injection: holding the publish of %s %s open for %.1f s at %s", code, version,
                        seconds, point)
            time.sleep(seconds)

        if point == "commit":
            run_after_appends(session, hold)
        elif point == "committed":
            # first among the session's after-commit listeners, so before db.on_commit's callbacks
            event.listen(session, "after_commit", hold, once=True, insert=True)
        else:
            hold()

    events.publishing.connect(receiver, sender=catalog_id(engine))
    return receiver
