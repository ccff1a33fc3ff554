"""Small helpers shared by the page modules: the engine, languages, texts, error pages."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import current_app, render_template
from flask_babel import get_locale
from markupsafe import Markup, escape

from ..documents import level_name, text_in
from ..errors import RegistryError

VERSION_NAME = re.compile(r"(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\Z")
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,15}\Z")


def engine():
    return current_app.extensions["registry.engine"]


def lang() -> str:
    return str(get_locale() or "zh")


def tr(value: Any, doc: dict | None = None) -> str:
    """A document text in the interface language, the master text as the fallback."""
    master = (doc or {}).get("languages", {}).get("master", "zh")
    return text_in(value, lang(), master)


def level_label(doc: dict, level_id: str | None) -> str:
    return level_name(doc, level_id, lang()) if level_id else ""


def marked(snippet: str) -> Markup:
    """A search snippet as safe HTML: every text part escaped again; only <mark> survives."""
    out = []
    for i, part in enumerate(re.split(r"</?mark>", snippet or "")):
        text = escape(html.unescape(part))
        out.append(Markup("<mark>%s</mark>") % text if i % 2 else text)
    return Markup("").join(out)


def status_of(error: RegistryError) -> int:
    from ..api.errors import status_of as api_status

    return api_status(error)


def error_page(error: RegistryError):
    """A domain error raised by a page, as an HTML page with the status of the one error table."""
    status = status_of(error)
    return render_template("web/error.html", message=error.message, status=status), status


def register_error_pages(bp) -> None:
    bp.register_error_handler(RegistryError, error_page)
