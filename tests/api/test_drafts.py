"""Drafts through the JSON API: create, read, edit with If-Match, comments."""

from __future__ import annotations

import hashlib

import pytest

from .conftest import (
    CODE,
    assert_error,
    audit,
    create_draft,
    draft_in,
    invalid_document,
    ok,
    post_yaml,
    publish_json,
    put_yaml,
    reworded,
    statuses,
    step,
    transitions,
    url,
    versioned,
    without_requirement,
)

# --- drafts: create, read, edit -------------------------------------------------------------------


def test_create_a_draft(client, cesi):
    response = post_yaml(client, "/drafts", reworded(), cesi)
    body = ok(response, 201)
    draft_id = body["id"]
    assert (body["body"], body["code"], body["version"], body["status"], body["revision"]) == (
        "cesi", CODE, "1.2", "draft", 1)
    assert body["sha256"] == hashlib.sha256(reworded()).hexdigest()
    assert body["created_by"] == "body:cesi"
    assert response.headers["ETag"] == f'"{draft_id}.1"'
    assert response.headers["Location"].endswith(url(f"/drafts/{draft_id}"))

    fetched = client.get(response.headers["Location"], headers=cesi)
    assert ok(fetched) == body
    assert fetched.headers["ETag"] == response.headers["ETag"]
    source = client.get(url(f"/drafts/{draft_id}/source"), headers=cesi)
    assert source.status_code == 200 and source.data == reworded()
    assert [d["id"] for d in ok(client.get(url("/drafts"), headers=cesi))["items"]] == [draft_id]
    assert transitions(audit(client, draft_id=draft_id)) == [("draft-create", None, "draft")]


def test_an_invalid_draft_is_422_with_the_errors_and_is_not_stored(client, cesi):
    expected = ok(post_yaml(client, "/validate", invalid_document()))["errors"]
    error = assert_error(post_yaml(client, "/drafts", invalid_document(), cesi), 422, "invalid_standard")
    keys = ("line", "column", "path", "rule", "message")
    assert [{k: issue[k] for k in keys} for issue in error["details"]] == expected
    assert ok(client.get(url("/drafts"), headers=cesi))["items"] == []
    assert [e for e in audit(client, limit=1000) if e["action"].startswith("draft")] == []


def test_edit_a_draft_with_if_match(client, cesi):
    created = post_yaml(client, "/drafts", versioned("1.2"), cesi)
    draft_id = created.get_json()["id"]
    response = put_yaml(client, f"/drafts/{draft_id}", reworded(), cesi, if_match=created.headers["ETag"])
    body = ok(response)
    assert (body["revision"], body["status"], body["sha256"]) == (2, "draft", hashlib.sha256(reworded()).hexdigest())
    assert response.headers["ETag"] == f'"{draft_id}.2"' != created.headers["ETag"]
    assert client.get(url(f"/drafts/{draft_id}/source"), headers=cesi).data == reworded()
    assert client.get(url(f"/drafts/{draft_id}"), headers=cesi).headers["ETag"] == response.headers["ETag"]
    assert transitions(audit(client, draft_id=draft_id)) == [("draft-create", None, "draft"),
                                                               ("draft-update", "draft", "draft")]


def test_a_stale_if_match_is_412_and_changes_nothing(client, cesi):
    created = post_yaml(client, "/drafts", versioned("1.2"), cesi)
    draft_id, first_etag = created.get_json()["id"], created.headers["ETag"]
    ok(put_yaml(client, f"/drafts/{draft_id}", reworded(), cesi, if_match=first_etag))
    error = assert_error(put_yaml(client, f"/drafts/{draft_id}", versioned("1.3"), cesi, if_match=first_etag),
                         412, "precondition_failed")
    assert error["details"] == {"etag": f"{draft_id}.2"}
    assert_error(put_yaml(client, f"/drafts/{draft_id}", versioned("1.3"), cesi, if_match='"not-an-etag"'), 412)
    assert client.get(url(f"/drafts/{draft_id}/source"), headers=cesi).data == reworded()
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["revision"] == 2


def test_a_weak_if_match_never_matches(client, cesi):
    created = post_yaml(client, "/drafts", versioned("1.2"), cesi)
    draft_id, etag = created.get_json()["id"], created.headers["ETag"]
    assert_error(put_yaml(client, f"/drafts/{draft_id}", reworded(), cesi, if_match=f"W/{etag}"),
                 412, "precondition_failed")
    assert client.get(url(f"/drafts/{draft_id}/source"), headers=cesi).data == versioned("1.2")
    ok(put_yaml(client, f"/drafts/{draft_id}", reworded(), cesi, if_match=etag))  # the strong tag still works


def test_an_edit_without_if_match_is_428(client, cesi):
    draft_id = create_draft(client, cesi, versioned("1.2"))["id"]
    assert_error(put_yaml(client, f"/drafts/{draft_id}", reworded(), cesi), 428, "precondition_required")
    assert client.get(url(f"/drafts/{draft_id}/source"), headers=cesi).data == versioned("1.2")


def test_an_invalid_edit_is_422_and_keeps_the_draft(client, cesi):
    created = post_yaml(client, "/drafts", reworded(), cesi)
    draft_id = created.get_json()["id"]
    assert_error(put_yaml(client, f"/drafts/{draft_id}", invalid_document(), cesi, if_match=created.headers["ETag"]),
                 422, "invalid_standard")
    assert client.get(url(f"/drafts/{draft_id}/source"), headers=cesi).data == reworded()


# --- drafts: comments ----------------------------------------------------------------------------


def test_comments_are_added_and_listed(client, cesi, registrar):
    draft_id = create_draft(client, cesi, reworded())["id"]
    first = client.post(url(f"/drafts/{draft_id}/comments"), headers=registrar,
                        json={"body": "Please cite the API standard you mean.", "path": "$.work_requirements"})
    body = ok(first, 201)
    assert (body["draft_id"], body["author"], body["path"]) == (draft_id, "registrar:wang", "$.work_requirements")
    ok(client.post(url(f"/drafts/{draft_id}/comments"), headers=cesi, json={"body": "Done in the next revision."}),
       201)
    listed = ok(client.get(url(f"/drafts/{draft_id}/comments"), headers=cesi))["items"]
    assert [(c["author"], c["body"], c["path"]) for c in listed] == [
        ("registrar:wang", "Please cite the API standard you mean.", "$.work_requirements"),
        ("body:cesi", "Done in the next revision.", None)]
    assert [e["action"] for e in audit(client, draft_id=draft_id)].count("comment") == 2


@pytest.mark.parametrize("payload", [{}, {"body": 3}, {"body": "   "}, ["a list"]])
def test_a_comment_needs_text(client, cesi, payload):
    draft_id = create_draft(client, cesi, reworded())["id"]
    assert_error(client.post(url(f"/drafts/{draft_id}/comments"), headers=cesi, json=payload), 400, "bad_request")
    assert ok(client.get(url(f"/drafts/{draft_id}/comments"), headers=cesi))["items"] == []


@pytest.mark.parametrize("route, who", [("comments", "body"), ("request-changes", "registrar"),
                                        ("publish", "registrar"), ("withdraw", "registrar")])
def test_malformed_json_is_400(client, corpus, cesi, registrar, route, who):
    draft_id = draft_in(client, "submitted", cesi, registrar, reworded())
    path = url(f"/standards/{CODE}/versions/1.1/withdraw" if route == "withdraw" else f"/drafts/{draft_id}/{route}")
    headers = {**(cesi if who == "body" else registrar), "Content-Type": "application/json"}
    assert_error(client.post(path, data=b'{"body": "unfinished', headers=headers), 400, "bad_request")
    assert_error(client.post(path, data=b'["not", "an", "object"]', headers=headers), 400, "bad_request")
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == "submitted"
    assert statuses(client, CODE) == {"1.0": "superseded", "1.1": "in-force"}


@pytest.mark.parametrize("route, payload, field", [
    ("comments", {"body": "fine", "path": 5}, "path"),
    ("request-changes", {"comment": 5}, "comment"),
    ("request-changes", {"comment": ["a", "list"]}, "comment"),
])
def test_a_json_field_of_the_wrong_type_is_400(client, cesi, registrar, route, payload, field):
    draft_id = draft_in(client, "submitted", cesi, registrar, reworded())
    response = step(client, draft_id, route, registrar, json=payload)
    assert assert_error(response, 400, "bad_request")["details"] == {"field": field}
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == "submitted"
    assert ok(client.get(url(f"/drafts/{draft_id}/comments"), headers=cesi))["items"] == []


def test_a_bump_reason_that_is_not_a_string_is_400(client, corpus, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, without_requirement("1.2"))
    assert assert_error(publish_json(client, draft_id, registrar, {"bump_reason": 5}), 400, "bad_request")[
        "details"] == {"field": "bump_reason"}
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == "approved"


def test_a_comment_that_is_not_json_is_415(client, cesi):
    draft_id = create_draft(client, cesi, reworded())["id"]
    assert_error(client.post(url(f"/drafts/{draft_id}/comments"), data={"body": "a form"}, headers=cesi), 415)
