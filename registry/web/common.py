"""Small helpers shared by the page modules: the engine, languages, texts, error pages."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from ..documents import level_name
from ..errors import RegistryError
from ..vocabulary import DRAFT_STATE_NAMES, STANDING_NAMES
from ..vocabulary import label as vocabulary_label

VERSION_NAME = re.compile(r"(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\Z")
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,15}\Z")


def engine():
    return current_app.extensions["registry.engine"]


def clock():
    return current_app.extensions["registry.clock"]


def standing_name(state: str) -> str:
    """A version's standing in the interface language (``vocabulary.STANDING_NAMES``)."""
    return vocabulary_label(STANDING_NAMES, state, lang())


def draft_state_name(state: str) -> str:
    """A draft's state in the interface language (``vocabulary.DRAFT_STATE_NAMES``)."""
    return vocabulary_label(DRAFT_STATE_NAMES, state, lang())


def lang() -> str:
    return str(get_locale() or "zh")


def html_lang(code: str) -> str:
    """The value of a lang attribute for a language code (the interface's Chinese is simplified)."""
    return "zh-Hans" if code == "zh" else code


def pick(value: Any, wanted: str, master: str) -> tuple[str, str]:
    """A document text in ``wanted``, else in the master language, else any; and the language shown."""
    if isinstance(value, dict):
        for code in (wanted, master, *value):
            if value.get(code):
                return str(value[code]), code
        return "", master
    return ("" if value is None else str(value)), master


def in_language(text: str, code: str) -> Markup:
    """Escaped text, marked with its language when it is not the interface's (screen readers switch voice)."""
    if not text or code.split("-")[0] == lang():
        return escape(text)
    return Markup('<span lang="%s">%s</span>') % (html_lang(code), text)


def tr(value: Any, doc: dict | None = None) -> Markup:
    """A document text in the interface language, the master text as the fallback (marked with its lang)."""
    master = (doc or {}).get("languages", {}).get("master", "zh")
    return in_language(*pick(value, lang(), master))


def tr_text(value: Any, doc: dict | None = None) -> str:
    """As :func:`tr`, as plain text: for <title> and attributes, where markup is not allowed."""
    master = (doc or {}).get("languages", {}).get("master", "zh")
    return pick(value, lang(), master)[0]


def level_label(doc: dict | None, level_id: str | None) -> str:
    """A level's display name in the reader's language (``documents.level_name``); ``doc`` None for a
    level ID alone, as a search facet gives it."""
    return level_name(doc, level_id, lang()) if level_id else ""


def label(vocabulary: dict, key: str | None) -> str:
    """A code or slug of one of :mod:`registry.vocabulary`'s dictionaries, named in the interface language."""
    return vocabulary_label(vocabulary, key, lang())


def marked(snippet: str) -> Markup:
    """A search snippet as safe HTML: every text part escaped again; only <mark> survives."""
    out = []
    for i, part in enumerate(re.split(r"</?mark>", snippet or "")):
        text = escape(html.unescape(part))
        out.append(Markup("<mark>%s</mark>") % text if i % 2 else text)
    return Markup("").join(out)


def this_page() -> str:
    """The current page's path and query without ``lang`` (where the language switch comes back to)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + ("?" + urlencode(args) if args else "")


def status_of(error: RegistryError) -> int:
    from ..api.errors import status_of as api_status

    return api_status(error)


def error_page(error: RegistryError):
    """A domain error raised by a page, as an HTML page with the status of the one error table."""
    from ..api.errors import status_headers

    status = status_of(error)
    # the same headers as the API's answer: a 503 page says when to retry
    return render_template("web/error.html", message=error.message, status=status), status, status_headers(status)


def http_error_page(error: HTTPException):
    """Werkzeug's errors on pages (404, 405, a failed CSRF check...) in the site's own page and language.

    Called by the error handler of ``registry.api.errors``, which answers machine paths with JSON.
    """
    from flask_wtf.csrf import CSRFError

    from ..api.errors import keep_headers

    if isinstance(error, CSRFError):
        message = _("The form has expired or did not come from this site (CSRF check failed). "
                    "Go back, reload the page and try again.")
    elif error.code == 404:
        message = _("There is no page at this address.")
    elif error.code == 405:
        message = _("This address does not accept that kind of request.")
    elif error.code == 413:
        message = _("The upload is too large.")
    else:
        message = error.description or error.name
    response = current_app.make_response((render_template("web/error.html", message=message, status=error.code),
                                          error.code))
    keep_headers(error, response)  # Allow on a 405, Retry-After
    return response


def register_error_pages(bp) -> None:
    bp.register_error_handler(RegistryError, error_page)
