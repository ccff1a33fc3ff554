"""One level of a version, and one item: the pages trainers, assessors and HR departments link to.

* ``/standards/{code}/{version}/levels/{level}[/{direction}]``: the level's page (everything a person at
  that level must know and do, the lower levels' requirements included where the standard says so),
  and its files: ``…/L3.pdf``, ``…/L3.csv`` (the level sheet) and the generated documents
  ``…/L3/job-description.pdf`` (``.docx``), ``assessment-checklist``, ``training-plan`` (the level
  rows of ``exports.formats.FORMATS``; ``?lang=en`` for another language of the standard).
* ``/standards/{code}/{version}/items/{id}``: an item's permalink, as a page or, for
  ``Accept: application/json``, as JSON; ``/standards/{code}/latest/items/{id}`` redirects to the item
  in the version in force, or says (410) in which version it was removed and what replaced it.

``latest`` in place of a version redirects to the version in force today, as ``latest.pdf`` does.
"""

from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, url_for

from ..api.errors import error_body
from ..db import read_session
from ..errors import NotFound, RegistryError
from ..exports.formats import FORMATS, GENERATED, LEVEL
from ..services import exports, items, reading
from ..services.verification import standing_fields
from . import bp
from .common import CODE, VERSION_NAME, clock, engine, status_of
from .public import exports_dir, send

JSON = "application/json"


def _check(code: str, version: str) -> None:
    if not CODE.match(code) or not (version == "latest" or VERSION_NAME.match(version)):
        raise NotFound(f"no version {version[:20]!r} of standard {code[:20]!r}")


def _to_in_force(code: str, endpoint: str, **values):
    """``latest`` → the same address under the version in force today (the standard's page when none is)."""
    current = exports.standing_now(engine(), clock(), code).in_force()
    args = {k: v for k, v in request.args.items()}
    target = url_for(endpoint, code=code, version=current.version, **values, **args) if current is not None \
        else url_for("web.standard", code=code)
    response = redirect(target)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/standards/<code>/<version>/levels/<path:rest>")
def level(code: str, version: str, rest: str):
    _check(code, version)
    scope, fmt = exports.split_level_name(rest)
    if version == "latest":
        return _to_in_force(code, "web.level", rest=rest)
    if fmt is None:
        with read_session(engine()) as session:
            found = reading.level_page(session, code, version, scope, clock())
        return render_template("web/level.html", found=found, page=found.page, view=found.view,
                               doc=found.page.version.document, files=_level_files())
    config = current_app.config
    language = exports.check_lang(fmt, request.args.get("lang") if request.environ.get("QUERY_STRING") else None)
    served = exports.serve(engine(), clock(), exports_dir(), code, version, fmt, config["REGISTRY_BASE_URL"],
                           lang=language, timeout=config["REGISTRY_RENDER_TIMEOUT"], scope=scope)
    return send(served)


def _level_files() -> list[tuple[str | None, list]]:
    """The level rows of the table, grouped as the level page offers them: the level sheet, then each
    generated document with its formats."""
    rows = [f for f in FORMATS.values() if f.scope == LEVEL]
    return [(None, [f for f in rows if f.document is None])] + \
        [(document, [f for f in rows if f.document == document]) for document in GENERATED]


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", JSON])
    return best == JSON and request.accept_mimetypes[JSON] > request.accept_mimetypes["text/html"]


@bp.get("/standards/<code>/<version>/items/<item_id>")
def item(code: str, version: str, item_id: str):
    try:
        _check(code, version)
        if version == "latest":
            return _latest_item(code, item_id)
        with read_session(engine()) as session:
            found = items.item_page(session, code, version, item_id, clock())
    except RegistryError as error:
        if not _wants_json():
            raise  # the site's error page
        body = error_body(error.code, error.message, error.details)  # a JSON reader gets the API's error
        return _vary(jsonify(body)), status_of(error)
    if _wants_json():
        return _vary(jsonify(item_json(found)))
    return _vary(current_app.make_response(render_template("web/item.html", found=found, doc=found.document)))


def _latest_item(code: str, item_id: str):
    with read_session(engine()) as session:
        found = items.latest_item(session, code, item_id, clock())
    if found is None or isinstance(found, items.ItemPage):
        return _to_in_force(code, "web.item", item_id=item_id)
    if _wants_json():
        return _vary(jsonify(removal_json(found))), 410
    page = render_template("web/item_removed.html", removal=found, doc=found.last.document,
                           new_doc=found.removed_in.document)
    return _vary(current_app.make_response(page)), 410


def _vary(response):
    response.vary.add("Accept")
    return response


def _permalink(code: str, version: str, item_id: str) -> str:
    return url_for("web.item", code=code, version=version, item_id=item_id, _external=False)


def item_json(found: items.ItemPage) -> dict:
    """An item as JSON: its kind, texts, place and number, and its version's standing today."""
    v, where = found.version, found.item.location
    base = current_app.config["REGISTRY_BASE_URL"].rstrip("/")
    current = found.in_force
    return {
        "code": v.code, "version": v.version, "id": found.item_id, "kind": found.item.kind,
        "text": found.item.text, "number": where.number, "level": where.level, "direction": where.direction,
        "function": where.function, "work_content": where.work_content, "group": where.group,
        "permalink": base + _permalink(v.code, v.version, found.item_id),
        "latest": base + _permalink(v.code, "latest", found.item_id),
        "version_url": f"{base}/standards/{v.code}/{v.version}",
        "in_force_version": current.version if current is not None else None,
        **standing_fields(found.standing),
    }


def removal_json(removal: items.Removal) -> dict:
    base = current_app.config["REGISTRY_BASE_URL"].rstrip("/")
    return {
        "code": removal.code, "id": removal.item_id, "removed": True, "kind": removal.item.kind,
        "text": removal.item.text, "last_version": removal.last.version, "removed_in": removal.removed_in.version,
        "last_permalink": base + _permalink(removal.code, removal.last.version, removal.item_id),
        "replaced_by": [{"id": c.item_id, "kind": c.item_kind, "text": c.new_text,
                         "permalink": base + _permalink(removal.code, removal.removed_in.version, c.item_id)}
                        for c in removal.replaced_by],
        "in_force_version": removal.in_force.version if removal.in_force is not None else None,
    }
