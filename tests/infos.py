"""What outputs print about a version (``VersionInfo``), made from a few words, for the render and
export tests."""

from __future__ import annotations

from datetime import date, datetime

from registry.exports import VersionInfo
from registry.lifecycle import IN_FORCE, Standing
from registry.loader import load_bytes


def info_for(source: bytes, status: str = IN_FORCE, *, base_url: str = "https://registry.example.org",
             effective_from: str | date | None = None, effective_until: date | None = None,
             successor_version: str | None = None, superseded_from: date | None = None,
             withdrawn_reason: str | None = None, withdrawn_at: datetime | None = None,
             draft_id: int | None = None, draft_revision: int | None = None) -> VersionInfo:
    """The facts a version's files print: ``status`` is a standing, or ``draft``."""
    doc = load_bytes(source).data
    if isinstance(effective_from, str):
        effective_from = date.fromisoformat(effective_from)
    if status == "draft":
        return VersionInfo.of_document(doc, source=source, base_url=base_url, draft_id=draft_id,
                                       draft_revision=draft_revision)
    standing = Standing(doc["version"], status, start=effective_from, end=effective_until,
                        successor=successor_version, superseded_from=superseded_from,
                        withdrawn_at=withdrawn_at or (datetime(2026, 1, 2) if status == "withdrawn" else None),
                        withdrawn_reason=withdrawn_reason)
    return VersionInfo.of_document(doc, source=source, standing=standing, base_url=base_url)
