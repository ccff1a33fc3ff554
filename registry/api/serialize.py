"""Catalog rows to JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from ..issues import Issue
from ..models import AuditEvent, Draft, ReviewComment, Standard, StandardVersion
from ..services.audit import TrailEntry


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def issue(item: Issue) -> dict[str, Any]:
    return {"line": item.line, "column": item.column, "path": item.path, "rule": item.rule, "message": item.message}


def version_summary(v: StandardVersion) -> dict[str, Any]:
    return {
        "code": v.code, "version": v.version, "status": v.status, "sha256": v.sha256,
        "effective_from": _iso(v.effective_from), "effective_until": _iso(v.effective_until),
        "published_at": _iso(v.published_at), "published_by": v.published_by,
        "withdrawn_reason": v.withdrawn_reason, "bump_reason": v.bump_reason,
    }


def version_detail(v: StandardVersion) -> dict[str, Any]:
    return {**version_summary(v), "document": v.document}


def standard_summary(s: Standard, latest: StandardVersion | None) -> dict[str, Any]:
    return {"code": s.code, "title": s.title, "title_en": s.title_en, "sector": s.sector,
            "type": s.standard_type, "body": s.body_id,
            "latest": version_summary(latest) if latest else None}


def standard_detail(s: Standard, versions: list[StandardVersion]) -> dict[str, Any]:
    return {"code": s.code, "title": s.title, "title_en": s.title_en, "sector": s.sector,
            "type": s.standard_type, "body": s.body_id, "versions": [version_summary(v) for v in versions]}


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
