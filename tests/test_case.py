"""CASE 1.1 export and read endpoints, checked against 1EdTech's schemas (tests/data/case/README.md)."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft201909Validator, Draft202012Validator, FormatChecker

from registry.exports import VersionInfo, case
from registry.lifecycle import EXPIRED, IN_FORCE, SUPERSEDED, UPCOMING, WITHDRAWN, Standing
from registry.loader import load_bytes

ROOT = Path(__file__).resolve().parent.parent
STANDARDS = ROOT / "standards"
CASE_DATA = ROOT / "tests" / "data" / "case"
BASE = "https://registry.example.org"
PREFIX = "/ims/case/v1p1"

# --- validators ------------------------------------------------------------------------------------

FORMATS = FormatChecker(formats=())


@FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value  # canonical: lower case, 8-4-4-4-12


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or (bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
                                          and date.fromisoformat(value) is not None)


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    rfc3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
    return bool(re.fullmatch(rfc3339, value)) and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"\s", value)


PACKAGE_SCHEMA = json.loads((CASE_DATA / "case_v1p1_cfpackage-jsonschema1.json").read_text(encoding="utf-8"))
OPENAPI = json.loads((CASE_DATA / "case_v1p1_openapi3_components-excerpt.json").read_text(encoding="utf-8"))
PACKAGE_VALIDATOR = Draft201909Validator(PACKAGE_SCHEMA, format_checker=FORMATS)


def errors(instance: dict, validator) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)][:20]


@functools.cache
def openapi_validator(name: str):
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": OPENAPI["components"]},
                                format_checker=FORMATS)


def assert_valid(instance: dict, schema_name: str) -> None:
    problems = errors(instance, openapi_validator(schema_name))
    assert not problems, f"not a valid {schema_name}: {problems}"


def assert_valid_package(pkg: dict) -> None:
    problems = errors(pkg, PACKAGE_VALIDATOR)
    assert not problems, problems


def test_vendored_schemas_are_the_ones_documented():
    assert PACKAGE_SCHEMA["$id"] == "https://purl.imsglobal.org/spec/case/v1p1/schema/json/case_v1p1_cfpackage-jsonschema1.json"
    Draft201909Validator.check_schema(PACKAGE_SCHEMA)
    for name in OPENAPI["components"]["schemas"]:
        openapi_validator(name)  # every $ref resolves
    # the checkers bite: a malformed value fails the official schema
    bad = {"CFDocument": {"identifier": "not-a-uuid", "uri": "x", "creator": "c", "title": "t",
                          "lastChangeDateTime": "yesterday"}}
    assert len(errors(bad, PACKAGE_VALIDATOR)) == 2


# --- the package, from the files ------------------------------------------------------------------


def load(code: str, version: str) -> dict:
    return load_bytes((STANDARDS / code / f"{version}.yaml").read_bytes()).data


def info_for(doc: dict, *, status: str = IN_FORCE, effective_from: date = date(2025, 7, 1),
             effective_until: date | None = None, successor_version: str | None = None,
             superseded_from: date | None = None, withdrawn_reason: str | None = None,
             withdrawn_at: datetime | None = None) -> VersionInfo:
    standing = Standing(doc["version"], status, start=effective_from, end=effective_until,
                        successor=successor_version, superseded_from=superseded_from,
                        withdrawn_at=withdrawn_at, withdrawn_reason=withdrawn_reason)
    return VersionInfo(code=doc["code"], version=doc["version"], sha256="0" * 64, standing=standing,
                       published_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC))


def build(doc: dict, **kw) -> dict:
    return case.package(doc, version_info=info_for(doc, **kw), base_url=BASE)


def stable_id(item: dict) -> str:
    return item["extensions"]["registry"]["id"]


def corpus_files() -> list[Path]:
    return sorted(STANDARDS.rglob("*.yaml"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_corpus_package_is_valid_against_the_official_schema(path: Path):
    doc = load_bytes(path.read_bytes()).data
    pkg = build(doc)
    assert_valid_package(pkg)
    # and each part against the endpoint types of the OpenAPI binding
    assert_valid(case.document_standalone(pkg["CFDocument"]), "CFDocumentDType")
    for item in pkg["CFItems"][:50]:
        assert_valid(case.item_standalone(pkg, item["identifier"]), "CFItemDType")
    for association in pkg["CFAssociations"][:50]:
        assert_valid(case.association_standalone(pkg, association["identifier"]), "CFAssociationDType")
    for item_type in pkg["CFDefinitions"]["CFItemTypes"]:
        assert_valid(case.item_type_set(item_type["identifier"], BASE), "CFItemTypeSetDType")


def test_package_fields_follow_the_document():
    doc = load("4-04-05-05", "2.0")
    pkg = build(doc, successor_version=None)
    document = pkg["CFDocument"]
    assert document["caseVersion"] == "1.1"
    assert document["title"] == doc["title"]["zh"]
    assert document["version"] == "2.0" and document["language"] == "zh"
    assert document["creator"].startswith("中华人民共和国人力资源和社会保障部")
    assert document["adoptionStatus"] == "Adopted" and document["statusStartDate"] == "2025-07-01"
    assert document["lastChangeDateTime"] == "2025-03-04T05:06:07+00:00"
    assert document["uri"] == f"{BASE}{PREFIX}/CFDocuments/{document['identifier']}"
    assert document["officialSourceURL"] == f"{BASE}/standards/4-04-05-05/2.0.html"
    assert document["extensions"]["registry"]["levels"][0] == {"id": "L5", "name": {"zh": "五级/初级工",
                                                                                     "en": "Level 5 / Junior worker"}}

    items = {stable_id(i): i for i in pkg["CFItems"] if i["extensions"]["registry"]["kind"] not in ("level", "function")}
    counts = Counter(i["extensions"]["registry"]["kind"] for i in pkg["CFItems"])
    sections = doc["work_requirements"]["sections"]
    contents = [wc for s in sections for f in s["functions"] for wc in f["work_contents"]]
    assert counts == {"level": len(sections), "function": sum(len(s["functions"]) for s in sections),
                      "work-content": len(contents),
                      "requirement": sum(len(wc["requirements"]) for wc in contents),
                      "knowledge": sum(len(wc["knowledge"]) for wc in contents)}
    for section in sections:
        for block in section["functions"]:
            for wc in block["work_contents"]:
                assert items[wc["id"]]["humanCodingScheme"] == wc["number"]
                assert items[wc["id"]]["CFItemType"] == "Work Content"
                for requirement in wc["requirements"]:
                    item = items[requirement["id"]]
                    assert item["CFItemType"] == "Skill Requirement"  # column_label: skill (技能要求)
                    assert item["humanCodingScheme"] == requirement["number"]
                    assert item["fullStatement"] == requirement["text"]["zh"] and item["language"] == "zh"
                    assert item["educationLevel"] == [section["level"]]
                    assert item["extensions"]["registry"]["translations"]["en"] == requirement["text"]["en"]
                for knowledge in wc["knowledge"]:
                    assert items[knowledge["id"]]["CFItemType"] == "Knowledge Requirement"
    types = {t["title"] for t in pkg["CFDefinitions"]["CFItemTypes"]}
    assert types == {i["CFItemType"] for i in pkg["CFItems"]}
    # a technical skill standard labels its third column 专业能力要求
    assert "Competence Requirement" in {i["CFItemType"] for i in build(load("2-02-38-01", "1.0"))["CFItems"]}


def test_associations_form_one_ordered_tree_per_table():
    doc = load("2-02-38-01", "1.0")  # two directions, three levels
    pkg = build(doc)
    document_id = pkg["CFDocument"]["identifier"]
    items = {i["identifier"]: i for i in pkg["CFItems"]}
    parents: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[int]] = defaultdict(list)
    for association in pkg["CFAssociations"]:
        origin = association["originNodeURI"]["identifier"]
        destination = association["destinationNodeURI"]["identifier"]
        assert origin in items and (destination in items or destination == document_id)
        for end in (association["originNodeURI"], association["destinationNodeURI"]):
            kind = "CFDocuments" if end["identifier"] == document_id else "CFItems"
            assert end["uri"] == f"{BASE}{PREFIX}/{kind}/{end['identifier']}" and end["title"]
        if association["associationType"] == "isChildOf":
            parents[origin].append(destination)
            children[destination].append(association["sequenceNumber"])
    assert all(len(p) == 1 for p in parents.values()) and set(parents) == set(items)  # a tree, every item placed
    assert all(sorted(seq) == list(range(1, len(seq) + 1)) for seq in children.values())  # printed order, 1..n
    levels = [i for i in pkg["CFItems"] if i["CFItemType"] == "Level"]
    assert {parents[i["identifier"]][0] for i in levels} == {document_id}
    assert len(levels) == 6 and {i["humanCodingScheme"] for i in levels} >= {"junior/cv", "senior/nlp"}
    # precedes: junior -> intermediate -> senior, within each direction
    by_id = {i["identifier"]: i["humanCodingScheme"] for i in levels}
    precedes = sorted((by_id[a["originNodeURI"]["identifier"]], by_id[a["destinationNodeURI"]["identifier"]])
                      for a in pkg["CFAssociations"] if a["associationType"] == "precedes")
    assert precedes == [("intermediate/cv", "senior/cv"), ("intermediate/nlp", "senior/nlp"),
                        ("junior/cv", "intermediate/cv"), ("junior/nlp", "intermediate/nlp")]
    # every identifier is unique in the package
    every = [document_id] + list(items) + [a["identifier"] for a in pkg["CFAssociations"]]
    assert len(every) == len(set(every))


def test_identifiers_are_uuid5_under_the_registry_namespace_and_deterministic():
    doc = load("4-04-05-05", "1.0")
    first, second = build(doc), build(load("4-04-05-05", "1.0"))
    assert first == second
    assert case.package_json(doc, version_info=info_for(doc), base_url=BASE) == \
        case.package_json(doc, version_info=info_for(doc), base_url=BASE)
    assert first["CFDocument"]["identifier"] == str(uuid.uuid5(case.NAMESPACE, "cfdocument:4-04-05-05:1.0"))
    requirement = next(i for i in first["CFItems"] if i["CFItemType"] == "Skill Requirement")
    assert requirement["identifier"] == str(uuid.uuid5(case.NAMESPACE, f"cfitem:4-04-05-05:item:{stable_id(requirement)}"))
    for identifier, _ in case.identifiers(doc):
        assert uuid.UUID(identifier).version == 5
    assert case.NAMESPACE == uuid.uuid5(uuid.NAMESPACE_URL, "https://schemas.occupational-standards-registry.org/case/v1p1")


def test_identifiers_survive_a_new_version():
    old, new = build(load("4-04-05-05", "1.0")), build(load("4-04-05-05", "2.0"))
    assert old["CFDocument"]["identifier"] != new["CFDocument"]["identifier"]

    def by_key(pkg):
        """Items by what makes them the same item: the stable ID (levels and functions: per table)."""
        out = {}
        for item in pkg["CFItems"]:
            ext = item["extensions"]["registry"]
            table = (ext.get("level"), ext.get("direction")) if ext["kind"] in ("level", "function") else None
            out[(ext["kind"], ext["id"], table)] = item
        return out

    before, after = by_key(old), by_key(new)
    surviving = before.keys() & after.keys()
    assert len(surviving) > 150  # most items are kept; 2.0 adds a work content and some requirements
    assert all(before[key]["identifier"] == after[key]["identifier"] for key in surviving)
    added = after.keys() - before.keys()
    assert added  # the new items get new identifiers, never one of 1.0's
    assert not {after[k]["identifier"] for k in added} & {i["identifier"] for i in before.values()}
    # an item that 2.0 moved from L3 to L4 keeps its identifier; its level and parent change
    moved = ("requirement", "R-L3-design-monitor-2", None)
    assert before[moved]["identifier"] == after[moved]["identifier"]
    assert (before[moved]["educationLevel"], after[moved]["educationLevel"]) == (["L3"], ["L4"])
    # the associations between surviving items keep their identifiers too
    old_assoc = {(a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"]): a["identifier"]
                 for a in old["CFAssociations"]}
    kept = [(pair, a["identifier"]) for a in new["CFAssociations"]
            if (pair := (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])) in old_assoc]
    assert len(kept) > 150 and all(old_assoc[pair] == identifier for pair, identifier in kept)


def test_status_of_the_version_is_in_the_document():
    doc = load("4-04-05-05", "1.0")
    superseded = build(doc, status=SUPERSEDED, successor_version="2.0", effective_until=date(2025, 6, 30),
                       superseded_from=date(2025, 7, 1))
    assert superseded["CFDocument"]["adoptionStatus"] == "Deprecated"
    assert superseded["CFDocument"]["statusEndDate"] == "2025-06-30"
    assert superseded["CFDocument"]["notes"].startswith("Superseded by version 2.0 from 2025-07-01.")
    upcoming = build(doc, status=UPCOMING, effective_from=date(2027, 6, 1))
    assert upcoming["CFDocument"]["adoptionStatus"] == "Adopted"
    assert upcoming["CFDocument"]["statusStartDate"] == "2027-06-01"
    assert upcoming["CFDocument"]["notes"].startswith("Not yet in force: takes effect on 2027-06-01.")
    expired = build(doc, status=EXPIRED, effective_until=date(2025, 12, 31))
    assert expired["CFDocument"]["adoptionStatus"] == "Deprecated"
    assert expired["CFDocument"]["notes"].startswith("No longer in force after 2025-12-31.")
    withdrawn = build(doc, status=WITHDRAWN, withdrawn_reason="replaced by law",
                      withdrawn_at=datetime(2026, 1, 2, 3, 4, 5))
    assert withdrawn["CFDocument"]["notes"].startswith("Withdrawn: replaced by law")
    assert withdrawn["CFDocument"]["lastChangeDateTime"] == "2026-01-02T03:04:05+00:00"
    draft = case.package(doc, version_info=VersionInfo.of_document(doc), base_url=BASE)
    assert draft["CFDocument"]["adoptionStatus"] == "Draft"
    assert draft["CFDocument"]["lastChangeDateTime"] == f"{doc['edition']}-01-01T00:00:00+00:00"
    for pkg in (superseded, upcoming, expired, withdrawn, draft):
        assert_valid_package(pkg)


def test_nos_style_standard_with_behaviours_and_an_english_master():
    doc = load("4-04-05-05", "2.0")
    doc["languages"] = {"master": "en"}
    doc["work_requirements"]["column_label"] = "performance-criteria"
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["behaviours"] = [{"id": "B-row-1", "text": {"en": "listens to stakeholders"}}]
    doc["behaviours"] = [{"id": "B-1", "text": "works safely"}]
    pkg = build(doc)
    assert_valid_package(pkg)
    items = {stable_id(i): i for i in pkg["CFItems"]}
    assert items["B-1"]["CFItemType"] == items["B-row-1"]["CFItemType"] == "Behaviour"
    assert "educationLevel" not in items["B-1"] and "humanCodingScheme" not in items["B-1"]
    assert items[wc["requirements"][0]["id"]]["CFItemType"] == "Performance Criterion"
    assert items[wc["requirements"][0]["id"]]["fullStatement"] == wc["requirements"][0]["text"]["en"]
    top = next(a for a in pkg["CFAssociations"] if a["originNodeURI"]["identifier"] == items["B-1"]["identifier"])
    assert top["destinationNodeURI"]["identifier"] == pkg["CFDocument"]["identifier"]


# --- the read endpoints, on both catalog backends ------------------------------------------------------------


@pytest.fixture
def case_client(app, corpus):
    """The app with the CASE blueprint (registered here until registry/app.py does it)."""
    from registry.api.case import bp

    if "case" not in app.blueprints:
        app.register_blueprint(bp)
    app.config["REGISTRY_BASE_URL"] = BASE
    return app.test_client()


def get(client, uri: str, status: int = 200) -> dict:
    assert uri.startswith(BASE + PREFIX + "/"), uri
    response = client.get(uri[len(BASE):])
    assert response.status_code == status, (uri, response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json"
    return response.get_json()


def test_cfdocuments_lists_the_current_version_of_every_standard(case_client, corpus):
    body = case_client.get(f"{PREFIX}/CFDocuments").get_json()
    assert_valid(body, "CFDocumentSetDType")
    codes = sorted({p.parent.name for p in corpus})
    assert [d["extensions"]["registry"]["code"] for d in body["CFDocuments"]] == codes
    versions = {d["extensions"]["registry"]["code"]: d["version"] for d in body["CFDocuments"]}
    assert versions["4-04-05-05"] == "2.0" and versions["2-02-38-03"] == "1.1"
    assert {d["adoptionStatus"] for d in body["CFDocuments"]} == {"Adopted"}
    for document in body["CFDocuments"]:
        assert document["identifier"] == case.document_id(document["extensions"]["registry"]["code"],
                                                          document["version"])
        assert len(document["extensions"]["registry"]["sha256"]) == 64
        assert get(case_client, document["uri"]) == document
        package = get(case_client, document["CFPackageURI"]["uri"])
        assert package["CFDocument"]["identifier"] == document["identifier"]


def test_package_endpoint_serves_the_catalog_version_and_every_link_resolves(case_client, engine):
    from registry.clock import Clock
    from registry.db import read_session
    from registry.services import catalog, standing

    with read_session(engine) as session:
        version = catalog.get_version(session, "4-04-05-05", "2.0")
        today = standing.history(session, "4-04-05-05", Clock()).standing("2.0")
        expected = case.package(version.document, version_info=VersionInfo.of_version(version, today, BASE),
                                base_url=BASE)
    identifier = case.document_id("4-04-05-05", "2.0")
    pkg = get(case_client, f"{BASE}{PREFIX}/CFPackages/{identifier}")
    assert pkg == expected
    assert_valid_package(pkg)
    assert pkg["CFDocument"]["lastChangeDateTime"].startswith(str(version.published_at.year))
    document_link = case.document_standalone(pkg["CFDocument"])["CFPackageURI"]
    assert document_link["identifier"] == identifier

    resolved = {pkg["CFDocument"]["uri"]: get(case_client, pkg["CFDocument"]["uri"])["identifier"]}
    for item in pkg["CFItems"]:
        served = get(case_client, item["uri"])
        assert_valid(served, "CFItemDType")
        assert served == {**item, "CFDocumentURI": {"title": pkg["CFDocument"]["title"], "identifier": identifier,
                                                    "uri": pkg["CFDocument"]["uri"]}}
        resolved[item["uri"]] = served["identifier"]
    for item_type in pkg["CFDefinitions"]["CFItemTypes"]:
        served = get(case_client, item_type["uri"])
        assert_valid(served, "CFItemTypeSetDType")
        assert served["CFItemTypes"][0] == item_type
    assert {i["CFItemTypeURI"]["uri"] for i in pkg["CFItems"]} == {t["uri"] for t in pkg["CFDefinitions"]["CFItemTypes"]}
    for association in pkg["CFAssociations"]:
        served = get(case_client, association["uri"])
        assert_valid(served, "CFAssociationDType")
        assert served == {**association, "CFDocumentURI": served["CFDocumentURI"]}
        assert served["CFDocumentURI"]["identifier"] == identifier
        for end in (served["originNodeURI"], served["destinationNodeURI"]):
            assert resolved[end["uri"]] == end["identifier"]  # every end was fetched above, by that URI
    some_item = pkg["CFItems"][5]["identifier"]
    body = get(case_client, f"{BASE}{PREFIX}/CFItemAssociations/{some_item}")
    assert_valid(body, "CFAssociationSetDType")
    assert body["CFItem"]["identifier"] == some_item and len(body["CFAssociations"]) >= 1


def test_items_of_a_superseded_version_stay_resolvable(case_client):
    old = build(load("4-04-05-05", "1.0"))
    new_ids = {i["identifier"] for i in build(load("4-04-05-05", "2.0"))["CFItems"]}
    old_document = get(case_client, old["CFDocument"]["uri"])
    assert_valid(old_document, "CFDocumentDType")
    assert old_document["version"] == "1.0" and old_document["adoptionStatus"] == "Deprecated"
    assert old_document["notes"].startswith("Superseded by version 2.0 from 2025-07-01.")
    assert old_document["extensions"]["registry"]["successorVersion"] == "2.0"
    kept = next(i for i in old["CFItems"] if i["identifier"] in new_ids)
    gone = [i for i in old["CFItems"] if i["identifier"] not in new_ids]
    served = get(case_client, kept["uri"])
    assert served["CFDocumentURI"]["identifier"] == case.document_id("4-04-05-05", "2.0")  # the version in force
    if gone:  # an item 2.0 dropped is still served, from 1.0
        assert get(case_client, gone[0]["uri"])["CFDocumentURI"]["identifier"] == old["CFDocument"]["identifier"]


def test_unknown_and_malformed_identifiers_get_the_case_error_payload(case_client):
    for path, minor in ((f"CFItems/{uuid.uuid4()}", "unknownobject"), ("CFDocuments/not-a-uuid", "invalid_uuid"),
                        (f"CFPackages/{uuid.uuid4()}", "unknownobject"),
                        (f"CFAssociations/{uuid.uuid4()}", "unknownobject"),
                        (f"CFItemTypes/{uuid.uuid4()}", "unknownobject"), ("CFRubrics/x", "unknownobject")):
        response = case_client.get(f"{PREFIX}/{path}")
        assert response.status_code == 404 and response.mimetype == "application/json", path
        body = response.get_json()
        assert_valid(body, "imsx_StatusInfoDType")
        assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
        assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor
    # an item identifier asked for as a document is unknown as a document
    item = build(load("2-02-38-02", "1.0"))["CFItems"][0]["identifier"]
    assert case_client.get(f"{PREFIX}/CFDocuments/{item}").status_code == 404


def test_a_withdrawal_is_seen_by_the_next_request(case_client, engine):
    from registry.db import write_session
    from registry.services import catalog
    from registry.services.context import SYSTEM

    identifier = case.document_id("2-02-38-02", "1.0")
    before = get(case_client, f"{BASE}{PREFIX}/CFDocuments/{identifier}")
    assert before["adoptionStatus"] == "Adopted"
    with write_session(engine) as session:
        catalog.withdraw(session, "2-02-38-02", "1.0", SYSTEM, "withdrawn for the test")
    after = get(case_client, f"{BASE}{PREFIX}/CFDocuments/{identifier}")
    assert after["adoptionStatus"] == "Deprecated" and after["notes"].startswith("Withdrawn: withdrawn for the test")
    listed = case_client.get(f"{PREFIX}/CFDocuments").get_json()["CFDocuments"]
    assert identifier not in {d["identifier"] for d in listed}
