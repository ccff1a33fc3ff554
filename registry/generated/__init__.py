"""Documents generated from one level of a version: the level sheet, a job description, an assessment
checklist and a training plan (:mod:`.builders`), built as plain records (:mod:`.model`) that are
written as PDF (:mod:`registry.render.generated`) and DOCX (:mod:`registry.exports.docx_writer`)."""

from __future__ import annotations

from ..exports.info import VersionInfo
from .model import Generated


def build(kind: str, doc: dict, scope, info: VersionInfo, lang: str | None = None) -> Generated:
    """The document ``kind`` of ``scope`` (a :class:`registry.levels.Scope`) in ``lang`` (default: the
    document's master language)."""
    from ..levels import level_view
    from .builders import BUILDERS, Context

    view = level_view(doc, scope.level, scope.direction)
    return BUILDERS[kind](Context(view, info, lang or doc["languages"]["master"]))


__all__ = ["Generated", "build"]
