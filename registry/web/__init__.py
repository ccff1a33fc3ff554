"""Web pages and downloads (not under /api).

``bp`` ("web") holds the public pages and the downloads; :mod:`.auth`, :mod:`.portal` (standards
bodies) and :mod:`.review` (registrars) are blueprints of their own. :func:`init_app` sets up the
rest (secret key, cookies, CSRF, headers, languages); registering ``bp`` calls it once.
"""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Flask

bp = Blueprint("web", __name__)


def init_app(app: Flask) -> None:
    """Set up sessions, CSRF, security headers and languages; register the page blueprints."""
    from . import auth, portal, review, setup

    setup.init_app(app)
    for blueprint in (auth.bp, portal.bp, review.bp):
        app.register_blueprint(blueprint)
    app.jinja_env.filters["dict_without"] = lambda mapping, key: {k: v for k, v in mapping.items() if k != key}
    app.jinja_env.filters["atom_date"] = _atom_date

    @app.context_processor
    def _globals():
        from .. import vocabulary
        from ..documents import text_in
        from . import diffview
        from .common import (
            draft_state_name,
            html_lang,
            label,
            lang,
            level_label,
            marked,
            standing_name,
            this_page,
            tr,
            tr_text,
        )
        from .setup import LANGUAGES

        ui = lang()
        return {
            "current_actor": auth.current_actor, "ui_lang": ui, "languages": LANGUAGES, "this_page": this_page,
            "tr": tr, "tr_text": tr_text, "text_in": text_in, "html_lang": html_lang, "marked": marked,
            "level_label": level_label, "label": label, "vocab": vocabulary,
            "standing_name": standing_name, "draft_state_name": draft_state_name,
            "diff_summary": diffview.summary,
            "text_changes": lambda old, new, *docs, texts=False: diffview.changes(old, new, ui, *docs, texts=texts),
            "where": lambda location, doc: diffview.where(location, doc, ui),
            "part_name": lambda kind, part_id, doc, old_doc=None: diffview.part_name(kind, part_id, doc, old_doc, ui),
        }


def _atom_date(value) -> str:
    from datetime import datetime

    value = value or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# app.py registers only ``bp``: set up the rest when it is registered (once per application)
bp.record_once(lambda state: init_app(state.app))

from . import levels, public  # noqa: E402,F401  (the routes of bp)
from .common import register_error_pages  # noqa: E402

register_error_pages(bp)
