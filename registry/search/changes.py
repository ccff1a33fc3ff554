"""Reading a change feed, gaps included.

The index records the last change-log ``seq`` it applied. On PostgreSQL a transaction may take its seq
before another one and commit after it: the later seq is read first, and the earlier one appears
below the index's seq. Such gaps are remembered (with when they were first seen) and re-read for
:data:`GAP_GRACE` seconds.
"""

from __future__ import annotations

from collections.abc import Collection

from .interfaces import ChangeFeed
from .records import Changes

#: how long a seq missing below the last one read is re-read (a transaction that took its seq
#: before another one but committed after it)
GAP_GRACE = 120.0
#: at most this many such seqs are remembered (the most recent)
MAX_GAPS = 1000


def read(feed: ChangeFeed, after: int, limit: int, recheck: Collection[int] = (), *, records: bool = True) -> Changes:
    """The feed's entries after ``after`` (and those of the seqs in ``recheck``, when it can say)."""
    reader = getattr(feed, "read", None)
    if reader is not None:
        return reader(after, limit, recheck, records=records)
    found, last = feed.changes(after, limit)
    return Changes(found, last)


def gaps_after(changes: Changes, after: int, gaps: dict[str, float], now: float) -> dict[str, float]:
    """The gaps still open after reading ``changes``: old ones not seen yet and young enough, and the
    seqs between ``after`` and ``changes.last`` the feed did not return."""
    if changes.seqs is None:
        return {}
    seen = set(changes.seqs)
    out = {s: t for s, t in gaps.items() if int(s) not in seen and now - t < GAP_GRACE}
    for seq in range(after + 1, changes.last + 1):
        if seq not in seen:
            out[str(seq)] = now
    if len(out) > MAX_GAPS:
        out = dict(sorted(out.items(), key=lambda item: int(item[0]))[-MAX_GAPS:])
    return out
