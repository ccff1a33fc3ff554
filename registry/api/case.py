"""The CASE 1.1 read endpoints, so any CASE consumer can import a standard by URL.

Served under ``/ims/case/v1p1`` (the base path the CASE 1.1 REST binding fixes):

===============================  ===========================  ====================================
GET                              returns (CASE 1.1 type)      what
===============================  ===========================  ====================================
``/CFDocuments``                 ``CFDocumentSetDType``       ``{"CFDocuments": [...]}``: the
                                                              current (published) version of
                                                              every standard, by code
``/CFDocuments/{id}``            ``CFDocumentDType``          any published, superseded or
                                                              withdrawn version
``/CFPackages/{id}``             ``CFPackageDType``           the whole version (id = the
                                                              CFDocument's identifier)
``/CFItems/{id}``                ``CFItemDType``              one item
``/CFAssociations/{id}``         ``CFAssociationDType``       one association
``/CFItemAssociations/{id}``     ``CFAssociationSetDType``    an item and its associations
``/CFItemTypes/{id}``            ``CFItemTypeSetDType``       an item type and the types below it
===============================  ===========================  ====================================

Unknown or malformed identifiers, and endpoints of the binding the registry does not serve
(rubrics, concepts, subjects, licenses), answer 404 with the binding's ``imsx_StatusInfo`` payload
(``imsx_codeMinorFieldValue`` ``unknownobject`` or ``invalid_uuid``). Single objects are returned
bare, as the binding's OpenAPI defines them; the package is returned at the top level.

Item and association identifiers are kept across versions, so one identifier can belong to several
versions of a standard: it is served from the current (published) version when that version has
it, else from the most recent version that has it. The identifier → version index is computed from
the catalog and cached per process, keyed by the catalog's latest change-log entry (every publish,
supersession and withdrawal appends one in its own transaction), so every process sees a change on
its next request. Built packages are cached per process too, keyed by everything they depend on
(the version's sha256, status, dates, successor, and the base URL). A request whose caches hit
costs one indexed query; nothing is shared between processes and the caches are only an
optimisation.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app

from ..db import read_session
from ..exports import VersionInfo, case
from ..lifecycle import parse_number
from ..services import catalog
from ..services.standing import histories

bp = Blueprint("case", __name__, url_prefix=case.CASE_PATH)


def _engine():
    return current_app.extensions["registry.engine"]


def _base_url() -> str:
    return str(current_app.config.get("REGISTRY_BASE_URL", "")).rstrip("/")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def status_info(description: str, code_minor: str = "unknownobject", status: int = 404) -> Response:
    """An error in the binding's ``imsx_StatusInfoDType`` shape."""
    return _json({"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": description,
                  "imsx_codeMinor": {"imsx_codeMinorField": [
                      {"imsx_codeMinorFieldName": "sourcedId", "imsx_codeMinorFieldValue": code_minor}]}}, status)


def _not_found(identifier: str) -> Response:
    try:
        uuid.UUID(identifier)
    except ValueError:
        return status_info("Invalid UUID", "invalid_uuid")
    return status_info("Unknown Object")


# --- the identifier index and the package cache ----------------------------------------------------


@dataclass(frozen=True)
class Located:
    kind: str  # CFDocument | CFItem | CFAssociation
    version_id: int


@dataclass(frozen=True)
class _Snapshot:
    """The catalog's versions as of one change-log entry: their light columns and the identifier index."""

    infos: dict[int, VersionInfo]
    index: dict[str, Located]
    current: list[int]  # ids of the version in force (else the next one) of each standard, by code


_lock = threading.Lock()
_snapshots: OrderedDict[tuple, _Snapshot] = OrderedDict()
_packages: OrderedDict[tuple, dict] = OrderedDict()
_KEEP_SNAPSHOTS = 4  # several catalogs in one process (the tests) each keep theirs
_KEEP_PACKAGES = 32


def _remember(cache: OrderedDict, key, value, keep: int) -> None:
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > keep:
            cache.popitem(last=False)


def _recall(cache: OrderedDict, key):
    with _lock:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
        return value


def _snapshot(session) -> _Snapshot:
    """The versions, their standings today and the index, cached per process by the catalog's latest
    change-log entry and the day.

    Every change to a version row (publish, withdraw) appends to the change log in the same
    transaction, so the latest entry (its sequence number and timestamp) and the day identify every
    standing; one indexed query per request checks it.
    """
    clock = current_app.extensions["registry.clock"]
    key = (_engine().url.render_as_string(hide_password=True), catalog.latest_change(session), clock.today())
    found = _recall(_snapshots, key)
    if found is not None:
        return found
    found_histories = histories(session, None, clock)
    infos: dict[int, VersionInfo] = {}
    shown: dict[int, bool] = {}
    for _code, hist in sorted(found_histories.items()):
        # listed: the version in force, else the next to come into force; a standard with neither is
        # not listed (its documents stay resolvable by identifier, saying they are deprecated)
        first = hist.in_force() or next(iter(hist.upcoming()), None)
        for row in hist.rows:
            infos[row.id] = VersionInfo.of_version(row, hist.standing(row.version), _base_url())
            shown[row.id] = first is not None and row.id == first.id
    index: dict[str, Located] = {}
    # later entries win: other versions by number, then the listed one
    for version_id in sorted(infos, key=lambda i: (shown[i], parse_number(infos[i].version))):
        info = infos[version_id]
        for identifier, kind in case.identifiers(catalog.version_document(session, version_id), code=info.code,
                                                 version=info.version):
            index[identifier] = Located(kind, version_id)
    current = [version_id for version_id in infos if shown[version_id]]
    snapshot = _Snapshot(infos, index, current)
    _remember(_snapshots, key, snapshot, _KEEP_SNAPSHOTS)
    return snapshot


def _package(session, snapshot: _Snapshot, version_id: int) -> dict:
    """A version's CFPackage, cached per process by everything the package depends on."""
    info = snapshot.infos[version_id]
    key = (info, _base_url())
    found = _recall(_packages, key)
    if found is None:
        found = case.package(catalog.version_document(session, version_id), version_info=info, base_url=_base_url())
        _remember(_packages, key, found, _KEEP_PACKAGES)
    return found


def _locate(identifier: str, kind: str) -> dict | None:
    """The package of the version that serves ``identifier`` as a ``kind``, or None."""
    with read_session(_engine()) as session:
        snapshot = _snapshot(session)
        found = snapshot.index.get(identifier.lower())
        if found is None or found.kind != kind:
            return None
        return _package(session, snapshot, found.version_id)


# --- routes ----------------------------------------------------------------------------------------


@bp.get("/CFDocuments")
def all_documents():
    with read_session(_engine()) as session:
        snapshot = _snapshot(session)
        documents = [case.document_standalone(_package(session, snapshot, version_id)["CFDocument"])
                     for version_id in snapshot.current]
    return _json({"CFDocuments": documents})


@bp.get("/CFDocuments/<sourced_id>")
def get_document(sourced_id: str):
    found = _locate(sourced_id, "CFDocument")
    if found is None:
        return _not_found(sourced_id)
    return _json(case.document_standalone(found["CFDocument"]))


@bp.get("/CFPackages/<sourced_id>")
def get_package(sourced_id: str):
    found = _locate(sourced_id, "CFDocument")
    if found is None:
        return _not_found(sourced_id)
    return _json(found)


@bp.get("/CFItems/<sourced_id>")
def get_item(sourced_id: str):
    found = _locate(sourced_id, "CFItem")
    item = case.item_standalone(found, sourced_id.lower()) if found else None
    return _json(item) if item is not None else _not_found(sourced_id)


@bp.get("/CFAssociations/<sourced_id>")
def get_association(sourced_id: str):
    found = _locate(sourced_id, "CFAssociation")
    association = case.association_standalone(found, sourced_id.lower()) if found else None
    return _json(association) if association is not None else _not_found(sourced_id)


@bp.get("/CFItemAssociations/<sourced_id>")
def get_item_associations(sourced_id: str):
    found = _locate(sourced_id, "CFItem")
    body = case.item_associations(found, sourced_id.lower()) if found else None
    return _json(body) if body is not None else _not_found(sourced_id)


@bp.get("/CFItemTypes/<sourced_id>")
def get_item_type(sourced_id: str):
    body = case.item_type_set(sourced_id.lower(), _base_url())
    return _json(body) if body is not None else _not_found(sourced_id)


@bp.route("/<path:anything>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unknown(anything: str):
    return status_info(f"No CASE endpoint at {case.CASE_PATH}/{anything}")
