"""Rendering of standards for people: HTML pages and archival PDFs.

The pieces, from cheap to expensive:

* :mod:`registry.render.html`: ``render_html(doc, lang=..., status_info=..., standalone=...)``, a
  Jinja template faithful to the printed national standard (cover, 说明, 1 职业概况, 2 基本要求,
  3 工作要求 tables, 4 权重表, 5 附录). All document text is autoescaped.
* :mod:`registry.render.pdf`: ``render_pdf(html, attachments=[(name, bytes)])``, the only module
  that imports WeasyPrint (with ``pdf_tags``), with a URL fetcher that serves the package's print assets and nothing
  else. PDF/A-3a (archival and tagged) with the source YAML embedded.
* :mod:`registry.render.pdf_tags`: the structure tree of the tagged PDF, built for WeasyPrint.
* :mod:`registry.render.worker`: runs ``render_pdf`` in a warm child process with a time and an
  address-space limit, so that a pathological document gets :class:`RenderFailed` and the web
  worker lives on.
* :mod:`registry.render.fonts`: the CJK fonts (Song and Hei) prepared once at set-up
  (``scripts/prepare-fonts``).

Typical use (what the export and URL layer calls)::

    from registry.exports import VersionInfo
    from registry.render import render_html, render_standard_pdf
    info = VersionInfo.of_version(version_row, standing, base_url)   # standing: services.standing
    html = render_html(doc, lang="en", status_info=info, standalone=True)
    pdf = render_standard_pdf(doc, source=version_row.source, status_info=info, lang="en")
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RegistryError, ServiceUnavailable

if TYPE_CHECKING:
    from ..exports.info import VersionInfo

#: Bump when the output changes in a way the files under templates/ and static/ do not show
#: (e.g. the view model in html.py); part of :func:`template_version`.
RENDER_REVISION = 4

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates" / "print"
STATIC_DIR = PACKAGE_DIR / "static" / "print"

# --- errors ------------------------------------------------------------------------------------
# Defined here so that this package works on its own; registry/errors.py may re-export them.


class RenderFailed(RegistryError):
    """The document could not be rendered within the limits (time, memory, size): HTTP 422.

    ``details`` says which limit: ``{"limit": "time" | "memory" | "size" | "crash", ...}``.
    Retrying the same document gives the same answer.
    """

    code = "render_failed"


class RenderUnavailable(ServiceUnavailable):
    """The renderer is busy or could not start: HTTP 503 with Retry-After. Retrying may work."""

    code = "render_unavailable"


class RenderAssetError(RegistryError):
    """A print asset (stylesheet, font) was refused or missing: a deployment fault, HTTP 500.

    Never caused by a document: document text cannot name a URL. No PDF is produced, so no PDF
    missing its font or stylesheet is ever cached or served.
    """

    code = "render_asset_error"


# --- the cache key part that is not the source -------------------------------------------------


def template_version() -> str:
    """A short digest of everything besides the source that shapes an export.

    Templates, stylesheets, the render revision and the identity of the fonts in use. Exports
    are addressed by ``(source sha256, template_version())``: change any of these and every
    export is stale.
    """
    from . import fonts

    digest = hashlib.sha256(f"render-{RENDER_REVISION};fonts-{fonts.fingerprint()}".encode())
    for folder, pattern in ((TEMPLATES_DIR, "*.html"), (STATIC_DIR, "*.css")):
        for path in sorted(folder.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


# --- the usual composition ---------------------------------------------------------------------


def render_html(doc: dict, *, lang: str | None = None, status_info: VersionInfo,
                standalone: bool = True, **kwargs: Any) -> str:
    """See :func:`registry.render.html.render_html`."""
    from .html import render_html as _render_html

    return _render_html(doc, lang=lang, status_info=status_info, standalone=standalone, **kwargs)


#: Largest number of table entries (work contents, requirements, knowledge items, behaviours) a
#: standard may have to be rendered; the largest real standard has about 600. Beyond it the
#: render is refused at once (RenderFailed, limit "size"), before any time or memory is spent.
#: At the limit a render takes about 19 s, 310 pages and 380 MB (benchmarks/RESULTS.md), well
#: inside the worker's default limits (60 s, 2048 MB), so what passes this check renders unless the
#: machine is loaded or small; 18,000 entries took 52 s and 1.5 GB.
MAX_RENDER_ITEMS = 6_000


def count_items(doc: dict) -> int:
    """Every entry of the standard's tables: ethics, basic knowledge groups and their items, behaviours,
    and work contents with their requirements, knowledge and behaviours (a 10,000-item basic
    knowledge list renders as slowly as as many requirements)."""
    basic = doc.get("basic_requirements") or {}
    ethics = basic.get("ethics") or {}
    total = len(ethics.get("knowledge") or []) + len(ethics.get("code_of_conduct") or [])
    for group in basic.get("basic_knowledge") or []:
        total += 1 + len(group.get("items") or [])
    total += len(doc.get("behaviours") or [])
    for section in (doc.get("work_requirements") or {}).get("sections") or []:
        for fn in section.get("functions") or []:
            for wc in fn.get("work_contents") or []:
                total += 1 + len(wc.get("requirements") or []) + len(wc.get("knowledge") or []) \
                    + len(wc.get("behaviours") or [])
    return total


def check_size(doc: dict, limit: int = MAX_RENDER_ITEMS) -> None:
    items = count_items(doc)
    if items > limit:
        raise RenderFailed(f"the document is too large to render: {items} table entries (at most {limit})",
                           details={"limit": "size", "items": items, "max_items": limit})


def source_attachment_name(doc: dict) -> str:
    return f"{doc['code']}-{doc['version']}.yaml"


def render_standard_pdf(doc: dict, *, source: bytes, status_info: VersionInfo, lang: str | None = None,
                        timeout: float | None = None) -> bytes:
    """HTML of ``doc`` rendered to PDF/A-3a in the warm worker, with ``source`` attached.

    ``lang`` as for :func:`render_html` (``None``: master text with the English translation).

    Raises :class:`RenderFailed` (422), :class:`RenderUnavailable` (503) or
    :class:`RenderAssetError` (500).
    """
    from .html import render_html as _render_html
    from .worker import get_worker

    check_size(doc)
    html = _render_html(doc, lang=lang, status_info=status_info, standalone=False, for_pdf=True)
    return get_worker().render_pdf(
        html,
        attachments=[(source_attachment_name(doc), source)],
        timeout=timeout,
    )


__all__ = [
    "MAX_RENDER_ITEMS", "RENDER_REVISION", "RenderAssetError", "check_size", "count_items", "RenderFailed",
    "RenderUnavailable",
    "render_html", "render_standard_pdf", "source_attachment_name", "template_version",
]
