"""HTML to PDF with WeasyPrint: with :mod:`registry.render.pdf_tags` (which it installs), the only
module of the registry that imports WeasyPrint.

Security boundary (see shared/reference/threats.md, section A):

* :class:`PrintAssetFetcher` serves the files of ``registry/static/print/`` under one private
  origin (:data:`registry.render.html.ASSET_BASE`) and refuses every other URL: ``file:``,
  ``http(s):`` (so no request ever leaves the process, and redirects cannot happen), ``data:``,
  ``ftp:``, relative paths that climb out of the folder, unknown file types. It never calls
  WeasyPrint's own fetcher.
* A refused or missing asset stops the render (:class:`AssetRefused` is a
  ``FatalURLFetchingError``); refusals that WeasyPrint would swallow (inside SVG images) are
  recorded and fail the render afterwards, and so does any ERROR WeasyPrint logs. The caller
  gets :class:`registry.render.RenderAssetError`, never a PDF missing its font or stylesheet.
* ``presentational_hints`` stays off; the HTML given here is built from autoescaped templates.

Time and memory limits are not set here: :mod:`registry.render.worker` runs this module in a
child process that has them.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from . import STATIC_DIR, RenderAssetError, pdf_tags
from .html import ASSET_BASE

log = logging.getLogger(__name__)

#: PDF/A-3 level A: archival (PDF/A-3, the source YAML attached) and accessible, i.e. tagged: a
#: structure tree of headings, paragraphs, lists and tables with their header cells, and the
#: document's language (``<html lang>``). WeasyPrint turns ``pdf_tags`` on for this variant; the
#: tree is built by :mod:`registry.render.pdf_tags`.
PDF_VARIANT = "pdf/a-3a"
pdf_tags.install()
#: File types the print assets may have, with the MIME type served to WeasyPrint.
ASSET_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff2": "font/woff2",
    ".png": "image/png",
}
#: The MIME type PDF/A-3 records for the attached source (/Subtype of the EmbeddedFile): WeasyPrint
#: guesses it from the name, and Python before 3.13 does not know ``.yaml``.
mimetypes.add_type("application/yaml", ".yaml")
mimetypes.add_type("application/yaml", ".yml")
_SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\Z")


class AssetRefused(FatalURLFetchingError):
    """A URL the print fetcher does not serve; stops WeasyPrint at once."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"refused {_shorten(url)}: {reason}")
        self.url = url
        self.reason = reason


def _shorten(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


class PrintAssetFetcher(URLFetcher):
    """Serves ``{origin}<path>`` from ``static_dir`` and refuses everything else.

    ``refused`` lists every refusal of this render (URL, reason), including those WeasyPrint
    catches itself; ``served`` lists what was served.
    """

    def __init__(self, static_dir: Path = STATIC_DIR, origin: str = ASSET_BASE):
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False, fail_on_errors=True)
        self.static_dir = Path(static_dir).resolve()
        self.origin = origin
        self.refused: list[tuple[str, str]] = []
        self.served: list[str] = []

    def resolve(self, url: str) -> Path:
        """The file ``url`` names, or :class:`AssetRefused`."""
        if not isinstance(url, str):
            raise AssetRefused(repr(url), "not a URL")
        if not url.startswith(self.origin):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            raise AssetRefused(url, f"not a print asset ({scheme or 'relative'} URLs are not fetched)")
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise AssetRefused(url, "query and fragment are not allowed")
        relative = unquote(url[len(self.origin):])
        if not _SAFE_PATH.match(relative) or ".." in relative.split("/"):
            raise AssetRefused(url, "not a plain path inside the print assets")
        path = (self.static_dir / relative).resolve()
        if self.static_dir not in path.parents:
            raise AssetRefused(url, "outside the print assets")
        if path.suffix.lower() not in ASSET_TYPES:
            raise AssetRefused(url, f"file type {path.suffix or '(none)'} is not a print asset")
        if not path.is_file():
            raise AssetRefused(url, "missing print asset")
        return path

    def fetch(self, url, headers=None):  # noqa: ARG002 - WeasyPrint's signature
        try:
            path = self.resolve(url)
        except AssetRefused as refusal:
            self.refused.append((refusal.url, refusal.reason))
            raise
        self.served.append(url)
        mime = ASSET_TYPES[path.suffix.lower()]
        headers = {"Content-Type": f"{mime}; charset=utf-8" if mime == "text/css" else mime}
        return URLFetcherResponse(url, body=path.read_bytes(), headers=headers, status=200)

    # WeasyPrint may call these directly; route them through fetch() as well.
    def open(self, url, data=None, timeout=None):  # noqa: ARG002
        return self.fetch(getattr(url, "full_url", url))

    def __call__(self, url):
        return self.fetch(url)


class _ErrorLog(logging.Handler):
    """Collects what WeasyPrint logs during one render: the errors it swallows, and the
    characters it drew as .notdef (no installed font has them)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []
        self.missing_glyphs: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.ERROR:
            if str(record.msg).startswith(".notdef glyph rendered") and len(record.args or ()) >= 1:
                char = str(record.args[0])
                if char not in self.missing_glyphs:
                    self.missing_glyphs.append(char)
            return
        try:
            self.messages.append(record.getMessage())
        except Exception:  # pragma: no cover - a malformed record is still an error
            self.messages.append(str(record.msg))


_font_config: FontConfiguration | None = None
_font_lock = threading.Lock()


def font_config() -> FontConfiguration:
    """One font configuration per process: the prepared font is loaded once, then reused."""
    global _font_config
    with _font_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


def render_pdf(html: str, *, attachments: Sequence[tuple[str, bytes]] = (), base_url: str = ASSET_BASE,
               pdf_variant: str | None = PDF_VARIANT, static_dir: Path = STATIC_DIR,
               created: datetime | None = None, stats: dict | None = None) -> bytes:
    """The PDF of ``html``: A4 pages as the print stylesheet lays them out, PDF/A-3a by default.

    ``attachments`` are embedded files, ``(name, bytes)``, with the AFRelationship ``Source``
    (the registry attaches the exact source YAML). ``stats``, if given, receives timings, page
    count and the assets served.

    Raises :class:`registry.render.RenderAssetError` when an asset is refused or missing, or
    when WeasyPrint reports an error it would otherwise only log.
    """
    import time

    fetcher = PrintAssetFetcher(static_dir, base_url)
    errors = _ErrorLog()
    wp_logger = logging.getLogger("weasyprint")
    wp_logger.addHandler(errors)
    started = time.perf_counter()
    when = created or datetime(2000, 1, 1, tzinfo=UTC)
    try:
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config(), presentational_hints=False)
        laid_out = time.perf_counter()
        files = [weasyprint.Attachment(string=data, name=name, description=f"Source of this document: {name}",
                                       relationship="Source", created=when, modified=when,
                                       url_fetcher=fetcher)
                 for name, data in attachments]
        with warnings.catch_warnings():
            # WeasyPrint 70 opens its sRGB profile for PDF/A without closing it.
            warnings.simplefilter("ignore", ResourceWarning)
            pdf = document.write_pdf(pdf_variant=pdf_variant, attachments=files)
    except FatalURLFetchingError as error:
        raise RenderAssetError(f"print asset refused: {error}",
                               details={"refused": [u for u, _ in fetcher.refused]}) from None
    finally:
        wp_logger.removeHandler(errors)
    if fetcher.refused:
        raise RenderAssetError(
            f"print asset refused: {_shorten(fetcher.refused[0][0])} ({fetcher.refused[0][1]})",
            details={"refused": [_shorten(u) for u, _ in fetcher.refused]})
    if errors.messages:
        raise RenderAssetError(f"the PDF renderer reported an error: {errors.messages[0][:300]}",
                               details={"errors": [m[:300] for m in errors.messages[:10]]})
    if stats is not None:
        stats.update(pages=len(document.pages), layout_s=laid_out - started,
                     write_s=time.perf_counter() - laid_out, bytes=len(pdf), served=list(fetcher.served),
                     missing_glyphs=list(errors.missing_glyphs))
    return pdf


WARM_UP_HTML = """<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><style>{fonts}
html {{ font-family: var(--song); }} h1, th, b {{ font-family: var(--hei); font-weight: bold; }}</style></head>
<body><h1>国家职业技术技能标准 Warm-up</h1><p>能根据需求选择传感器。Can select sensors, é à ç œ — 1.1.1 ①。</p>
<table><thead><tr><th>职业功能</th></tr></thead>
<tbody><tr><td><b>粗体</b> bold</td></tr></tbody></table></body></html>"""


def warm_up() -> dict:
    """Render a tiny bilingual page: imports, loads the fonts and fills WeasyPrint's caches."""
    from . import fonts

    stats: dict = {}
    render_pdf(WARM_UP_HTML.format(fonts=fonts.font_face_css(ASSET_BASE)), attachments=[("warm-up.txt", b"x")],
               stats=stats)
    return stats
