"""CASE 1.1 (1EdTech Competencies and Academic Standards Exchange) packages of a standard version.

A standard version becomes one ``CFPackage`` (the ``CFPackageDType`` of the CASE 1.1 binding):

- ``CFDocument``: the standard version (title, issuers as ``creator``, version, status).
- ``CFItems``, one tree per printed work-requirements table:

  =========================  ==========================================  =====================
  CFItemType                 what                                        humanCodingScheme
  =========================  ==========================================  =====================
  Level                      a section: a level, or a level and a        level id (``L5``,
                             direction (one printed table)               ``junior/embedded``)
  Occupational Function      a function as it appears in that table      number as printed
  Work Content               a row of column 2                           number as printed
  Skill Requirement /        an item of column 3, named after the        number as printed
  Competence Requirement /   standard's ``column_label`` (技能要求,
  Performance Criterion      专业能力要求, NOS performance criteria)
  Knowledge Requirement      an item of column 4 (相关知识要求)           number as printed
  Behaviour                  a behaviour of a row, or of the occupation  number, if any
  =========================  ==========================================  =====================

  ``fullStatement`` is the text in the standard's master language (``language`` says which); the
  translations are in ``extensions.registry.translations``. Every item below a level carries the
  standard's **level id in ``educationLevel``** (CASE's field for "the level at which an item is
  intended"; the ids are the standard's own, e.g. ``L5`` … ``L1`` for the five skill grades,
  ``junior``/``intermediate``/``senior``, or a custom id), and ``extensions.registry`` repeats
  the level and direction ids, the registry item ID and its kind. The basic requirements (职业道德,
  基础知识) and the weight tables are not part of the package.

- ``CFAssociations``: ``isChildOf`` from each item to its parent (a Level's parent is the
  CFDocument), with ``sequenceNumber`` giving the printed order among siblings (the mechanism the
  spec prefers over ``listEnumeration``); and ``precedes`` from the section of each level to the
  section of the next higher level of the same direction (levels are declared lowest first and a
  higher level includes the lower ones). ``precedes`` is used only for that progression, never for
  display order.
- ``CFDefinitions.CFItemTypes``: the item types used.

**Identifiers** are UUID version 5 under the fixed namespace :data:`NAMESPACE`, computed from names
that survive a new version:

=================  ==================================================================
CFDocument         ``cfdocument:{code}:{version}`` (a new version is a new document; the
                   CFPackage has the identifier of its CFDocument, as CASE requires)
Level item         ``cfitem:{code}:level:{level id}:{direction id or -}``
Function item      ``cfitem:{code}:function:{function id}:{level id}:{direction id or -}``
other items        ``cfitem:{code}:item:{stable item ID}`` (work contents, requirements,
                   knowledge items and behaviours have IDs unique in the file and kept
                   across versions)
CFAssociation      ``cfassociation:{type}:{origin UUID}:{destination UUID}``
CFItemType         ``cfitemtype:{typeCode}`` (shared by every standard)
=================  ==================================================================

so an item kept in version 2.0 has the identifier it had in 1.0, and a CASE consumer that imported
1.0 updates it in place. Every ``uri`` is ``{base_url}/ims/case/v1p1/{CFDocuments|CFItems|
CFAssociations|CFPackages|CFItemTypes}/{identifier}``, served by :mod:`registry.api.case`.

``lastChangeDateTime`` is the version's publication time (for the CFDocument, its withdrawal time
if later); a draft without one uses 1 January of its edition year, so output stays deterministic.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ..documents import level_name, level_name_map, text_in
from ..lifecycle import DRAFT_STANDING, EXPIRED, IN_FORCE, SUPERSEDED, UPCOMING, WITHDRAWN
from .info import VersionInfo, utc

__all__ = ["NAMESPACE", "CASE_PATH", "package", "package_json", "cf_document", "document_standalone",
           "item_standalone", "association_standalone", "item_associations", "item_type_set", "identifiers",
           "ITEM_TYPES", "document_id"]

#: uuid5(NAMESPACE_URL, "https://schemas.occupational-standards-registry.org/case/v1p1"), fixed
#: here as a literal: changing it would change every identifier the registry has ever published.
NAMESPACE = uuid.UUID("6de55a1e-3086-512e-b51e-4111708f3fa6")
CASE_PATH = "/ims/case/v1p1"
PUBLISHER = "Occupational Standards Registry"

#: adoptionStatus values (the vocabulary CASE tools use) for the catalog's version statuses
ADOPTION_STATUS = {DRAFT_STANDING: "Draft", UPCOMING: "Adopted", IN_FORCE: "Adopted", SUPERSEDED: "Deprecated",
                   EXPIRED: "Deprecated", WITHDRAWN: "Deprecated"}

#: typeCode -> (title, hierarchyCode, description). The vocabulary is the same for every standard.
ITEM_TYPES: dict[str, tuple[str, str, str]] = {
    "level": ("Level", "1",
              "A level of the occupational standard (职业技能等级 / 专业技术等级), or a level within a direction "
              "(职业方向): one printed table of work requirements. humanCodingScheme is the standard's level id."),
    "function": ("Occupational Function", "1.1",
                 "职业功能: an occupational function, the first column of a work-requirements table."),
    "work-content": ("Work Content", "1.1.1",
                     "工作内容: a work content, the second column of a work-requirements table."),
    "skill-requirement": ("Skill Requirement", "1.1.1.1",
                          "技能要求: a skill requirement, the third column of a national occupational skill standard."),
    "competence-requirement": ("Competence Requirement", "1.1.1.2",
                               "专业能力要求: a professional competence requirement, the third column of a national "
                               "occupational technical skill standard."),
    "performance-criterion": ("Performance Criterion", "1.1.1.3",
                              "A performance criterion (\"You must be able to\") of a National Occupational Standard."),
    "knowledge": ("Knowledge Requirement", "1.1.1.4",
                  "相关知识要求: a related knowledge requirement, the fourth column of a work-requirements table "
                  "(NOS: knowledge and understanding)."),
    "behaviour": ("Behaviour", "1.1.1.5", "A value or behaviour expected in the occupation or in a work content."),
}
#: when the item-type vocabulary above last changed (its lastChangeDateTime); update with it
ITEM_TYPES_CHANGED = datetime(2025, 1, 1, tzinfo=UTC)

REQUIREMENT_TYPES = {"skill": "skill-requirement", "competence": "competence-requirement",
                     "performance-criteria": "performance-criterion"}


# --- identifiers ------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _uuid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def document_id(code: str, version: str) -> str:
    return _uuid(f"cfdocument:{code}:{version}")


def level_item_id(code: str, level: str, direction: str | None) -> str:
    return _uuid(f"cfitem:{code}:level:{level}:{direction or '-'}")


def function_item_id(code: str, function: str, level: str, direction: str | None) -> str:
    return _uuid(f"cfitem:{code}:function:{function}:{level}:{direction or '-'}")


def item_id(code: str, stable_id: str) -> str:
    return _uuid(f"cfitem:{code}:item:{stable_id}")


def association_id(kind: str, origin: str, destination: str) -> str:
    return _uuid(f"cfassociation:{kind}:{origin}:{destination}")


def item_type_id(type_code: str) -> str:
    return _uuid(f"cfitemtype:{type_code}")


# --- helpers -----------------------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    return utc(moment).isoformat(timespec="seconds")


def _base(base_url: str) -> str:
    return base_url.rstrip("/") + CASE_PATH


def _label(code: str | None, statement: str, limit: int = 120) -> str:
    """A short human title for a link: the display number and the start of the statement."""
    text = f"{code} {statement}" if code else statement
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _translations(text: Any, master: str) -> dict[str, str]:
    if isinstance(text, dict):
        return {lang: value for lang, value in text.items() if lang != master}
    return {}


def _languages(doc: dict) -> list[str]:
    master = doc["languages"]["master"]
    return [master] + [lang for lang in doc["languages"].get("translations", []) if lang != master]


def _text_map(text: Any, master: str) -> dict[str, str]:
    return dict(text) if isinstance(text, dict) else {master: "" if text is None else str(text)}


def _standing_note(info: VersionInfo) -> str:
    """The version's standing in a sentence (CASE has no field for the successor or a future start)."""
    if info.status == UPCOMING:
        return f"Not yet in force: takes effect on {info.effective_from.isoformat()}." if info.effective_from \
            else "Not yet in force."
    if info.status == SUPERSEDED:
        when = f" from {info.superseded_from.isoformat()}" if info.superseded_from else ""
        return f"Superseded by version {info.successor_version}{when}."
    if info.status == EXPIRED:
        return f"No longer in force after {info.effective_until.isoformat()}." if info.effective_until else "Expired."
    if info.status == WITHDRAWN:
        return f"Withdrawn: {info.withdrawn_reason}" if info.withdrawn_reason else "Withdrawn."
    if info.status == DRAFT_STANDING:
        return "Draft, not approved."
    if info.successor_version and info.superseded_from:
        return f"To be superseded by version {info.successor_version} from {info.superseded_from.isoformat()}."
    return ""


# --- the package ------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, doc: dict, info: VersionInfo, base_url: str):
        self.doc = doc
        self.info = info
        self.code = info.code or doc["code"]
        self.version = info.version or doc["version"]
        self.master = doc["languages"]["master"]
        self.base = _base(base_url)
        self.changed = _timestamp(info.published_at) if info.published_at else \
            _timestamp(datetime(doc["edition"], 1, 1, tzinfo=UTC))
        self.document_id = document_id(self.code, self.version)
        self.title = text_in(doc["title"], self.master, self.master)
        self.items: list[dict] = []
        self.associations: list[dict] = []
        self.labels: dict[str, str] = {self.document_id: self.title}
        self.types_used: list[str] = []

    def text(self, value: Any) -> str:
        return text_in(value, self.master, self.master)

    def uri(self, collection: str, identifier: str) -> str:
        return f"{self.base}/{collection}/{identifier}"

    # items and associations

    def add_item(self, identifier: str, type_code: str, statement: str, *, number: str | None = None,
                 notes: str | None = None, level: str | None = None, extension: dict) -> None:
        if type_code not in self.types_used:
            self.types_used.append(type_code)
        title = ITEM_TYPES[type_code][0]
        item: dict[str, Any] = {
            "identifier": identifier,
            "uri": self.uri("CFItems", identifier),
            "CFItemType": title,
            "CFItemTypeURI": {"title": title, "identifier": item_type_id(type_code),
                              "uri": self.uri("CFItemTypes", item_type_id(type_code))},
            "fullStatement": statement,
        }
        if number:
            item["humanCodingScheme"] = number
        if notes:
            item["notes"] = notes
        item["language"] = self.master
        if level:
            item["educationLevel"] = [level]
        item["lastChangeDateTime"] = self.changed
        item["extensions"] = {"registry": extension}
        self.items.append(item)
        self.labels[identifier] = _label(number, statement)

    def link(self, identifier: str) -> dict[str, str]:
        collection = "CFDocuments" if identifier == self.document_id else "CFItems"
        return {"title": self.labels[identifier], "identifier": identifier, "uri": self.uri(collection, identifier)}

    def associate(self, kind: str, origin: str, destination: str, sequence: int | None = None,
                  notes: str | None = None) -> None:
        identifier = association_id(kind, origin, destination)
        association: dict[str, Any] = {
            "identifier": identifier,
            "associationType": kind,
            "uri": self.uri("CFAssociations", identifier),
            "originNodeURI": self.link(origin),
            "destinationNodeURI": self.link(destination),
        }
        if sequence is not None:
            association["sequenceNumber"] = sequence
        if notes:
            association["notes"] = notes
        association["lastChangeDateTime"] = self.changed
        self.associations.append(association)

    def item_extension(self, stable_id: str, kind: str, text: Any, **more: Any) -> dict:
        extension: dict[str, Any] = {"id": stable_id, "kind": kind}
        if kind in ("work-content", "requirement", "knowledge", "behaviour"):
            # the item's page (HTML, or JSON by content negotiation); ``uri`` stays the CASE address
            extension["permalink"] = self.info.item_url(stable_id)
        extension.update({k: v for k, v in more.items() if v not in (None, [], {})})
        translations = _translations(text, self.master)
        if translations:
            extension["translations"] = translations
        return extension

    # the tree

    def build(self) -> None:
        doc, code = self.doc, self.code
        functions = {f["id"]: f for f in doc["functions"]}
        directions = {d["id"]: d for d in doc.get("directions", [])}
        requirement_type = REQUIREMENT_TYPES[doc["work_requirements"]["column_label"]]
        level_order = {level["id"]: i for i, level in enumerate(doc["levels"])}
        sections_by_direction: dict[str | None, list[tuple[int, str, str]]] = {}
        position = 0
        for position, section in enumerate(doc["work_requirements"]["sections"], start=1):
            level, direction = section["level"], section.get("direction")
            section_id = level_item_id(code, level, direction)
            statement = level_name(doc, level, self.master)
            names = level_name_map(doc, level)
            if direction:
                direction_name = directions.get(direction, {}).get("name", direction)
                statement = f"{statement} — {self.text(direction_name)}"
                names = {lang: f"{name} — {text_in(direction_name, lang, self.master)}" for lang, name in names.items()}
            self.add_item(section_id, "level", statement, number=f"{level}/{direction}" if direction else level,
                          notes=self.text(section["preface"]) if section.get("preface") else None, level=level,
                          extension=self.item_extension(level, "level", None, level=level, direction=direction,
                                                        translations={k: v for k, v in names.items()
                                                                      if k != self.master and v}))
            self.associate("isChildOf", section_id, self.document_id, position)
            sections_by_direction.setdefault(direction, []).append((level_order.get(level, 0), level, section_id))
            seen_functions: set[str] = set()
            for f_position, block in enumerate(section["functions"], start=1):
                function = functions.get(block["function"], {"id": block["function"], "name": block["function"]})
                function_id = function_item_id(code, block["function"], level, direction)
                if function_id in seen_functions:  # the same function twice in one table: keep both
                    function_id = _uuid(f"cfitem:{code}:function:{block['function']}:{level}:{direction or '-'}"
                                        f":{f_position}")
                seen_functions.add(function_id)
                self.add_item(function_id, "function", self.text(function["name"]), number=block.get("number"),
                              notes=self.text(function["description"]) if function.get("description") else None,
                              level=level,
                              extension=self.item_extension(block["function"], "function", function["name"],
                                                            level=level, direction=direction))
                self.associate("isChildOf", function_id, section_id, f_position)
                for w_position, content in enumerate(block["work_contents"], start=1):
                    content_id = item_id(code, content["id"])
                    self.add_item(content_id, "work-content", self.text(content["name"]), number=content.get("number"),
                                  level=level,
                                  extension=self.item_extension(content["id"], "work-content", content["name"],
                                                                level=level, direction=direction,
                                                                workTypes=content.get("work_types", [])))
                    self.associate("isChildOf", content_id, function_id, w_position)
                    children = [(requirement_type, "requirement", item) for item in content["requirements"]]
                    children += [("knowledge", "knowledge", item) for item in content["knowledge"]]
                    children += [("behaviour", "behaviour", item) for item in content.get("behaviours", [])]
                    for i_position, (type_code, kind, item) in enumerate(children, start=1):
                        child_id = item_id(code, item["id"])
                        self.add_item(child_id, type_code, self.text(item["text"]), number=item.get("number"),
                                      level=level,
                                      extension=self.item_extension(item["id"], kind, item["text"], level=level,
                                                                    direction=direction))
                        self.associate("isChildOf", child_id, content_id, i_position)
        for b_position, item in enumerate(doc.get("behaviours", []), start=position + 1):
            child_id = item_id(code, item["id"])
            self.add_item(child_id, "behaviour", self.text(item["text"]), number=item.get("number"),
                          extension=self.item_extension(item["id"], "behaviour", item["text"]))
            self.associate("isChildOf", child_id, self.document_id, b_position)
        for direction, sections in sections_by_direction.items():
            ordered = sorted(sections)
            for (_, lower, lower_id), (_, higher, higher_id) in zip(ordered, ordered[1:]):
                self.associate("precedes", lower_id, higher_id,
                               notes=f"Level progression: {lower} comes before {higher}"
                                     + (f" (direction {direction})" if direction else "")
                                     + "; a higher level includes the requirements of the lower levels.")

    # the document and the definitions

    def document(self) -> dict:
        doc, info = self.doc, self.info
        provenance = doc["provenance"]
        changed = self.changed
        if info.withdrawn_at and (not info.published_at or utc(info.withdrawn_at) > utc(info.published_at)):
            changed = _timestamp(info.withdrawn_at)
        document: dict[str, Any] = {
            "identifier": self.document_id,
            "uri": self.uri("CFDocuments", self.document_id),
            "caseVersion": "1.1",
            "creator": "; ".join(self.text(issuer) for issuer in provenance["issuers"]),
            "title": self.title,
            "lastChangeDateTime": changed,
            "officialSourceURL": f"{self.base[: -len(CASE_PATH)]}/standards/{self.code}/{self.version}.html",
            "publisher": PUBLISHER,
            "description": self.text(doc["overview"]["definition"]),
            "subject": [doc["sector"]],
            "language": self.master,
            "version": self.version,
            "adoptionStatus": ADOPTION_STATUS.get(info.status, "Draft"),
        }
        if info.effective_from:
            document["statusStartDate"] = info.effective_from.isoformat()
        if info.effective_until:
            document["statusEndDate"] = info.effective_until.isoformat()
        notes = [_standing_note(info)]
        if provenance.get("note"):
            notes.append(self.text(provenance["note"]))
        notes = [note for note in notes if note]
        if notes:
            document["notes"] = "\n\n".join(notes)
        document["extensions"] = {"registry": self.document_extension()}
        return document

    def document_extension(self) -> dict:
        doc, info, master = self.doc, self.info, self.master
        extension: dict[str, Any] = {
            "code": self.code,
            "version": self.version,
            "status": info.status,
            "sha256": info.sha256,
            "edition": doc["edition"],
            "standardType": doc["standard_type"],
            "documentStatus": doc["provenance"]["document_status"],
            "languages": _languages(doc),
            "title": _text_map(doc["title"], master),
            "occupation": _text_map(doc["occupation"], master),
            "levelScheme": doc["level_scheme"],
            "levels": [{"id": level["id"], "name": level_name_map(doc, level["id"])} for level in doc["levels"]],
            "directions": [{"id": d["id"], "name": _text_map(d["name"], master)} for d in doc.get("directions", [])],
            "columnLabel": doc["work_requirements"]["column_label"],
            "source": f"{self.base[: -len(CASE_PATH)]}/standards/{self.code}/{self.version}.yaml",
        }
        if info.successor_version:
            extension["successorVersion"] = info.successor_version
        if info.withdrawn_reason:
            extension["withdrawnReason"] = info.withdrawn_reason
        return extension

    def definitions(self) -> dict:
        order = list(ITEM_TYPES)
        return {"CFItemTypes": [item_type(code, self.base) for code in sorted(self.types_used, key=order.index)]}


def item_type(type_code: str, base: str) -> dict:
    """One CFItemType (``base`` is ``{base_url}/ims/case/v1p1``)."""
    title, hierarchy, description = ITEM_TYPES[type_code]
    identifier = item_type_id(type_code)
    return {"identifier": identifier, "uri": f"{base}/CFItemTypes/{identifier}", "title": title,
            "description": description, "hierarchyCode": hierarchy, "typeCode": type_code,
            "lastChangeDateTime": _timestamp(ITEM_TYPES_CHANGED)}


def package(doc: dict, *, version_info: VersionInfo, base_url: str) -> dict:
    """The CFPackage of a standard version, as a dict (``CFPackageDType``)."""
    builder = _Builder(doc, version_info, base_url)
    builder.build()
    return {"CFDocument": builder.document(), "CFItems": builder.items, "CFAssociations": builder.associations,
            "CFDefinitions": builder.definitions()}


def cf_document(doc: dict, *, version_info: VersionInfo, base_url: str) -> dict:
    """Only the CFDocument (``CFPckgDocumentDType``), without building the items."""
    return _Builder(doc, version_info, base_url).document()


def package_json(doc: dict, *, version_info: VersionInfo, base_url: str) -> bytes:
    """The ``.case.json`` export: the package as UTF-8 JSON."""
    return (json.dumps(package(doc, version_info=version_info, base_url=base_url), ensure_ascii=False, indent=2)
            + "\n").encode("utf-8")


# --- the objects of the read endpoints (outside a package) ---------------------------------------------


def _document_link(document: dict, collection: str = "CFDocuments") -> dict:
    base = document["uri"].rsplit("/CFDocuments/", 1)[0]
    return {"title": document["title"], "identifier": document["identifier"],
            "uri": f"{base}/{collection}/{document['identifier']}"}


def document_standalone(document: dict) -> dict:
    """``CFDocumentDType``: the package's CFDocument with the link to its package."""
    return {**document, "CFPackageURI": _document_link(document, "CFPackages")}


def item_standalone(pkg: dict, identifier: str) -> dict | None:
    """``CFItemDType``: one item of the package with the link to its document, or None."""
    for item in pkg["CFItems"]:
        if item["identifier"] == identifier:
            return {**item, "CFDocumentURI": _document_link(pkg["CFDocument"])}
    return None


def association_standalone(pkg: dict, identifier: str) -> dict | None:
    """``CFAssociationDType``: one association of the package with the link to its document, or None."""
    for association in pkg["CFAssociations"]:
        if association["identifier"] == identifier:
            return {**association, "CFDocumentURI": _document_link(pkg["CFDocument"])}
    return None


def item_associations(pkg: dict, identifier: str) -> dict | None:
    """``CFAssociationSetDType``: an item and every association that starts or ends at it."""
    item = item_standalone(pkg, identifier)
    if item is None:
        return None
    related = [a for a in pkg["CFAssociations"]
               if identifier in (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])]
    return {"CFItem": item, "CFAssociations": related}


def item_type_set(identifier: str, base_url: str) -> dict | None:
    """``CFItemTypeSetDType``: the item type, then the types below it in the hierarchy."""
    base = _base(base_url)
    found = next((code for code in ITEM_TYPES if item_type_id(code) == identifier), None)
    if found is None:
        return None
    hierarchy = ITEM_TYPES[found][1]
    below = [code for code in ITEM_TYPES if ITEM_TYPES[code][1].startswith(hierarchy + ".")]
    return {"CFItemTypes": [item_type(found, base)] + [item_type(code, base) for code in below]}


def identifiers(doc: dict, *, code: str | None = None, version: str | None = None) -> Iterator[tuple[str, str]]:
    """Every identifier of a version's package with its class: ``CFDocument``, ``CFItem`` or ``CFAssociation``."""
    pkg = package(doc, version_info=VersionInfo(code=code or doc["code"], version=version or doc["version"]),
                  base_url="")
    yield pkg["CFDocument"]["identifier"], "CFDocument"
    for item in pkg["CFItems"]:
        yield item["identifier"], "CFItem"
    for association in pkg["CFAssociations"]:
        yield association["identifier"], "CFAssociation"


def all_item_type_ids() -> Iterable[str]:
    return (item_type_id(code) for code in ITEM_TYPES)
