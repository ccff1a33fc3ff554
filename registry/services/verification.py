"""Is this document one the registry issued, and is its version in force today?

A document is recognised by the sha256 of its exact bytes: the YAML source of a version (its own
sha256), or any file the registry served for a version or one level of it (the ledger of issued
files: PDF, HTML, CSV, CASE JSON, JSON, and the level sheets and documents generated from a level,
whose ``scope`` names the level). A PDF can also be checked whole: the registry reads the source YAML
embedded in it (every registry PDF carries it) and says whether that source is an authentic
version, and whether the PDF's own bytes are ones it issued. A made-up hash is never authentic.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from ..clock import Clock
from ..errors import BadRequest
from ..lifecycle import IN_FORCE, Standing
from ..models import IssuedFile, StandardVersion
from .standing import history

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def standing_fields(standing: Standing) -> dict[str, Any]:
    """A standing as the verification answer (and the API) states it."""
    return {
        "standing": standing.state, "current": standing.state == IN_FORCE,
        "in_force_from": _iso(standing.start), "start_basis": standing.start_basis,
        "in_force_until": _iso(standing.end), "never_in_force": standing.never_in_force,
        "superseded_by": standing.successor, "superseded_from": _iso(standing.superseded_from),
        "withdrawn_at": _iso(standing.withdrawn_at), "withdrawn_reason": standing.withdrawn_reason,
    }


def _about(session: Session, clock: Clock, version: StandardVersion) -> dict[str, Any]:
    """What a verifier needs about an authentic version: which one, its standing today, and the
    version in force today when it is another one."""
    hist = history(session, version.code, clock)
    in_force = hist.in_force()
    return {
        "code": version.code, "version": version.version, "source_sha256": version.sha256,
        "effective_from": _iso(version.effective_from), "effective_until": _iso(version.effective_until),
        "as_of": hist.day.isoformat(), **standing_fields(hist.standing(version.version)),
        "in_force_version": in_force.version if in_force is not None else None,
    }


def verify(session: Session, digest: str, clock: Clock) -> dict[str, Any]:
    """What a verification page says about a sha256 printed on, or computed from, a document."""
    digest = digest.strip().lower()
    if not SHA256.match(digest):
        return {"authentic": False, "sha256": digest[:64], "reason": "not a sha256 (64 hexadecimal digits)"}
    version = session.exec(select(StandardVersion).where(StandardVersion.sha256 == digest)).first()
    if version is not None:
        return {"authentic": True, "sha256": digest, "format": "yaml", "lang": None, "scope": None,
                **_about(session, clock, version)}
    issued = session.get(IssuedFile, digest)
    if issued is not None:
        version = session.get(StandardVersion, issued.version_id)
        return {"authentic": True, "sha256": digest, "format": issued.format, "lang": issued.lang,
                "scope": issued.scope, "issued_at": _iso(issued.issued_at), **_about(session, clock, version)}
    return {"authentic": False, "sha256": digest,
            "reason": "the registry never issued a document with this sha256: it is not an authentic copy"}


def verify_pdf(session: Session, pdf: bytes, clock: Clock) -> dict[str, Any]:
    """Check an uploaded PDF: were its exact bytes issued by the registry, and is the source YAML
    embedded in it an authentic version (and which, and its standing)?"""
    from ..exports.embedded import NotAPdf, embedded_sources

    whole = verify(session, hashlib.sha256(pdf).hexdigest(), clock)
    try:
        sources = embedded_sources(pdf)
    except NotAPdf as exc:
        raise BadRequest(f"the file is not a PDF the registry can read: {exc}", details={"field": "file"}) from None
    embedded = [{"name": name, **verify(session, hashlib.sha256(data).hexdigest(), clock)} for name, data in sources]
    authentic = [e for e in embedded if e["authentic"] and e["format"] == "yaml"]
    return {
        "file_sha256": whole["sha256"],
        "issued": whole["authentic"],  # these exact bytes were served by the registry
        "embedded": embedded,
        "authentic_source": authentic[0] if authentic else None,
        "verdict": _verdict(whole["authentic"], bool(authentic), bool(sources)),
    }


def _verdict(issued: bool, authentic_source: bool, has_sources: bool) -> str:
    """One word for the page: ``issued`` (the registry's own file), ``authentic-source`` (its text
    is an authentic version, but these bytes are not a file the registry served: printed again,
    or altered outside the text), ``unknown-source`` (it carries a YAML the registry does not
    know), ``no-source`` (nothing embedded: not a registry PDF)."""
    if issued:
        return "issued"
    if authentic_source:
        return "authentic-source"
    return "unknown-source" if has_sources else "no-source"
