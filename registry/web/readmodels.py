"""Read-only queries behind the public pages (one function per page; no writes).

They could live in ``registry.services.catalog``; they are here while the pages settle.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from ..diff import Diff, diff_documents
from ..errors import NotFound
from ..models import VERSION_PUBLISHED, AuditEvent, Standard, StandardVersion
from ..services import catalog


def home(session: Session, recent: int = 8) -> dict:
    """Sectors with their number of standards, and the latest publications."""
    sectors = list(session.exec(select(Standard.sector, func.count()).group_by(Standard.sector)
                                .order_by(Standard.sector)))
    latest = list(session.exec(select(StandardVersion, Standard)
                               .where(StandardVersion.code == Standard.code)
                               .order_by(StandardVersion.published_at.desc(), StandardVersion.id.desc())  # type: ignore
                               .limit(recent)))
    total = sum(count for _, count in sectors)
    return {"sectors": sectors, "recent": latest, "total": total}


def browse(session: Session, *, sector: str | None, standard_type: str | None, status: str | None,
           page: int, per_page: int = 50) -> dict:
    total, rows = catalog.list_standards(session, sector=sector, standard_type=standard_type, status=status,
                                         offset=(page - 1) * per_page, limit=per_page)
    sectors = list(session.exec(select(Standard.sector).distinct().order_by(Standard.sector)))
    return {"total": total, "rows": rows, "sectors": sectors, "pages": max(1, -(-total // per_page))}


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


def version_diff(session: Session, code: str, old: str, new: str) -> tuple[Standard, StandardVersion,
                                                                          StandardVersion, Diff]:
    standard = catalog.get_standard(session, code)
    before = catalog.get_version(session, code, old)
    after = catalog.get_version(session, code, new)
    return standard, before, after, diff_documents(before.document, after.document)


@dataclass
class FeedEntry:
    event: AuditEvent
    title: str
    summary: str
    change_class: str | None


def feed(session: Session, limit: int = 50) -> list[FeedEntry]:
    """Publications and withdrawals, newest first, each saying what changed."""
    events = list(session.exec(select(AuditEvent).where(AuditEvent.action.in_(("publish", "withdraw")))  # type: ignore
                               .order_by(AuditEvent.id.desc()).limit(limit)))  # type: ignore
    keys = {(e.code, e.version) for e in events}
    rows = {(v.code, v.version): v for v in session.exec(
        select(StandardVersion).where(StandardVersion.code.in_({c for c, _ in keys})))}  # type: ignore
    by_id = {v.id: v for v in rows.values()}
    entries = []
    for event in events:
        version = rows.get((event.code, event.version))
        title = ""
        summary, change_class = "", None
        if version is not None:
            master = version.document["languages"]["master"]
            title = version.document["title"].get(master, "") if isinstance(version.document["title"], dict) \
                else str(version.document["title"])
            if event.action == "publish":
                previous = by_id.get(version.predecessor_id)
                if previous is not None:
                    diff = diff_documents(previous.document, version.document)
                    summary, change_class = f"changes since {previous.version}: {diff.summary()}", diff.change_class
                else:
                    summary = "first version"
            else:
                summary = f"withdrawn: {event.details.get('reason', '')}"
        entries.append(FeedEntry(event, title, summary, change_class))
    return entries
