"""Web pages and downloads (not under /api)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for

from ..db import read_session
from ..services import catalog, exports, verification

bp = Blueprint("web", __name__)


def _engine():
    return current_app.extensions["registry.engine"]


@bp.get("/standards/<code>/<name>")
def download(code: str, name: str):
    """``/standards/{code}/{version}.{pdf,html,csv,json,yaml,case.json}``; ``latest.*`` redirects."""
    version, fmt = exports.split_name(name)
    config = current_app.config
    with read_session(_engine()) as session:
        if version == "latest":
            current = catalog.current_version(session, code)
            response = redirect(url_for("web.download", code=code, name=current.version + exports.FORMATS[fmt].suffix))
            response.headers["Cache-Control"] = "no-cache"
            return response
        export, path = exports.ensure(session, exports_dir(), code, version, fmt, config["REGISTRY_BASE_URL"])
    response = send_file(path, mimetype=export.media_type, etag=export.etag, conditional=True,
                         download_name=export.filename, as_attachment=fmt not in ("html",), max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/verify/<sha256>")
def verify_page(sha256: str):
    with read_session(_engine()) as session:
        result = verification.verify(session, sha256)
    status = 200 if result["authentic"] else 404
    return render_template("web/verify.html", result=result, sha256=sha256), status


def exports_dir():
    from pathlib import Path

    return Path(current_app.config["REGISTRY_EXPORTS_DIR"]).resolve()
