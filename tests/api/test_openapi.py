"""The OpenAPI document: a valid OpenAPI 3.1 description of exactly the routes the app has, whose
schemas describe what the routes really answer."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from registry import create_app
from registry.api.openapi import document
from registry.db import write_session
from registry.services import accounts
from registry.services.catalog import load_corpus

from ..conftest import STANDARDS, close_app, keep

PREFIX = "/api/v1"
METHODS = ("get", "put", "post", "delete", "patch")
CODE = "4-04-05-05"
SCHEMA_REF = "#/components/schemas/"


# --- helpers ---------------------------------------------------------------------------------------


def _template(rule: str) -> str:
    """Flask's /drafts/<int:draft_id> -> OpenAPI's /drafts/{draft_id}, relative to the server."""
    assert rule.startswith(PREFIX)
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule[len(PREFIX):])


def _app_routes(app) -> dict[tuple[str, str], str]:
    """(method, path template) -> endpoint, for every API rule (HEAD and OPTIONS left out)."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes[(method.lower(), _template(rule.rule))] = rule.endpoint
    return routes


def _operations(doc: dict) -> dict[tuple[str, str], dict]:
    return {(method, path): op for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS}


def _pointer(doc: dict, ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def _resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        node = _pointer(doc, node["$ref"])
    return node


def _refs(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _validator(doc: dict, schema: dict) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator for a schema of the document, its components as $defs."""
    text = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                       "$defs": doc["components"]["schemas"], **schema})
    return Draft202012Validator(json.loads(text.replace(f'"{SCHEMA_REF}', '"#/$defs/')),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def check(doc: dict, response, method: str, path: str) -> dict:
    """Assert that ``response`` is one the document describes for ``method path``; return its spec."""
    op = doc["paths"][path][method]
    status = str(response.status_code)
    assert status in op["responses"], (
        f"{method.upper()} {path} answered {status}, which the document does not list: "
        f"{response.get_data(as_text=True)[:300]}")
    spec = _resolve(doc, op["responses"][status])
    for name, header in spec.get("headers", {}).items():
        if _resolve(doc, header).get("required"):
            assert name in response.headers, f"{method.upper()} {path} {status} lacks the {name} header"
    content = spec.get("content")
    if not content:
        return spec
    assert response.mimetype in content, f"{method.upper()} {path} {status} answered {response.mimetype}"
    if response.mimetype == "application/json":
        errors = sorted(_validator(doc, content["application/json"]["schema"]).iter_errors(response.get_json()),
                        key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return spec


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doc() -> dict:
    return document()


def _make_app(data_dir: Path, corpus: list[str]):
    app = create_app({"DATA_DIR": str(data_dir), "RENDER_WARM": 0, "SEARCH_CHECK_ON_START": 0,  # migrates
                      "WATCH_INTERVAL": 0})
    engine = app.extensions["registry.engine"]
    outcomes = load_corpus(engine, corpus)
    assert all(o.status == "published" for o in outcomes), [(o.file, o.message) for o in outcomes]
    with write_session(engine) as session:
        accounts.add_body(session, "mohrss", "Test body")
        member, _ = accounts.create_token(session, body_id="mohrss")
        registrar, _ = accounts.create_token(session, registrar="reviewer")
    keep(engine, "mohrss", [CODE])
    app.config["TEST_TOKENS"] = {"member": member, "registrar": registrar}
    return app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An app on the whole corpus; only read in this module."""
    app = _make_app(tmp_path_factory.mktemp("openapi"), [str(STANDARDS)])
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture
def workflow_app(tmp_path):
    """An app of its own for the tests that change the catalog."""
    app = _make_app(tmp_path, [str(STANDARDS / CODE)])
    yield app
    close_app(app)


def _auth(app, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.config['TEST_TOKENS'][who]}"}


# --- the document ------------------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(doc):
    validate_spec(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "Occupational Standards Registry API"
    assert doc["info"]["version"]
    assert doc["servers"] == [{"url": "/api/v1"}]


def test_document_is_json_and_fresh(doc):
    assert json.loads(json.dumps(doc)) == doc
    other = document()
    other["paths"].clear()
    assert document() == doc  # every call builds a new document: nothing shared to mutate


def test_document_is_served(client, doc):
    response = client.get("/api/v1/openapi.json")
    check(doc, response, "get", "/openapi.json")
    assert response.get_json() == doc


def test_every_route_is_documented(app, doc):
    missing = sorted(set(_app_routes(app)) - set(_operations(doc)))
    assert not missing, f"routes missing from the document: {missing}"


def test_no_stale_paths(app, doc):
    stale = sorted(set(_operations(doc)) - set(_app_routes(app)))
    assert not stale, f"documented operations the app does not have: {stale}"


def test_operation_ids_are_the_view_names(app, doc):
    routes = _app_routes(app)
    for key, op in _operations(doc).items():
        assert f"api.{op['operationId']}" == routes[key], key


def test_every_ref_resolves(doc):
    refs = set(_refs(doc))
    assert refs
    for ref in refs:
        _pointer(doc, ref)


def test_every_component_is_used(doc):
    used = set(_refs(doc))
    for kind, components in doc["components"].items():
        if kind == "securitySchemes":
            continue
        for name in components:
            assert f"#/components/{kind}/{name}" in used, f"unused component {kind}/{name}"


def test_component_schemas_are_json_schema_2020_12(doc):
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        _validator(doc, {"$ref": SCHEMA_REF + name})  # the refs inside resolve as $defs


def test_path_parameters_are_declared(doc):
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            if method not in METHODS:
                continue
            params = [_resolve(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]
            assert names == {p["name"] for p in params if p["in"] == "path"}, (method, path)


def test_every_operation_documents_its_errors_as_error_objects(doc):
    for (method, path), op in _operations(doc).items():
        assert "500" in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                schema = _resolve(doc, response)["content"]["application/json"]["schema"]
                assert schema == {"$ref": SCHEMA_REF + "Error"}, (method, path, status)


def test_security(doc):
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "security" not in doc  # every operation says for itself
    for (method, path), op in _operations(doc).items():
        secured = path.startswith("/drafts") or path.endswith(("/withdraw", "/keeper", "/next"))
        optional = path == "/audit"  # public, and the whole trail with a registrar's token
        expected = [{"bearerAuth": []}] if secured else [{}, {"bearerAuth": []}] if optional else []
        assert op["security"] == expected, (method, path)
        assert ("401" in op["responses"]) == (secured or optional), (method, path)


def test_documented_statuses_of_key_routes(doc):
    ops = _operations(doc)

    def statuses(method, path):
        return set(ops[(method, path)]["responses"])

    assert {"201", "401", "403", "413", "415", "422"} <= statuses("post", "/drafts")
    assert {"200", "409", "412", "428"} <= statuses("put", "/drafts/{draft_id}")
    assert {"201", "409"} <= statuses("post", "/drafts/{draft_id}/publish")
    assert {"200", "304"} <= statuses("get", "/standards/{code}/versions/{version}/source")
    assert {"302"} <= statuses("get", "/standards/{code}/latest")
    put = ops[("put", "/drafts/{draft_id}")]
    assert {"name": "If-Match", "in": "header", "required": True}.items() <= put["parameters"][0].items()
    assert set(_resolve(doc, put["requestBody"])["content"]) >= {"application/yaml"}
    created = ops[("post", "/drafts")]["responses"]["201"]
    assert set(created["headers"]) == {"ETag", "Location"}
    list_params = {p["name"] for p in ops[("get", "/standards")]["parameters"]}
    assert list_params == {"sector", "type", "status", "body", "page", "per_page"}
    audit_params = {p["name"] for p in ops[("get", "/audit")]["parameters"]}
    assert audit_params == {"code", "draft_id", "after", "limit"}


# --- live: what the routes answer is what the document says -----------------------------------------------


@pytest.mark.parametrize(("url", "path"), [
    ("/api/v1/standards", "/standards"),
    ("/api/v1/standards?sector=artificial-intelligence&status=published&page=1&per_page=3", "/standards"),
    ("/api/v1/standards?page=0", "/standards"),
    (f"/api/v1/standards/{CODE}", "/standards/{code}"),
    (f"/api/v1/standards/{CODE}?as_of=2022-06-01", "/standards/{code}"),
    (f"/api/v1/standards/{CODE}?as_of=yesterday", "/standards/{code}"),
    (f"/api/v1/standards/{CODE}/versions/1.0", "/standards/{code}/versions/{version}"),
    (f"/api/v1/standards/{CODE}/diff?from=1.0&to=2.0", "/standards/{code}/diff"),
    (f"/api/v1/standards/{CODE}/diff?from=1.0", "/standards/{code}/diff"),
    ("/api/v1/audit", "/audit"),
    ("/api/v1/audit?code=4-04-05-05&after=1&limit=5", "/audit"),
    ("/api/v1/audit?limit=-1", "/audit"),
    ("/api/v1/standards/9-99-99-99", "/standards/{code}"),
    (f"/api/v1/standards/{CODE}/versions/9.9", "/standards/{code}/versions/{version}"),
    ("/api/v1/standards/9-99-99-99/latest", "/standards/{code}/latest"),
])
def test_public_get_matches_the_document(client, doc, url, path):
    response = client.get(url)
    check(doc, response, "get", path)
    assert response.mimetype == "application/json"


def test_live_bodies_are_not_vacuous(client, doc):
    listing = client.get("/api/v1/standards").get_json()
    assert listing["total"] >= 15 and listing["items"][0]["latest"] and listing["items"][0]["in_force"]
    detail = client.get(f"/api/v1/standards/{CODE}?as_of=2022-06-01").get_json()
    assert [v["version"] for v in detail["versions"]] == ["1.0", "2.0"]
    assert (detail["as_of"], detail["in_force"]["version"]) == ("2022-06-01", "1.0")
    diff = client.get(f"/api/v1/standards/{CODE}/diff?from=1.0&to=2.0").get_json()
    assert diff["diff"]["items"] and diff["change_class"] == diff["diff"]["change_class"]
    assert client.get("/api/v1/audit").get_json()["items"]
    missing = client.get("/api/v1/standards/9-99-99-99")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_validate_invalid_yaml_matches_the_document(client, doc):
    response = client.post("/api/v1/validate", data=b"code: [unclosed\n", content_type="application/yaml")
    check(doc, response, "post", "/validate")
    body = response.get_json()
    assert body["valid"] is False and body["errors"] and body["errors"][0]["line"] is not None


def test_validate_valid_and_schema_invalid_yaml(client, doc):
    source = (STANDARDS / CODE / "2.0.yaml").read_bytes()
    ok = client.post("/api/v1/validate", data=source, content_type="application/yaml")
    check(doc, ok, "post", "/validate")
    assert ok.get_json() == {"valid": True, "errors": []}
    bad = client.post("/api/v1/validate", data=b"schema_version: '1.0'\nsurprise: 1\n",
                      content_type="text/yaml")
    check(doc, bad, "post", "/validate")
    assert {e["rule"] for e in bad.get_json()["errors"]} >= {"schema.additionalProperties"}


def test_validate_wrong_media_type(client, doc):
    response = client.post("/api/v1/validate", json={"code": "x"})
    check(doc, response, "post", "/validate")
    assert response.status_code == 415


def test_version_caching(client, doc):
    path = "/standards/{code}/versions/{version}"
    first = client.get(f"/api/v1/standards/{CODE}/versions/2.0")
    check(doc, first, "get", path)
    assert first.headers["ETag"].strip('"').startswith(first.get_json()["sha256"] + "-")  # and the standing
    again = client.get(f"/api/v1/standards/{CODE}/versions/2.0", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    check(doc, again, "get", path)


def test_source_and_latest(client, doc):
    source = client.get(f"/api/v1/standards/{CODE}/versions/1.0/source")
    check(doc, source, "get", "/standards/{code}/versions/{version}/source")
    assert source.data == (STANDARDS / CODE / "1.0.yaml").read_bytes()
    cached = client.get(f"/api/v1/standards/{CODE}/versions/1.0/source",
                        headers={"If-None-Match": source.headers["ETag"]})
    assert cached.status_code == 304
    check(doc, cached, "get", "/standards/{code}/versions/{version}/source")
    latest = client.get(f"/api/v1/standards/{CODE}/latest")
    assert latest.status_code == 302
    check(doc, latest, "get", "/standards/{code}/latest")
    assert latest.headers["Location"].endswith(f"/standards/{CODE}/versions/2.0")


def test_secured_routes_answer_401_without_a_token(app, client, doc):
    seen = 0
    for (method, path), op in _operations(doc).items():
        if not op["security"] or {} in op["security"]:  # public, or a token is optional
            continue
        url = PREFIX + path.format(draft_id=1, code=CODE, version="1.0")
        response = client.open(url, method=method.upper())
        assert response.status_code == 401, (method, path)
        check(doc, response, method, path)
        seen += 1
    assert seen == 15  # the 12 draft operations, withdraw, keeper and next


def test_the_audit_trail_answers_a_bad_token_with_401(client, doc):
    response = client.get(f"{PREFIX}/audit", headers={"Authorization": "Bearer osr_0000_nope"})
    assert response.status_code == 401
    check(doc, response, "get", "/audit")


def test_draft_workflow_matches_the_document(workflow_app, doc):
    client = workflow_app.test_client()
    member, registrar = _auth(workflow_app, "member"), _auth(workflow_app, "registrar")
    source = (STANDARDS / CODE / "2.0.yaml").read_bytes().replace(b'version: "2.0"', b'version: "2.1"', 1)
    assert b'version: "2.1"' in source

    def call(method: str, path: str, headers: dict, expect: int, **kwargs):
        url = PREFIX + path.format(draft_id=draft_id, code=CODE, version="2.1")
        response = client.open(url, method=method.upper(), headers=headers, **kwargs)
        assert response.status_code == expect, (method, path, response.get_data(as_text=True)[:500])
        check(doc, response, method, path)
        return response

    draft_id = 0
    yaml = {"data": source, "content_type": "application/yaml"}
    call("post", "/drafts", member, 415, data=source, content_type="application/json")
    call("post", "/drafts", member, 422, data=b"code: 1\n", content_type="application/yaml")
    call("post", "/drafts", registrar, 403, **yaml)
    created = call("post", "/drafts", member, 201, **yaml)
    draft_id = created.get_json()["id"]
    assert created.headers["Location"] == f"{PREFIX}/drafts/{draft_id}"
    etag = created.headers["ETag"]

    call("get", "/drafts", member, 200, query_string={"status": "draft"})
    call("get", "/drafts/{draft_id}", member, 200)
    call("get", "/drafts/{draft_id}/source", member, 200)
    call("get", "/drafts/{draft_id}/diff", member, 200)
    call("put", "/drafts/{draft_id}", member, 428, **yaml)
    call("put", "/drafts/{draft_id}", {**member, "If-Match": f'"{draft_id}.99"'}, 412, **yaml)
    other = source.replace(f'code: "{CODE}"'.encode(), b'code: "4-04-05-06"', 1)
    assert other != source
    call("put", "/drafts/{draft_id}", {**member, "If-Match": etag}, 409, data=other,
         content_type="application/yaml")
    updated = call("put", "/drafts/{draft_id}", {**member, "If-Match": etag}, 200, **yaml)
    assert updated.headers["ETag"] != etag

    call("post", "/drafts/{draft_id}/approve", registrar, 409)
    call("post", "/drafts/{draft_id}/submit", registrar, 403)
    call("post", "/drafts/{draft_id}/submit", member, 200)
    call("post", "/drafts/{draft_id}/comments", member, 400, json={"path": "$.title"})
    call("post", "/drafts/{draft_id}/comments", member, 201, json={"body": "see the title", "path": "$.title"})
    call("post", "/drafts/{draft_id}/request-changes", member, 403)
    call("post", "/drafts/{draft_id}/request-changes", registrar, 200, json={"comment": "please fix"})
    comments = call("get", "/drafts/{draft_id}/comments", member, 200).get_json()["items"]
    assert [c["body"] for c in comments] == ["see the title", "please fix"]
    call("post", "/drafts/{draft_id}/submit", member, 200)
    call("post", "/drafts/{draft_id}/publish", registrar, 409)  # submitted, not approved
    call("post", "/drafts/{draft_id}/approve", registrar, 200)
    call("post", "/drafts/{draft_id}/publish", member, 403)
    published = call("post", "/drafts/{draft_id}/publish", registrar, 201)
    assert published.headers["Location"] == f"{PREFIX}/standards/{CODE}/versions/2.1"
    call("get", "/drafts/{draft_id}", registrar, 200)

    withdraw = "/standards/{code}/versions/{version}/withdraw"
    call("post", withdraw, member, 403, json={"reason": "wrong"})
    call("post", withdraw, registrar, 400, json={})
    call("post", withdraw, registrar, 415, data="reason", content_type="text/plain")
    call("post", withdraw, registrar, 200, json={"reason": "published by mistake"})
    call("post", withdraw, registrar, 409, json={"reason": "again"})
    events = client.get(f"{PREFIX}/audit", query_string={"draft_id": draft_id})
    check(doc, events, "get", "/audit")
    assert {e["action"] for e in events.get_json()["items"]} >= {"draft-create", "submit", "publish-draft"}


def test_a_new_standard_has_no_base_in_its_draft_diff(workflow_app, doc):
    client = workflow_app.test_client()
    source = (STANDARDS / "2-02-38-01").glob("*.yaml")
    created = client.post(f"{PREFIX}/drafts", data=sorted(source)[0].read_bytes(), content_type="application/yaml",
                          headers=_auth(workflow_app, "member"))
    check(doc, created, "post", "/drafts")
    diff = client.get(f"{PREFIX}/drafts/{created.get_json()['id']}/diff", headers=_auth(workflow_app, "member"))
    check(doc, diff, "get", "/drafts/{draft_id}/diff")
    assert diff.get_json()["base"] is None and diff.get_json()["diff"] is None


def test_the_validator_catches_an_undocumented_field(doc):
    schema = {"$ref": SCHEMA_REF + "VersionSummary"}
    standing = {"standing": "in-force", "current": True, "in_force_from": None, "start_basis": "not-stated",
                "in_force_until": None, "never_in_force": False, "superseded_by": None, "superseded_from": None,
                "withdrawn_at": None, "withdrawn_reason": None}
    sample = {"code": CODE, "version": "1.0", "status": "in-force", "sha256": "0" * 64,
              "effective_from": None, "effective_until": None, "published_at": "2024-01-01T00:00:00+00:00",
              "published_by": "x", "withdrawn_reason": None, "bump_reason": None, "standing": standing}
    _validator(doc, schema).validate(sample)
    extra = copy.deepcopy(sample)
    extra["surprise"] = 1
    assert not _validator(doc, schema).is_valid(extra)
