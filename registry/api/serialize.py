"""Catalog rows to JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from ..issues import Issue
from ..lifecycle import Standing
from ..models import AuditEvent, Draft, ReviewComment, Standard, StandardVersion
from ..services.audit import TrailEntry
from ..services.reading import Listed
from ..services.standing import History
from ..services.verification import standing_fields


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def issue(item: Issue) -> dict[str, Any]:
    return {"line": item.line, "column": item.column, "path": item.path, "rule": item.rule, "message": item.message}


def version_summary(v: StandardVersion, standing: Standing) -> dict[str, Any]:
    """A version's facts and its standing on the day asked about (``status`` is the standing's state)."""
    return {
        "code": v.code, "version": v.version, "status": standing.state, "sha256": v.sha256,
        "effective_from": _iso(v.effective_from), "effective_until": _iso(v.effective_until),
        "published_at": _iso(v.published_at), "published_by": v.published_by,
        "withdrawn_reason": v.withdrawn_reason, "bump_reason": v.bump_reason,
        "standing": standing_fields(standing),
    }


def version_detail(v: StandardVersion, standing: Standing) -> dict[str, Any]:
    return {**version_summary(v, standing), "document": v.document}


def _version_in(hist: History | None, row) -> dict[str, Any] | None:
    return version_summary(row, hist.standing(row.version)) if hist is not None and row is not None else None


def standard_summary(listed: Listed) -> dict[str, Any]:
    s, hist = listed.standard, listed.history
    return {"code": s.code, "title": s.title, "title_en": s.title_en, "sector": s.sector,
            "type": s.standard_type, "body": s.body_id,
            "in_force": _version_in(hist, hist.in_force() if hist else None),
            "latest": _version_in(hist, hist.rows[-1] if hist and hist.rows else None)}


def standard_detail(s: Standard, hist: History) -> dict[str, Any]:
    """A standard, its versions with their standings on ``hist.day``, and the version in force then."""
    return {"code": s.code, "title": s.title, "title_en": s.title_en, "sector": s.sector,
            "type": s.standard_type, "body": s.body_id, "as_of": hist.day.isoformat(),
            "in_force": _version_in(hist, hist.in_force()),
            "versions": [version_summary(v, hist.standing(v.version)) for v in hist.rows]}


def draft(d: Draft) -> dict[str, Any]:
    return {"id": d.id, "body": d.body_id, "code": d.code, "version": d.version, "status": d.status,
            "revision": d.revision, "sha256": d.sha256, "created_by": d.created_by,
            "created_at": _iso(d.created_at), "updated_at": _iso(d.updated_at),
            "published_version_id": d.published_version_id}


def comment(c: ReviewComment) -> dict[str, Any]:
    return {"id": c.id, "draft_id": c.draft_id, "author": c.author, "body": c.body, "path": c.path,
            "created_at": _iso(c.created_at)}


def audit_event(e: AuditEvent | TrailEntry) -> dict[str, Any]:
    return {"id": e.id, "at": _iso(e.at), "actor": e.actor, "action": e.action, "code": e.code,
            "version": e.version, "draft_id": e.draft_id, "from_state": e.from_state, "to_state": e.to_state,
            "details": e.details}
