"""Rendering of standards for people: HTML pages and archival PDFs.

The pieces, from cheap to expensive:

* :mod:`registry.render.html`: ``render_html(doc, lang=..., status_info=..., standalone=...)``, a
  Jinja template faithful to the printed national standard (cover, 说明, 1 职业概况, 2 基本要求,
  3 工作要求 tables, 4 权重表, 5 附录). All document text is autoescaped.
* :mod:`registry.render.pdf`: ``render_pdf(html, attachments=[(name, bytes)])``, the only module
  that imports WeasyPrint, with a URL fetcher that serves the package's print assets and nothing
  else. PDF/A-3b with the source YAML embedded.
* :mod:`registry.render.worker`: runs ``render_pdf`` in a warm child process with a time and an
  address-space limit, so that a pathological document gets :class:`RenderFailed` and the web
  worker lives on.
* :mod:`registry.render.fonts`: the CJK font prepared once at set-up (``scripts/prepare-fonts``).

Typical use (what the export and URL layer calls)::

    from registry.render import StatusInfo, render_html, render_standard_pdf
    info = StatusInfo.for_version(version_row, base_url, successor=successor_row)
    html = render_html(doc, lang="en", status_info=info, standalone=True)
    pdf = render_standard_pdf(doc, source=version_row.source, status_info=info, lang="en")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

from ..errors import RegistryError, ServiceUnavailable

#: Bump when the output changes in a way the files under templates/ and static/ do not show
#: (e.g. the view model in html.py); part of :func:`template_version`.
RENDER_REVISION = 2

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates" / "print"
STATIC_DIR = PACKAGE_DIR / "static" / "print"

STATUS_PUBLISHED = "published"
STATUS_SUPERSEDED = "superseded"
STATUS_WITHDRAWN = "withdrawn"
STATUS_DRAFT = "draft"
STATUSES = (STATUS_PUBLISHED, STATUS_SUPERSEDED, STATUS_WITHDRAWN, STATUS_DRAFT)


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


# --- the status printed on every page ----------------------------------------------------------


def _iso(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class StatusInfo:
    """What a rendered version says about itself: status, identity and where to verify it."""

    status: str
    sha256: str
    base_url: str = "http://127.0.0.1:5000"
    #: The public address of this version; default ``{base_url}/standards/{code}/{version}``.
    permalink: Optional[str] = None
    successor_code: Optional[str] = None
    successor_version: Optional[str] = None
    withdrawn_reason: Optional[str] = None
    withdrawn_at: Optional[str] = None
    published_at: Optional[str] = None
    effective_from: Optional[str] = None
    effective_until: Optional[str] = None
    draft_id: Optional[int] = None
    draft_revision: Optional[int] = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; expected one of {STATUSES}")
        if len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256):
            raise ValueError("sha256 must be 64 lower-case hex digits")

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def verify_url(self) -> str:
        return f"{self.base}/verify/{self.sha256}"

    def permalink_for(self, code: str, version: str) -> str:
        if self.permalink:
            return self.permalink
        if self.status == STATUS_DRAFT:
            return f"{self.base}/api/v1/drafts/{self.draft_id}" if self.draft_id is not None else self.verify_url
        return f"{self.base}/standards/{code}/{version}"

    def successor_url(self) -> Optional[str]:
        if self.successor_code and self.successor_version:
            return f"{self.base}/standards/{self.successor_code}/{self.successor_version}"
        return None

    @classmethod
    def for_version(cls, version: Any, base_url: str, successor: Any = None, **overrides: Any) -> "StatusInfo":
        """From a catalog ``StandardVersion`` (and its successor row, if superseded)."""
        values = dict(
            status=version.status,
            sha256=version.sha256,
            base_url=base_url,
            successor_code=getattr(successor, "code", None),
            successor_version=getattr(successor, "version", None),
            withdrawn_reason=getattr(version, "withdrawn_reason", None),
            withdrawn_at=_iso(getattr(version, "withdrawn_at", None)),
            published_at=_iso(getattr(version, "published_at", None)),
            effective_from=_iso(getattr(version, "effective_from", None)),
            effective_until=_iso(getattr(version, "effective_until", None)),
        )
        values.update(overrides)
        return cls(**values)

    @classmethod
    def for_draft(cls, draft: Any, base_url: str, **overrides: Any) -> "StatusInfo":
        """From a catalog ``Draft``: printed with the DRAFT watermark on every page."""
        values = dict(status=STATUS_DRAFT, sha256=draft.sha256, base_url=base_url,
                      draft_id=getattr(draft, "id", None), draft_revision=getattr(draft, "revision", None))
        values.update(overrides)
        return cls(**values)

    @classmethod
    def for_source(cls, source: bytes, status: str = STATUS_PUBLISHED, base_url: str = "http://127.0.0.1:5000",
                   **values: Any) -> "StatusInfo":
        """From the YAML bytes alone (benchmarks, tests, ``registry export`` of files)."""
        return cls(status=status, sha256=hashlib.sha256(source).hexdigest(), base_url=base_url, **values)


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


def render_html(doc: dict, *, lang: Optional[str] = None, status_info: StatusInfo,
                standalone: bool = True, **kwargs: Any) -> str:
    """See :func:`registry.render.html.render_html`."""
    from .html import render_html as _render_html

    return _render_html(doc, lang=lang, status_info=status_info, standalone=standalone, **kwargs)


#: Largest number of table entries (work contents, requirements, knowledge items, behaviours) a
#: standard may have to be rendered; the largest real standard has about 600. Beyond it the
#: render is refused at once (RenderFailed, limit "size"), before any time or memory is spent.
#: At the limit a render takes about 16 s, 400 pages and 550 MB (benchmarks/RESULTS.md), well
#: inside the worker's default limits (60 s, 2048 MB), so what passes this check renders unless the
#: machine is loaded or small; 18,000 entries took 52 s and 1.5 GB.
MAX_RENDER_ITEMS = 6_000


def count_items(doc: dict) -> int:
    total = 0
    for section in doc.get("work_requirements", {}).get("sections", []):
        for fn in section.get("functions", []):
            for wc in fn.get("work_contents", []):
                total += 1 + len(wc.get("requirements", [])) + len(wc.get("knowledge", [])) + len(wc.get("behaviours", []))
    return total


def check_size(doc: dict, limit: int = MAX_RENDER_ITEMS) -> None:
    items = count_items(doc)
    if items > limit:
        raise RenderFailed(f"the document is too large to render: {items} table entries (at most {limit})",
                           details={"limit": "size", "items": items, "max_items": limit})


def source_attachment_name(doc: dict) -> str:
    return f"{doc['code']}-{doc['version']}.yaml"


def render_standard_pdf(doc: dict, *, source: bytes, status_info: StatusInfo, lang: Optional[str] = None,
                        timeout: Optional[float] = None) -> bytes:
    """HTML of ``doc`` rendered to PDF/A-3b in the warm worker, with ``source`` attached.

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
    "MAX_RENDER_ITEMS", "RENDER_REVISION", "RenderAssetError", "check_size", "count_items", "RenderFailed", "RenderUnavailable", "STATUSES", "StatusInfo",
    "render_html", "render_standard_pdf", "source_attachment_name", "template_version",
]
