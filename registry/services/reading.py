"""Read-only use cases behind the public pages and the feed (one function per page; no writes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from ..diff import Diff, ItemChange, diff_documents
from ..errors import NotFound
from ..models import VERSION_PUBLISHED, AuditEvent, Standard, StandardVersion
from ..vocabulary import occupation_group
from . import catalog

#: the code of an occupation's minor group (小类) is the first three parts of its code: "2-02-38"
_GROUP = func.substr(Standard.code, 1, 7)


def home(session: Session, recent: int = 8) -> dict:
    """Sectors and occupation groups with their number of standards, and the latest publications."""
    latest = list(session.exec(select(StandardVersion, Standard)
                               .where(StandardVersion.code == Standard.code)
                               .order_by(StandardVersion.published_at.desc(), StandardVersion.id.desc())  # type: ignore
                               .limit(recent)))
    sectors = sector_counts(session)
    return {"sectors": sectors, "groups": group_counts(session), "recent": latest,
            "total": sum(count for _, count in sectors)}


def sector_counts(session: Session) -> list[tuple[str, int]]:
    return list(session.exec(select(Standard.sector, func.count()).group_by(Standard.sector)
                              .order_by(Standard.sector)))


def group_counts(session: Session) -> list[tuple[str, int]]:
    """Occupation groups of the classification (minor groups, e.g. 2-02-38) with their number of standards."""
    return list(session.exec(select(_GROUP, func.count()).group_by(_GROUP).order_by(_GROUP)))


def browse(session: Session, *, sector: str | None, standard_type: str | None, status: str | None,
           group: str | None, page: int, per_page: int = 50) -> dict:
    """A page of standards with their latest version and occupation group: (standard, latest, group)."""
    total, rows = catalog.list_standards(session, sector=sector, standard_type=standard_type, status=status,
                                         code_prefix=group, offset=(page - 1) * per_page, limit=per_page)
    return {"total": total, "rows": [(s, latest, occupation_group(s.code)) for s, latest in rows],
            "sectors": sector_counts(session), "groups": group_counts(session), "pages": max(1, -(-total // per_page))}


@dataclass
class StandardPage:
    standard: Standard
    version: StandardVersion
    versions: list[StandardVersion]
    successor: StandardVersion | None


def standard_page(session: Session, code: str, version: str | None) -> StandardPage:
    """A version of a standard (the current one, else the latest) and the whole history."""
    standard = catalog.get_standard(session, code)
    versions = catalog.list_versions(session, code)
    if version is None:
        current = [v for v in versions if v.status == VERSION_PUBLISHED]
        chosen = (current or versions)[-1] if versions else None
        if chosen is None:
            raise NotFound(f"standard {code!r} has no version")
    else:
        chosen = next((v for v in versions if v.version == version), None)
        if chosen is None:
            raise NotFound(f"no version {version!r} of standard {code!r}")
    successor = next((v for v in versions if v.id == chosen.successor_id), None)
    return StandardPage(standard, chosen, versions, successor)


@dataclass
class VersionDiff:
    standard: Standard
    before: StandardVersion
    after: StandardVersion
    diff: Diff
    versions: list[StandardVersion]


def version_diff(session: Session, code: str, old: str, new: str) -> VersionDiff:
    standard = catalog.get_standard(session, code)
    before = catalog.get_version(session, code, old)
    after = catalog.get_version(session, code, new)
    return VersionDiff(standard, before, after, diff_documents(before.document, after.document),
                       catalog.list_versions(session, code))


def occupation_titles(session: Session, codes: set[str]) -> dict[str, dict[str, str]]:
    """``{code: {"zh": title, "en": title}}`` for listing codes next to their standard's title."""
    if not codes:
        return {}
    rows = session.exec(select(Standard.code, Standard.title, Standard.title_en)
                        .where(Standard.code.in_(codes)))  # type: ignore[attr-defined]
    return {code: {"zh": title, "en": title_en or title} for code, title, title_en in rows}


#: items a feed entry names; the rest are counted
FEED_ITEMS = 10


@dataclass
class FeedEntry:
    event: AuditEvent
    version: StandardVersion | None
    previous: StandardVersion | None  # the version a publication replaced, when there was one
    diff: Diff | None

    @property
    def changes(self) -> list[ItemChange]:
        return list(self.diff.items[:FEED_ITEMS]) if self.diff else []

    @property
    def more(self) -> int:
        return max(0, len(self.diff.items) - FEED_ITEMS) if self.diff else 0


def feed(session: Session, limit: int = 50) -> list[FeedEntry]:
    """Publications and withdrawals, newest first, each with what changed since the version before."""
    events = list(session.exec(select(AuditEvent).where(AuditEvent.action.in_(("publish", "withdraw")))  # type: ignore
                               .order_by(AuditEvent.id.desc()).limit(limit)))  # type: ignore
    codes = {e.code for e in events}
    rows = {(v.code, v.version): v for v in session.exec(
        select(StandardVersion).where(StandardVersion.code.in_(codes)))}  # type: ignore
    by_id = {v.id: v for v in rows.values()}
    entries = []
    for event in events:
        version = rows.get((event.code, event.version))
        previous = by_id.get(version.predecessor_id) if version is not None and event.action == "publish" else None
        diff = diff_documents(previous.document, version.document) if previous is not None else None
        entries.append(FeedEntry(event, version, previous, diff))
    return entries
