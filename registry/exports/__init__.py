"""Exports of a standard version in the forms people and other systems use.

Every export is a pure function of the document (the dict of format 1.0), its exact source and
the facts of the version that it prints (:class:`VersionInfo`), so it can be cached by the source
sha256 and, for the formats that print the standing, by what they print.

The formats, their media types, cache lifetimes and renderers are one table:
:data:`registry.exports.formats.FORMATS`. HTML and PDF are rendered by :mod:`registry.render`.
"""

from __future__ import annotations

from .formats import FORMATS, OutputFormat, RenderJob, render
from .info import VersionInfo, utc

__all__ = ["VersionInfo", "OutputFormat", "RenderJob", "FORMATS", "render", "utc"]
