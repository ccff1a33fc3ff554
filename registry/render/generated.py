"""HTML and PDF of a generated document (:mod:`registry.generated`): the level sheet, a job description,
an assessment checklist, a training plan.

Set as the printed standard is (the stylesheet ``standard.css``, its Song and Hei faces, its tables),
with ``generated.css`` for what only these documents have: one page sequence without a cover, a head
on every page naming the code, version and standing, tick boxes and lines to sign. Rendered to
PDF/A-3a in the render worker, with the version's exact source YAML attached, like every registry PDF.
"""

from __future__ import annotations

from markupsafe import Markup

from . import fonts as _fonts
from .html import ASSET_BASE, _qr_svg, _stylesheet, css_string, environment, label, languages_for_the_structure_tree

STYLESHEETS = ("standard.css", "generated.css")


def _blocks(generated) -> list[tuple[str, object]]:
    return [(type(block).__name__.lower(), block) for block in generated.blocks]


def _page_css(lang: str) -> str:
    """The page footer "第 X 页 共 Y 页" / "page X of Y" (fixed labels only, never document text)."""
    parts = []
    text = label("page_of", lang)
    for chunk in text.replace("{page}", "\0page\0").replace("{pages}", "\0pages\0").split("\0"):
        if chunk == "page":
            parts.append("counter(page)")
        elif chunk == "pages":
            parts.append("counter(pages)")
        elif chunk:
            parts.append(css_string(chunk))
    return "@page generated { @bottom-right { content: %s; } }\n" % " ".join(parts)


def render_generated_html(generated, *, for_pdf: bool = False, asset_base: str = ASSET_BASE) -> str:
    """The HTML of a generated document (standalone: the CSS inlined, nothing referenced)."""
    css = "\n".join(_stylesheet(name) for name in STYLESHEETS)
    font_css = _fonts.font_face_css(asset_base) if for_pdf else _fonts.font_stacks_css(prepared=False)
    html = environment().get_template("generated.html").render(
        # the package's stylesheets, the fonts table and quoted page labels: no text from a document
        g=generated, blocks=_blocks(generated), for_pdf=for_pdf,
        inline_css=Markup(css), font_css=Markup(font_css),  # noqa: S704
        page_css=Markup(_page_css(generated.lang)) if for_pdf else Markup(""),  # noqa: S704
        L=lambda key: label(key, generated.lang),
        qr=_qr_svg(generated.verify_url, f"{label('qr_code', generated.lang)}: {generated.verify_url}"))
    return languages_for_the_structure_tree(html) if for_pdf else html


def render_generated_pdf(generated, *, source: bytes, timeout: float | None = None) -> bytes:
    """The PDF/A-3a of a generated document, in the warm render worker, with ``source`` attached."""
    from .worker import get_worker

    html = render_generated_html(generated, for_pdf=True)
    return get_worker().render_pdf(html, attachments=[(generated.attachment_name, source)], timeout=timeout)


__all__ = ["render_generated_html", "render_generated_pdf"]
