"""The two seams of search: what an index engine offers the service, and what it needs of the catalog.

:class:`SearchIndex` is the interface a search engine implements (today :mod:`registry.search.whoosh`;
:func:`registry.search.service.open_index` is the one place that picks it). :class:`ChangeFeed` is
what an engine reads the catalog through (:class:`registry.search.feed.CatalogFeed`). The problems an
engine reports are here too, so that the service and the views handle them without knowing the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ServiceUnavailable

if TYPE_CHECKING:
    from .records import Removal, VersionRecord
    from .request import SearchRequest, SearchResult


class IndexProblem(Exception):
    """The index must be rebuilt: it is missing, unreadable, damaged, of another format, or ahead of
    a restored catalog. ``servable``: its generation can still answer searches meanwhile."""

    def __init__(self, message: str, *, servable: bool = False):
        super().__init__(message)
        self.servable = servable


class IndexDamaged(IndexProblem):
    """The engine failed to read the files of the current generation (their checksums disagree)."""


class SearchUnavailable(ServiceUnavailable):
    """The search cannot be answered now (the index is being rebuilt, or the server is too busy)."""


class ChangeFeed(Protocol):
    """What the index needs from the catalog (``registry.search.feed.CatalogFeed``).

    A feed may also offer ``read(after, limit, recheck, *, records=True) -> Changes``: the entries
    after ``after`` plus those of the seqs in ``recheck`` (gaps seen earlier), with the seqs it saw
    (without their records when ``records`` is false). Without it, ``changes`` is used and seqs are
    assumed to be committed in order.
    """

    def head(self) -> int: ...

    def changes(self, after: int, limit: int) -> tuple[list[VersionRecord | Removal], int]: ...

    def versions(self, part: int, parts: int) -> Iterator[VersionRecord]: ...

    def worker_copy(self) -> ChangeFeed: ...


class SearchIndex(Protocol):
    """The search index of one data directory, shared safely by every process that opens it.

    A rebuildable cache of the catalog: the catalog's change log is the one source of truth.
    """

    root: Path

    def check(self) -> None:
        """Raise :class:`IndexProblem` unless the index is sound and of this code's format."""

    def ensure(self, feed: ChangeFeed, *, procs: int | None = None, replace: str | None = None) -> str | None:
        """Rebuild the index when it is missing, damaged or stale (or is ``replace``); return why, or None."""

    def rebuild(self, feed: ChangeFeed, *, procs: int | None = None, reason: str = "requested") -> dict[str, Any]:
        """Build a new generation from the catalog and swap it in; a report of the build."""

    def catch_up(self, feed: ChangeFeed, *, wait: bool = False, batch: int = 200,
                 max_batches: int | None = None) -> int:
        """Apply the change log's new entries; how many versions were written."""

    def apply(self, records: Sequence[VersionRecord | Removal], seq: int | None = None, *,
              timeout: float = 600.0) -> None:
        """Write versions (index published and superseded ones, drop the rest) in one commit."""

    def refresh(self) -> int:
        """Open what another process wrote; the last change-log seq the index applied."""

    def last_seq(self) -> int:
        """The last change-log seq the index applied."""

    def generation_dir(self) -> str | None:
        """The directory of the current generation (changes only when the index is rebuilt)."""

    def search(self, request: SearchRequest, overlay: Sequence[VersionRecord] = ()) -> SearchResult:
        """Run a search; ``overlay`` adds versions that are not in the index (a body's drafts)."""

    def close(self) -> None:
        """Close what this process opened."""
