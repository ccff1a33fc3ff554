"""The facts about a version that an output prints: identity, standing, where to verify it.

One class for every output (PDF, HTML, CSV, CASE...), built by the services from the catalog and
the time model; outputs never ask the catalog themselves. Two infos that are equal give the same
bytes, so a cached file is addressed by what its info prints (:meth:`VersionInfo.printed_key`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..lifecycle import DRAFT_STANDING, IN_FORCE, START_STATED, Standing

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class VersionInfo:
    """A published version (``standing`` set) or a draft under review (``standing`` None)."""

    code: str
    version: str
    sha256: str = ""
    standing: Standing | None = None
    base_url: str = DEFAULT_BASE_URL
    published_at: datetime | None = None
    #: for a draft: its id and revision (printed on every page), and the start its document states
    draft_id: int | None = None
    draft_revision: int | None = None
    stated_start: date | None = None
    #: the day the standing is of (printed by the outputs that say "on <day>": generated documents)
    day: date | None = None

    def __post_init__(self) -> None:
        if self.sha256 and (len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256)):
            raise ValueError("sha256 must be 64 lower-case hex digits")

    # --- what the standing says ----------------------------------------------------------------

    @property
    def is_draft(self) -> bool:
        return self.standing is None

    @property
    def status(self) -> str:
        """The standing's state, or ``draft``."""
        return self.standing.state if self.standing is not None else DRAFT_STANDING

    @property
    def in_force(self) -> bool:
        return self.status == IN_FORCE

    @property
    def effective_from(self) -> date | None:
        """The first day in force, when known (None: not stated)."""
        return self.standing.start if self.standing is not None else self.stated_start

    @property
    def start_basis(self) -> str:
        return self.standing.start_basis if self.standing is not None else START_STATED

    @property
    def effective_until(self) -> date | None:
        """The last day in force (inclusive), when it has one."""
        return self.standing.end if self.standing is not None else None

    @property
    def successor_version(self) -> str | None:
        return self.standing.successor if self.standing is not None else None

    @property
    def superseded_from(self) -> date | None:
        return self.standing.superseded_from if self.standing is not None else None

    @property
    def withdrawn_at(self) -> datetime | None:
        return self.standing.withdrawn_at if self.standing is not None else None

    @property
    def withdrawn_reason(self) -> str | None:
        return self.standing.withdrawn_reason if self.standing is not None else None

    # --- addresses -------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def verify_url(self) -> str:
        return f"{self.base}/verify/{self.sha256}"

    @property
    def permalink(self) -> str:
        if self.is_draft:
            return f"{self.base}/api/v1/drafts/{self.draft_id}" if self.draft_id is not None else self.verify_url
        return f"{self.base}/standards/{self.code}/{self.version}"

    def item_url(self, item_id: str) -> str:
        """The permalink of one item of this version (``/standards/{code}/{version}/items/{id}``)."""
        return f"{self.base}/standards/{self.code}/{self.version}/items/{item_id}"

    def level_url(self, scope_key: str) -> str:
        """The page of one level (``L3``) or level and direction (``junior/cv``) of this version."""
        return f"{self.base}/standards/{self.code}/{self.version}/levels/{scope_key}"

    def successor_url(self) -> str | None:
        if self.successor_version:
            return f"{self.base}/standards/{self.code}/{self.successor_version}"
        return None

    def printed_key(self) -> str:
        """Everything besides the document that an output printing the standing shows."""
        standing = self.standing.key() if self.standing is not None else f"draft|{self.draft_id}|{self.draft_revision}"
        return "\0".join((standing, self.base, self.sha256))

    # --- builders --------------------------------------------------------------------------------

    @classmethod
    def of_version(cls, row: Any, standing: Standing, base_url: str = DEFAULT_BASE_URL,
                   day: date | None = None) -> VersionInfo:
        """From a catalog ``StandardVersion`` (or a light row) and its standing on the day ``day``."""
        return cls(code=row.code, version=row.version, sha256=row.sha256, standing=standing, base_url=base_url,
                   published_at=getattr(row, "published_at", None), day=day)

    @classmethod
    def of_draft(cls, draft: Any, base_url: str = DEFAULT_BASE_URL) -> VersionInfo:
        """From a catalog ``Draft``: printed with the DRAFT watermark on every page."""
        doc = draft.document
        return cls.of_document(doc, sha256=draft.sha256, base_url=base_url, draft_id=getattr(draft, "id", None),
                               draft_revision=getattr(draft, "revision", None))

    @classmethod
    def of_document(cls, doc: dict, *, source: bytes | None = None, sha256: str = "", standing: Standing | None = None,
                    base_url: str = DEFAULT_BASE_URL, **values: Any) -> VersionInfo:
        """For a document that is not (or not yet) in the catalog: a draft, a file being checked,
        a benchmark. ``source`` gives the sha256."""
        if source is not None:
            sha256 = hashlib.sha256(source).hexdigest()
        stated = doc.get("provenance", {}).get("effective_from")
        return cls(code=doc["code"], version=doc["version"], sha256=sha256, standing=standing, base_url=base_url,
                   stated_start=date.fromisoformat(stated) if stated and standing is None else None, **values)
