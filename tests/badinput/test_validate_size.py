"""/validate answers a bounded report however many problems a document has (it answered 17.5 MB of
JSON to 1.3 MB of YAML: every problem listed, each echoing its value)."""

from __future__ import annotations

from .conftest import check_response

MAX_REPORT = 64 * 1024


def _post(client, body: bytes):
    return client.post("/api/v1/validate", data=body, headers={"Content-Type": "application/yaml"})


def test_a_document_of_a_thousand_long_unknown_fields_gets_a_short_report(bad_client):
    body = b"".join(b"k%04d%s: 1\n" % (n, b"x" * 220) for n in range(1000))
    response = _post(bad_client, body)
    assert response.status_code == 200
    report = response.get_json()
    assert report["valid"] is False and len(report["errors"]) == 101
    assert report["errors"][-1]["rule"] == "too-many-problems"
    assert report["errors"][-1]["message"].endswith("more problem(s) not listed; fix these first")
    assert all(len(e["message"]) <= 200 and len(e["path"]) <= 200 for e in report["errors"])
    assert len(response.get_data()) <= MAX_REPORT
    check_response(response, sent=len(body), authenticated=False)


def test_a_long_value_is_not_echoed_whole(bad_client):
    body = b"schema_version: '1.0'\ncode: " + b"9" * 60 + b"\ntitle: [" + b"1, " * 30000 + b"1]\n"
    response = _post(bad_client, body)
    assert response.status_code == 200 and response.get_json()["valid"] is False
    assert len(response.get_data()) <= MAX_REPORT
