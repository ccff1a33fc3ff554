"""POST /api/v1/validate: the server's validator, storing nothing."""

from __future__ import annotations

from .conftest import CODE, SAMPLE, YAML, assert_error, audit, invalid_document, ok, post_yaml, reworded, url, versioned

# --- public: validate ---------------------------------------------------------------------------


def test_validate_a_valid_document(client):
    body = ok(post_yaml(client, "/validate", reworded()))
    assert body == {"valid": True, "errors": []}


def test_validate_reports_each_error_with_its_place(client):
    body = ok(post_yaml(client, "/validate", invalid_document()))
    assert body["valid"] is False
    assert body["errors"] == [{"line": 7, "column": 10, "path": "$.edition", "rule": "schema.type",
                               "message": "edition: expected integer, got string 'twenty'"}]


def test_validate_reports_yaml_errors(client):
    body = ok(post_yaml(client, "/validate", b"a: 1\na: 2\n"))
    assert body["valid"] is False
    assert (2, "yaml-duplicate-key") in [(e["line"], e["rule"]) for e in body["errors"]]
    assert all(set(e) == {"line", "column", "path", "rule", "message"} for e in body["errors"])


def test_validate_stores_nothing(client, corpus):
    listing, trail = ok(client.get(url("/standards?per_page=200"))), audit(client, limit=1000)
    for source in (reworded(), invalid_document(), versioned("1.1")):
        assert post_yaml(client, "/validate", source).status_code == 200
    assert ok(client.get(url("/standards?per_page=200"))) == listing
    assert audit(client, limit=1000) == trail
    assert_error(client.get(url(f"/standards/{CODE}/versions/1.2")), 404)


def test_validate_refuses_json_with_415(client):
    error = assert_error(client.post(url("/validate"), json={"code": CODE}), 415, "unsupported_media_type")
    assert YAML in error["details"]["accepted"]
    assert_error(client.post(url("/validate"), data=SAMPLE.read_bytes()), 415, "unsupported_media_type")
