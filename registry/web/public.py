"""Public pages: home, browse, a standard, a diff, search, verification, the Atom feed; downloads."""

from __future__ import annotations

import io
import re

from flask import current_app, redirect, render_template, request, url_for

from ..db import read_session
from ..errors import BadRequest, NotFound
from ..exports.formats import FORMATS
from ..lifecycle import STANDINGS
from ..search.query import MAX_QUERY_CHARS
from ..search.request import MAX_RESULT_WINDOW, SearchRequest, day_arg, filter_values
from ..services import exports, facet_names, reading, verification
from ..vocabulary import STANDARD_TYPES
from . import bp
from .common import CODE, VERSION_NAME, clock, engine, lang

#: hits per page of /search
PAGE_SIZE = 20


def _engine():
    return engine()


#: an occupation group of the classification: major "2", sub-major "2-02" or minor group "2-02-38"
OCCUPATION_GROUP = re.compile(r"[0-9](-[0-9]{2}){0,2}\Z")


def _code(code: str) -> str:
    if not CODE.match(code):
        raise NotFound(f"no standard with code {code!r}")
    return code


@bp.get("/")
def home():
    """Sectors with counts, the latest publications and a search box."""
    with read_session(engine()) as session:
        data = reading.home(session, clock())
    return render_template("web/home.html", **data)


@bp.get("/standards")
def browse():
    """Every standard, by sector or by occupation group (e.g. 2-02-38), with filters and counts."""
    page = request.args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 6 and int(page) > 0 else 1
    sector = request.args.get("sector") or None
    standard_type = request.args.get("type") or None
    status = request.args.get("status") or None
    if status not in (None, *STANDINGS):
        status = None
    group = request.args.get("group") or None
    if group is not None and not OCCUPATION_GROUP.match(group):
        group = None
    by = "occupation" if request.args.get("by") == "occupation" or group else "sector"
    with read_session(engine()) as session:
        data = reading.browse(session, clock(), sector=sector, standard_type=standard_type, status=status,
                              group=group, page=page)
    return render_template("web/browse.html", page=page, sector=sector, type=standard_type, status=status,
                           group=group, by=by, types=STANDARD_TYPES, standings=STANDINGS, **data)


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
    environ = request.environ
    # PDF and HTML: ?lang=fr shows French under the master (the query is parsed only when there is one)
    language = exports.check_lang(fmt, request.args.get("lang") if environ.get("QUERY_STRING") else None)
    if version == "latest":
        return _latest(code, fmt, language)
    served = exports.serve(_engine(), clock(), exports_dir(), code, version, fmt, config["REGISTRY_BASE_URL"],
                           lang=language, timeout=config["REGISTRY_RENDER_TIMEOUT"])
    return send(served)


def send(served: exports.Served):
    """An issued file as the answer: its media type, ETag, lifetime, and attachment or inline."""
    from flask import send_file

    export = served.export
    fmt = export.fmt
    environ = request.environ

    # conditional (304, ranges) only when asked: the plain GET of a cached file stays as cheap as a
    # static file; for the same reason the caching headers are written once, as strings, rather than
    # through send_file's max_age (which rewrites Cache-Control four times and formats an Expires)
    conditional = any(h in environ for h in _CONDITIONAL)
    body = served.path if served.path is not None else io.BytesIO(served.data)
    response = send_file(body, mimetype=export.media_type, etag=export.etag, conditional=conditional,
                         download_name=export.filename, as_attachment=not FORMATS[fmt].inline)
    response.headers["Cache-Control"] = _CACHE_CONTROL[fmt]
    response.headers["Accept-Ranges"] = "bytes"
    # as given (Werkzeug appends "; charset=utf-8" to any text/* type, even one that has it)
    response.headers["Content-Type"] = export.media_type
    if fmt == "html":
        # the printable page inlines its stylesheet; it runs no script and cannot frame or submit anything
        response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                       "img-src data:; frame-ancestors 'none'; sandbox")
    return response


#: How long a cache may keep a download (``OutputFormat.max_age``): a file that prints the version's
#: standing (PDF, HTML, CASE) gets new bytes, and a new ETag, under the same URL when the standing
#: changes; within its lifetime the file is unchanged ("immutable"), after it a cache revalidates.
_CACHE_CONTROL = {name: f"public, max-age={spec.max_age}, immutable" for name, spec in FORMATS.items()}


def _latest(code: str, fmt: str, language: str | None):
    """``latest.<ext>`` redirects to the file of the version in force today; when none is, to the
    standard's page, which says so (never a 404 for a standard that exists)."""
    hist = exports.standing_now(_engine(), clock(), code)
    current = hist.in_force()
    if current is None:
        target = url_for("web.standard", code=code)
    else:
        target = url_for("web.download", code=code, name=current.version + FORMATS[fmt].suffix,
                         **({"lang": language} if language else {}))
    response = redirect(target)
    response.headers["Cache-Control"] = "no-cache"
    return response
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE", "HTTP_IF_RANGE")


def _version_page(code: str, version: str | None):
    from ..levels import scopes

    with read_session(engine()) as session:
        page = reading.standard_page(session, code, version, clock())
    doc = page.version.document
    return render_template("web/standard.html", page=page, doc=doc, downloads=FORMATS.values(), scopes=scopes(doc))


def _diff_page(code: str):
    old, new = request.args.get("from", ""), request.args.get("to", "")
    if not (VERSION_NAME.match(old) and VERSION_NAME.match(new)):
        raise BadRequest("choose two versions: ?from=1.0&to=2.0")
    with read_session(engine()) as session:
        found = reading.version_diff(session, code, old, new, clock())
    return render_template("web/diff.html", standard=found.standard, before=found.before, after=found.after,
                           diff=found.diff, versions=found.versions, doc=found.after.document,
                           old_doc=found.before.document)


#: the values of each facet the search page lists (the most frequent first)
FACET_VALUES_SHOWN = 12


@bp.get("/search")
def search():
    """Full-text search with facets, filters and highlighted snippets (the search service)."""
    from ..search.service import service_for

    args = request.args
    filters = filter_values(args, strict=False, page=True)  # what the page cannot use is ignored
    page = args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and len(page) < 4 and int(page) > 0 else 1
    q = args.get("q", "")[:MAX_QUERY_CHARS]
    as_of = day_arg(args, strict=False)  # the requirements in force on that day (today by default)
    cumulative = args.get("cumulative") in ("1", "true", "yes")
    result = None
    titles: dict = {}
    directions: dict = {}
    if q or filters:
        # titles, levels and snippets in the interface language (hits are not limited to it)
        query = SearchRequest(q, filters=filters, page=min(page, MAX_RESULT_WINDOW // PAGE_SIZE), per_page=PAGE_SIZE,
                              display_lang=lang(), as_of=as_of, cumulative=cumulative)
        result = service_for(current_app).search(query)
        with read_session(engine()) as session:  # the occupation facet names standards by their titles
            shown = result.facets.get("occupation", [])[:FACET_VALUES_SHOWN]
            titles = reading.occupation_titles(session, {f["value"] for f in shown} | {h["code"] for h in result.hits})
            codes = {f["value"] for f in result.facets.get("occupation", [])}
            directions = facet_names.direction_names(session, codes) if result.facets.get("direction") else {}
    return render_template("web/search.html", q=q, result=result, filters=filters, page=page, titles=titles,
                           directions=directions, as_of=as_of, cumulative=cumulative, shown=FACET_VALUES_SHOWN)


@bp.get("/search.csv")
def search_csv():
    """Every hit of a search (as ``/search`` and ``GET /api/v1/search`` read it; at most
    ``MAX_RESULT_WINDOW``) as CSV, each with its standing and its item's permalink."""
    from ..exports.search_csv import search_matrix
    from ..search.contract import parse
    from ..search.service import service_for

    request_, _drafts = parse(request.args)  # the API's parameters and limits; drafts are never exported
    request_.display_lang = request.args.get("lang") or lang()
    data = search_matrix(service_for(current_app), request_, current_app.config["REGISTRY_BASE_URL"])
    return data, 200, {"Content-Type": FORMATS["csv"].media_type,
                       "Content-Disposition": 'attachment; filename="search.csv"', "Cache-Control": "no-cache"}


@bp.get("/verify")
def verify_form():
    """The verification page: paste a sha256 (``?sha256=``), or upload a PDF."""
    digest = request.args.get("sha256", "").strip()
    if digest:
        return redirect(url_for("web.verify_page", sha256=digest[:128]))
    return render_template("web/verify.html", result=None, sha256="", upload=None)


@bp.post("/verify")
def verify_upload():
    """An uploaded PDF (at most REGISTRY_MAX_UPLOAD_BYTES): its own bytes, and the source embedded in it."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("choose a PDF file to upload", details={"field": "file"})
    with read_session(_engine()) as session:
        result = verification.verify_pdf(session, upload.read(), clock())
    return render_template("web/verify.html", result=None, sha256="", upload=result)


@bp.get("/verify/<sha256>")
def verify_page(sha256: str):
    with read_session(_engine()) as session:
        result = verification.verify(session, sha256, clock())
    status = 200 if result["authentic"] else 404
    return render_template("web/verify.html", result=result, sha256=result["sha256"], upload=None), status


@bp.get("/feed.atom")
def feed():
    """Publications and withdrawals as an Atom feed; each entry says what changed."""
    with read_session(engine()) as session:
        entries = reading.feed(session, clock())
    body = render_template("web/feed.xml", entries=entries, base=current_app.config["REGISTRY_BASE_URL"].rstrip("/"))
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


def exports_dir():
    return exports.folder(current_app.config["REGISTRY_EXPORTS_DIR"])
