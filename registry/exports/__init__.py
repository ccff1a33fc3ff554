"""Exports of a standard version in the forms people and other systems use.

Every export is a pure function of the document (the dict of format 1.0) and a small, immutable
description of the catalog version it comes from (:class:`VersionInfo`), so it can be cached by
the source sha256 (and, for the formats that show the catalog status, by that status too).

| Format | Suffix | Function | Depends on the catalog status? |
|---|---|---|---|
| exact source YAML | ``.yaml`` | :func:`source_yaml` | no: the published bytes themselves |
| JSON | ``.json`` | :func:`document_json` | no: the document, as JSON |
| CSV competency matrix | ``.csv`` | :func:`registry.exports.csv_matrix.competency_matrix` | no |
| CASE 1.1 package | ``.case.json`` | :func:`registry.exports.case.package_json` | yes (adoptionStatus, statusEndDate, notes) |

HTML and PDF live in their own modules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Optional

__all__ = ["VersionInfo", "ExportFormat", "FORMATS", "document_json", "source_yaml", "render", "utc"]


@dataclass(frozen=True)
class VersionInfo:
    """What an export needs to know about the catalog version, besides the document itself.

    ``status`` is one of the catalog's version statuses (``published``, ``superseded``,
    ``withdrawn``) or ``draft`` for a draft under review. Datetimes without a timezone are taken
    as UTC (SQLite hands them back naive).
    """

    code: str
    version: str
    status: str = "published"
    sha256: str = ""
    published_at: Optional[datetime] = None
    effective_from: Optional[date] = None
    effective_until: Optional[date] = None
    successor_version: Optional[str] = None
    withdrawn_at: Optional[datetime] = None
    withdrawn_reason: Optional[str] = None

    @classmethod
    def from_version(cls, version: Any, *, successor_version: str | None = None) -> "VersionInfo":
        """Build from a :class:`registry.models.StandardVersion` (or anything with its attributes).

        The successor is a separate row; callers that have a session pass its version string.
        """
        return cls(code=version.code, version=version.version, status=version.status, sha256=version.sha256,
                   published_at=version.published_at, effective_from=version.effective_from,
                   effective_until=version.effective_until, successor_version=successor_version,
                   withdrawn_at=getattr(version, "withdrawn_at", None),
                   withdrawn_reason=getattr(version, "withdrawn_reason", None))

    @classmethod
    def for_document(cls, doc: dict, *, status: str = "draft", sha256: str = "",
                     at: datetime | None = None) -> "VersionInfo":
        """For a document that is not (yet) in the catalog, e.g. a draft."""
        effective = doc.get("provenance", {}).get("effective_from")
        return cls(code=doc["code"], version=doc["version"], status=status, sha256=sha256, published_at=at,
                   effective_from=date.fromisoformat(effective) if effective else None)


def utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are UTC already)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def source_yaml(source: bytes) -> bytes:
    """The exact published YAML: the bytes whose sha256 the catalog records, never re-serialised."""
    return bytes(source)


def document_json(doc: dict, *, version_info: VersionInfo | None = None) -> bytes:
    """The document as UTF-8 JSON, in the field order of the source file, ending with a newline.

    Only the document: catalog facts (status, successor) are in the API and the CASE export.
    ``version_info`` is accepted so every export has the same signature; it is not used.
    """
    del version_info
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class ExportFormat:
    suffix: str
    media_type: str
    #: whether the bytes change when the version's catalog status changes (a cache key must say so)
    depends_on_status: bool


#: The machine-readable formats of this package, by name. HTML and PDF are registered elsewhere.
FORMATS: dict[str, ExportFormat] = {
    "yaml": ExportFormat(".yaml", "application/yaml", False),
    "json": ExportFormat(".json", "application/json", False),
    "csv": ExportFormat(".csv", "text/csv; charset=utf-8; header=present", False),
    "case.json": ExportFormat(".case.json", "application/json", True),
}


def render(name: str, doc: dict, source: bytes, version_info: VersionInfo, *, base_url: str) -> bytes:
    """Render one of :data:`FORMATS` for a version: the single entry point for the URL layer."""
    from . import case, csv_matrix

    renderers: dict[str, Callable[[], bytes]] = {
        "yaml": lambda: source_yaml(source),
        "json": lambda: document_json(doc, version_info=version_info),
        "csv": lambda: csv_matrix.competency_matrix(doc, version_info=version_info),
        "case.json": lambda: case.package_json(doc, version_info=version_info, base_url=base_url),
    }
    if name not in renderers:
        raise KeyError(f"unknown export format {name!r}; known: {', '.join(FORMATS)}")
    return renderers[name]()
