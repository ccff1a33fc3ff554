"""What goes into the index: versions to write or remove, and what a change feed read.

Plain records, duck-typed from the catalog's rows (:mod:`registry.search.feed` makes them), so that no
engine module needs the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def version_key(code: str, version: str, draft_id: int | None = None) -> str:
    """The key of a version in the index (``vid``): ``code@version``, a draft's ``code@version~draftN``."""
    return f"{code}@{version}" if draft_id is None else f"{code}@{version}~draft{draft_id}"


@dataclass
class VersionRecord:
    """A version of a standard as the index needs it (duck-typed from the catalog's rows)."""

    code: str
    version: str
    status: str  # published | superseded | withdrawn | draft
    document: dict[str, Any]
    version_id: int | None = None
    draft_id: int | None = None
    fingerprint: str | None = None  # for drafts: changes whenever the draft does (caches overlays)

    @property
    def key(self) -> str:
        return version_key(self.code, self.version, self.draft_id)


@dataclass
class Removal:
    """A version that must leave the index (withdrawn, or gone from the catalog)."""

    code: str
    version: str

    @property
    def key(self) -> str:
        return version_key(self.code, self.version)


@dataclass
class Changes:
    """What a change feed read: the records to apply, the last seq read, and every seq seen."""

    records: list[VersionRecord | Removal]
    last: int
    seqs: list[int] | None = None  # None: the feed does not say (its seqs are assumed to have no gaps)
