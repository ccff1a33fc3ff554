"""Read-only use cases behind the public pages, the listings and the feed (no writes).

Every standing shown comes from ``services.standing`` (the time model), for the day the registry's
clock says it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from ..clock import Clock
from ..diff import Diff, ItemChange, diff_documents
from ..levels import LevelView, Scope, UnknownScope, level_ids, level_view
from ..lifecycle import STANDINGS, Standing
from ..models import AuditEvent, Body, Standard, StandardVersion
from ..vocabulary import OCCUPATION_GROUPS, occupation_group
from . import catalog
from .standing import History, histories, history

#: the code of an occupation's minor group (小类) is the first three parts of its code: "2-02-38"
_GROUP = func.substr(Standard.code, 1, 7)


@dataclass
class Listed:
    """A standard in a listing, with the version a reader is shown first and its standing."""

    standard: Standard
    history: History | None  # None for a standard without versions
    shown: Any = None  # a light row of the version shown first
    standing: Standing | None = None
    document: dict | None = None  # the shown version's document, where the listing needs it


def _listed(standard: Standard, hist: History | None) -> Listed:
    shown = hist.default() if hist is not None else None
    if shown is None:
        return Listed(standard, hist)
    return Listed(standard, hist, shown, hist.standing(shown.version))


def list_standards(session: Session, clock: Clock, *, sector: str | None = None, standard_type: str | None = None,
                   status: str | None = None, body: str | None = None, code_prefix: str | None = None,
                   offset: int = 0, limit: int = 50) -> tuple[int, list[Listed]]:
    """Standards ordered by code, filtered; ``status`` keeps those with a version of that standing
    today (derived, so filtered here rather than in SQL). Returns (total, page)."""
    if status is not None and status not in STANDINGS:
        raise ValueError(f"unknown standing {status!r}")
    query = select(Standard)
    if code_prefix:  # an occupation group: "2-02-38" holds 2-02-38-01, 2-02-38-02...
        query = query.where(Standard.code.startswith(code_prefix + "-", autoescape=True))  # type: ignore
    if sector:
        query = query.where(Standard.sector == sector)
    if standard_type:
        query = query.where(Standard.standard_type == standard_type)
    if body:
        query = query.where(Standard.body_id == body)
    day = clock.today()
    if status is None:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        page = list(session.exec(query.order_by(Standard.code).offset(offset).limit(limit)))
        found = histories(session, [s.code for s in page], clock, day)
    else:
        standards = list(session.exec(query.order_by(Standard.code)))
        found = histories(session, [s.code for s in standards], clock, day)
        matching = [s for s in standards if s.code in found
                    and any(st.state == status for st in found[s.code].standings().values())]
        total, page = len(matching), matching[offset:offset + limit]
    return total, [_listed(s, found.get(s.code)) for s in page]


def home(session: Session, clock: Clock, recent: int = 8) -> dict:
    """Sectors and occupation groups with their number of standards, and the latest publications."""
    latest = list(session.exec(select(StandardVersion, Standard)
                               .where(StandardVersion.code == Standard.code)
                               .order_by(StandardVersion.published_at.desc(), StandardVersion.id.desc())  # type: ignore
                               .limit(recent)))
    found = histories(session, sorted({v.code for v, _ in latest}), clock)
    sectors = sector_counts(session)
    groups = group_counts(session)
    return {"sectors": sectors, "groups": groups, "group_members": group_members(session, groups),
            "total": sum(count for _, count in sectors),
            "recent": [(v, s, found[v.code].standing(v.version)) for v, s in latest]}


def sector_counts(session: Session) -> list[tuple[str, int]]:
    return list(session.exec(select(Standard.sector, func.count()).group_by(Standard.sector)
                              .order_by(Standard.sector)))


def group_counts(session: Session) -> list[tuple[str, int]]:
    """Occupation groups of the classification (minor groups, e.g. 2-02-38) with their number of standards."""
    return list(session.exec(select(_GROUP, func.count()).group_by(_GROUP).order_by(_GROUP)))


def group_members(session: Session, groups: list[tuple[str, int]], per_group: int = 3) -> dict[str, list[Any]]:
    """``{group: [occupation name, ...]}``: the occupations (their ``occupation`` texts) of the first standards
    of each group that has no checked title in ``vocabulary.OCCUPATION_GROUPS``, so that a group is never shown
    as a bare code."""
    wanted = [group for group, _ in groups if group not in OCCUPATION_GROUPS]
    if not wanted:
        return {}
    picked: dict[str, list[str]] = {}
    for code in session.exec(select(Standard.code).where(_GROUP.in_(wanted)).order_by(Standard.code)):
        members = picked.setdefault(occupation_group(code), [])
        if len(members) < per_group:
            members.append(code)
    codes = [code for members in picked.values() for code in members]
    latest = select(func.max(StandardVersion.id)).where(StandardVersion.code.in_(codes))  # type: ignore[attr-defined]
    rows = session.exec(select(StandardVersion.code, StandardVersion.document)
                        .where(StandardVersion.id.in_(latest.group_by(StandardVersion.code))))  # type: ignore
    names = {code: (document or {}).get("occupation") for code, document in rows}
    return {group: [names[code] for code in members if names.get(code)] for group, members in picked.items()}


def browse(session: Session, clock: Clock, *, sector: str | None, standard_type: str | None, status: str | None,
           group: str | None, page: int, per_page: int = 50) -> dict:
    """A page of standards, each with the version shown first and its occupation group."""
    total, rows = list_standards(session, clock, sector=sector, standard_type=standard_type, status=status,
                                 code_prefix=group, offset=(page - 1) * per_page, limit=per_page)
    ids = [row.shown.id for row in rows if row.shown is not None]
    query = select(StandardVersion.id, StandardVersion.document).where(StandardVersion.id.in_(ids))  # type: ignore
    documents = {version_id: doc for version_id, doc in session.exec(query)} if ids else {}
    for row in rows:
        row.document = documents.get(row.shown.id) if row.shown is not None else None
    groups = group_counts(session)
    return {"total": total, "rows": [(row, occupation_group(row.standard.code)) for row in rows],
            "sectors": sector_counts(session), "groups": groups, "group_members": group_members(session, groups),
            "pages": max(1, -(-total // per_page))}


@dataclass
class StandardPage:
    standard: Standard
    version: StandardVersion  # the whole row of the version shown
    history: History  # every version, light, with standings
    standing: Standing
    keeper: Body | None

    @property
    def versions(self) -> list[Any]:
        return self.history.rows

    @property
    def successor(self) -> Any:
        return self.history.successor(self.version.version)

    @property
    def in_force(self) -> Any:
        return self.history.in_force()


def standard_page(session: Session, code: str, version: str | None, clock: Clock) -> StandardPage:
    """A version of a standard (by default the one in force, else the one a reader needs first) and
    its whole history with standings. NotFound for an unknown standard or version; a standard whose
    every version is withdrawn is shown with its latest, saying so."""
    hist = history(session, code, clock)
    shown = hist.row(version) if version is not None else hist.default()
    if shown is None:
        from ..errors import NotFound

        raise NotFound(f"standard {code!r} has no version")
    full = catalog.get_version(session, code, shown.version)
    standard = catalog.get_standard(session, code)
    keeper = session.get(Body, standard.body_id) if standard.body_id else None
    return StandardPage(standard, full, hist, hist.standing(shown.version), keeper)


@dataclass
class LevelPage:
    """One level (and direction) of a version: its view, or the directions to choose from when the
    level's tables are split by direction and none was chosen."""

    page: StandardPage
    scope: Scope
    view: LevelView | None
    directions: tuple[str, ...] = ()


def level_page(session: Session, code: str, version: str, scope: Scope, clock: Clock) -> LevelPage:
    """The level page of ``scope``; NotFound for a level or direction the version does not have."""
    from ..errors import NotFound

    page = standard_page(session, code, version, clock)
    doc = page.version.document
    try:
        view = level_view(doc, scope.level, scope.direction)
    except UnknownScope as unknown:
        if scope.direction is None and scope.level in level_ids(doc):
            return LevelPage(page, scope, None, unknown.choices)
        raise NotFound(unknown.message, details={"choices": list(unknown.choices)}) from None
    return LevelPage(page, scope, view)


@dataclass
class VersionDiff:
    standard: Standard
    before: StandardVersion
    after: StandardVersion
    diff: Diff
    versions: list[Any]


def version_diff(session: Session, code: str, old: str, new: str, clock: Clock) -> VersionDiff:
    standard = catalog.get_standard(session, code)
    before = catalog.get_version(session, code, old)
    after = catalog.get_version(session, code, new)
    return VersionDiff(standard, before, after, diff_documents(before.document, after.document),
                       history(session, code, clock).rows)


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
    previous: StandardVersion | None  # the version a publication follows, when there was one
    diff: Diff | None
    standing: Standing | None  # the version's standing today

    @property
    def changes(self) -> list[ItemChange]:
        return list(self.diff.items[:FEED_ITEMS]) if self.diff else []

    @property
    def more(self) -> int:
        return max(0, len(self.diff.items) - FEED_ITEMS) if self.diff else 0


def feed(session: Session, clock: Clock, limit: int = 50) -> list[FeedEntry]:
    """Publications and withdrawals, newest first, each with what changed since the version before
    and the version's standing today (a publication may take effect later)."""
    events = list(session.exec(select(AuditEvent).where(AuditEvent.action.in_(("publish", "withdraw")))  # type: ignore
                               .order_by(AuditEvent.id.desc()).limit(limit)))  # type: ignore
    codes = sorted({e.code for e in events if e.code})
    rows = {(v.code, v.version): v for v in session.exec(
        select(StandardVersion).where(StandardVersion.code.in_(codes)))}  # type: ignore
    found = histories(session, codes, clock)
    entries = []
    for event in events:
        version = rows.get((event.code, event.version))
        previous = None
        if version is not None and event.action == "publish":
            siblings = [v for v in rows.values() if v.code == version.code]
            previous = catalog.previous_in(siblings, (version.major, version.minor))
        diff = diff_documents(previous.document, version.document) if previous is not None else None
        standing = found[event.code].standing(event.version) if version is not None else None
        entries.append(FeedEntry(event, version, previous, diff, standing))
    return entries
