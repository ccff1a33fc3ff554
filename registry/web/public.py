"""Public pages: home, browse, a standard, a diff, search, verification, the Atom feed; downloads."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, redirect, render_template, request, url_for

from ..db import read_session
from ..errors import BadRequest, NotFound
from ..search import KINDS, SearchRequest
from ..services import catalog, exports, verification
from ..vocabulary import STANDARD_TYPES
from . import bp, readmodels
from .common import CODE, VERSION_NAME, engine

#: the download formats offered on a standard's page, in button order
DOWNLOADS = (("pdf", "PDF"), ("html", "HTML"), ("csv", "CSV"), ("case.json", "CASE JSON"), ("yaml", "YAML"),
             ("json", "JSON"))


def _engine():
    return engine()


def _code(code: str) -> str:
    if not CODE.match(code):
        raise NotFound(f"no standard with code {code!r}")
    return code


@bp.get("/")
def home():
    """Sectors with counts, the latest publications and a search box."""
    with read_session(engine()) as session:
        data = readmodels.home(session)
    return render_template("web/home.html", **data)


@bp.get("/standards")
def browse():
    """Every standard, by sector and occupation, with filters."""
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < len(page) < 6 and int(page) > 0 else 1
    sector = request.args.get("sector") or None
    standard_type = request.args.get("type") or None
    status = request.args.get("status") or None
    if status not in (None, "published", "superseded", "withdrawn"):
        status = None
    with read_session(engine()) as session:
        data = readmodels.browse(session, sector=sector, standard_type=standard_type, status=status, page=page)
    return render_template("web/browse.html", page=page, sector=sector, type=standard_type, status=status,
                           types=STANDARD_TYPES, **data)


@bp.get("/standards/<code>")
def standard(code: str):
    """The version in force of a standard (or its latest version), with its history."""
    return _version_page(_code(code), None)


@bp.get("/standards/<code>/<name>")
def download(code: str, name: str):
    """``/standards/{code}/{version}`` is a page, ``.../diff`` a comparison, and
    ``/standards/{code}/{version}.{pdf,html,csv,json,yaml,case.json}`` a download; ``latest.*`` redirects."""
    if VERSION_NAME.match(name):
        return _version_page(_code(code), name)
    if name == "diff":
        return _diff_page(_code(code))
    version, fmt = exports.split_name(name)
    config = current_app.config
    with read_session(_engine()) as session:
        if version == "latest":
            current = catalog.current_version(session, code)
            response = redirect(url_for("web.download", code=code, name=current.version + exports.FORMATS[fmt].suffix))
            response.headers["Cache-Control"] = "no-cache"
            return response
        export, path = exports.ensure(session, exports_dir(), code, version, fmt, config["REGISTRY_BASE_URL"])
    from flask import send_file

    response = send_file(path, mimetype=export.media_type, etag=export.etag, conditional=True,
                         download_name=export.filename, as_attachment=fmt not in ("html",), max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if fmt == "html":
        # the printable page inlines its stylesheet; it runs no script and cannot frame or submit anything
        response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                       "img-src data:; frame-ancestors 'none'; sandbox")
    return response


def _version_page(code: str, version: str | None):
    with read_session(engine()) as session:
        page = readmodels.standard_page(session, code, version)
    return render_template("web/standard.html", page=page, doc=page.version.document, downloads=DOWNLOADS)


def _diff_page(code: str):
    old, new = request.args.get("from", ""), request.args.get("to", "")
    if not (VERSION_NAME.match(old) and VERSION_NAME.match(new)):
        raise BadRequest("choose two versions: ?from=1.0&to=2.0")
    with read_session(engine()) as session:
        standard_row, before, after, diff = readmodels.version_diff(session, code, old, new)
        versions = catalog.list_versions(session, code)
    return render_template("web/diff.html", standard=standard_row, before=before, after=after, diff=diff,
                           versions=versions, doc=after.document, old_doc=before.document)


@bp.get("/search")
def search():
    """Full-text search with facets, filters and highlighted snippets (the search service)."""
    from ..services.search import service_for

    args = request.args
    clean = {name: (args.get(name) or None) for name in ("sector", "level", "direction", "code", "type", "kind")}
    clean = {k: v for k, v in clean.items() if v is None or (len(v) <= 64 and v.isprintable())}
    if clean.get("kind") not in (None, *KINDS):
        clean["kind"] = None
    page = args.get("page", "1")
    page = int(page) if page.isdigit() and len(page) < 4 and int(page) > 0 else 1
    q = args.get("q", "")[:256]
    result = None
    if q or any(clean.values()):
        query = SearchRequest(q=q, page=min(page, 50), per_page=20, **{k: v for k, v in clean.items()})
        result = service_for(current_app).search(query)
    filters = {k: v for k, v in clean.items() if v}
    return render_template("web/search.html", q=q, result=result, filters=filters, page=page)


@bp.get("/verify/<sha256>")
def verify_page(sha256: str):
    with read_session(_engine()) as session:
        result = verification.verify(session, sha256)
    status = 200 if result["authentic"] else 404
    return render_template("web/verify.html", result=result, sha256=sha256), status


@bp.get("/feed.atom")
def feed():
    """Publications and withdrawals as an Atom feed; each entry says what changed."""
    with read_session(engine()) as session:
        entries = readmodels.feed(session)
    body = render_template("web/feed.xml", entries=entries, base=current_app.config["REGISTRY_BASE_URL"].rstrip("/"))
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


def exports_dir():
    return Path(current_app.config["REGISTRY_EXPORTS_DIR"]).resolve()
