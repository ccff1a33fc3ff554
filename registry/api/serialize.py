"""Catalog rows to the API's answer models (registry.api.models)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..issues import Issue
from ..lifecycle import Standing
from ..models import AuditEvent, Draft, ReviewComment, Standard, StandardVersion
from ..services.audit import TrailEntry
from ..services.reading import Listed
from ..services.standing import History
from ..services.verification import standing_fields
from . import models as m

#: how many issues (or findings) an answer lists, and how long a text in one may be: an answer to an
#: unauthenticated request stays about as small as the request, however many problems it has
MAX_LISTED = 200
MAX_TEXT = 1000


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def shorten(text: str | None, limit: int = MAX_TEXT) -> str | None:
    """``text`` cut to ``limit`` characters (marked with an ellipsis), or None."""
    return text if text is None or len(text) <= limit else text[:limit - 1] + "…"


def capped(items: Sequence, limit: int = MAX_LISTED) -> tuple[Sequence, int]:
    """The first ``limit`` items, and how many were left out."""
    return items[:limit], max(0, len(items) - limit)


def issue(item: Issue) -> m.Issue:
    return m.Issue(line=item.line, column=item.column, path=shorten(item.path), rule=item.rule,
                   message=shorten(item.message))


def validation(valid: bool, issues: Sequence[Issue]) -> m.ValidationResult:
    """The answer of /validate: the first issues, and how many more there are when some are left out
    (answer it with ``exclude_unset``)."""
    listed, more = capped(issues)
    return m.ValidationResult(valid=valid, errors=[issue(i) for i in listed], **({"more": more} if more else {}))


def standing(s: Standing) -> m.Standing:
    return m.Standing(**standing_fields(s))


def version_summary(v: StandardVersion, s: Standing, cls: type[m.VersionSummary] = m.VersionSummary,
                    **more) -> m.VersionSummary:
    """A version's facts and its standing on the day asked about (``status`` is the standing's state)."""
    return cls(code=v.code, version=v.version, status=s.state, sha256=v.sha256,
               effective_from=_iso(v.effective_from), effective_until=_iso(v.effective_until),
               published_at=_iso(v.published_at), published_by=v.published_by,
               withdrawn_reason=v.withdrawn_reason, bump_reason=v.bump_reason, standing=standing(s), **more)


def version_detail(v: StandardVersion, s: Standing) -> m.VersionDetail:
    return version_summary(v, s, m.VersionDetail, document=v.document)


def _version_in(hist: History | None, row) -> m.VersionSummary | None:
    return version_summary(row, hist.standing(row.version)) if hist is not None and row is not None else None


def _facts(s: Standard) -> dict:
    return {"code": s.code, "title": s.title, "title_en": s.title_en, "sector": s.sector, "type": s.standard_type,
            "body": s.body_id}


def standard_summary(listed: Listed) -> m.StandardSummary:
    s, hist = listed.standard, listed.history
    return m.StandardSummary(**_facts(s), in_force=_version_in(hist, hist.in_force() if hist else None),
                             latest=_version_in(hist, hist.rows[-1] if hist and hist.rows else None))


def standard_detail(s: Standard, hist: History) -> m.StandardDetail:
    """A standard, its versions with their standings on ``hist.day``, and the version in force then."""
    return m.StandardDetail(**_facts(s), as_of=hist.day.isoformat(), in_force=_version_in(hist, hist.in_force()),
                            versions=[version_summary(v, hist.standing(v.version)) for v in hist.rows])


def draft(d: Draft) -> m.Draft:
    return m.Draft(id=d.id, body=d.body_id, code=d.code, version=d.version, status=d.status, revision=d.revision,
                   sha256=d.sha256, created_by=d.created_by, created_at=_iso(d.created_at),
                   updated_at=_iso(d.updated_at), published_version_id=d.published_version_id)


def drafts(rows: Iterable[Draft]) -> m.DraftList:
    return m.DraftList(items=[draft(d) for d in rows])


def comment(c: ReviewComment) -> m.Comment:
    return m.Comment(id=c.id, draft_id=c.draft_id, author=c.author, body=c.body, path=c.path,
                     created_at=_iso(c.created_at))


def audit_event(e: AuditEvent | TrailEntry) -> m.AuditEvent:
    return m.AuditEvent(id=e.id, at=_iso(e.at), actor=e.actor, action=e.action, code=e.code, version=e.version,
                        draft_id=e.draft_id, from_state=e.from_state, to_state=e.to_state, details=e.details)
