"""Is this document an authentic registry version, and is it still the one in force?"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import VERSION_PUBLISHED, StandardVersion
from .catalog import get_by_sha256

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def verify(session: Session, digest: str) -> dict[str, Any]:
    """What a verification page says about a sha256 printed on (or computed from) a document."""
    digest = digest.lower()
    if not SHA256.match(digest):
        return {"authentic": False, "sha256": digest, "reason": "not a sha256 (64 hexadecimal digits)"}
    try:
        version = get_by_sha256(session, digest)
    except NotFound:
        return {"authentic": False, "sha256": digest,
                "reason": "no version in this registry has this sha256: the document is not an authentic copy"}
    successor = session.get(StandardVersion, version.successor_id) if version.successor_id else None
    return {
        "authentic": True, "sha256": digest, "code": version.code, "version": version.version,
        "status": version.status, "current": version.status == VERSION_PUBLISHED,
        "superseded_by": successor.version if successor is not None and version.status != VERSION_PUBLISHED else None,
        "withdrawn_reason": version.withdrawn_reason,
        "withdrawn_at": version.withdrawn_at.isoformat() if version.withdrawn_at else None,
        "effective_from": version.effective_from.isoformat() if version.effective_from else None,
        "effective_until": version.effective_until.isoformat() if version.effective_until else None,
    }
