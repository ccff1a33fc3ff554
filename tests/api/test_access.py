"""Who may do what through the JSON API: bodies, registrars, keepers, tokens."""

from __future__ import annotations

import pytest

from ..conftest import STANDARDS
from .conftest import (
    CODE,
    YAML,
    assert_error,
    audit,
    create_draft,
    draft_in,
    ok,
    post_yaml,
    publish,
    put_yaml,
    reworded,
    statuses,
    step,
    url,
    versioned,
)

# --- who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["approve", "request-changes", "publish"])
def test_a_body_member_cannot_review_its_own_draft(client, cesi, registrar, action):
    draft_id = draft_in(client, "submitted", cesi, registrar, reworded())
    assert_error(step(client, draft_id, action, cesi), 403, "forbidden")
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == "submitted"


def test_a_body_member_cannot_publish_an_approved_draft(client, corpus, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, reworded())
    assert_error(publish(client, draft_id, cesi), 403, "forbidden")
    assert statuses(client, CODE) == {"1.0": "superseded", "1.1": "in-force"}


def test_a_body_member_cannot_withdraw(client, corpus, cesi):
    response = client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=cesi,
                           json={"reason": "we disagree"})
    assert_error(response, 403, "forbidden")
    assert statuses(client, "2-02-38-09") == {"1.0": "in-force"}


def test_a_registrar_cannot_create_or_edit_a_bodys_draft(client, cesi, registrar):
    assert_error(post_yaml(client, "/drafts", reworded(), registrar), 403, "forbidden")
    created = post_yaml(client, "/drafts", versioned("1.2"), cesi)
    draft_id = created.get_json()["id"]
    assert_error(put_yaml(client, f"/drafts/{draft_id}", reworded(), registrar, if_match=created.headers["ETag"]),
                 403, "forbidden")
    assert_error(step(client, draft_id, "submit", registrar), 403, "forbidden")
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["revision"] == 1


def test_another_bodys_draft_is_404_not_403(client, cesi, other_body):
    created = post_yaml(client, "/drafts", versioned("1.2"), cesi)
    draft_id, etag = created.get_json()["id"], created.headers["ETag"]
    attempts = [
        client.get(url(f"/drafts/{draft_id}"), headers=other_body),
        client.get(url(f"/drafts/{draft_id}/source"), headers=other_body),
        client.get(url(f"/drafts/{draft_id}/comments"), headers=other_body),
        client.post(url(f"/drafts/{draft_id}/comments"), headers=other_body, json={"body": "hello"}),
        put_yaml(client, f"/drafts/{draft_id}", reworded(), other_body, if_match=etag),
        step(client, draft_id, "submit", other_body),
    ]
    for response in attempts:
        assert_error(response, 404, "not_found")
    assert ok(client.get(url("/drafts"), headers=other_body))["items"] == []
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["revision"] == 1
    assert ok(client.get(url(f"/drafts/{draft_id}/comments"), headers=cesi))["items"] == []


def test_an_unknown_draft_is_404(client, cesi, registrar):
    assert_error(client.get(url("/drafts/999"), headers=cesi), 404, "not_found")
    assert_error(step(client, 999, "approve", registrar), 404, "not_found")
    assert_error(publish(client, 999, registrar), 404, "not_found")


def test_a_draft_id_beyond_any_integer_is_404(client, cesi):
    assert_error(client.get(url(f"/drafts/{10 ** 20}"), headers=cesi), 404, "not_found")


def test_a_corpus_standard_accepts_drafts_only_once_a_registrar_assigns_its_keeper(client, corpus, tokens,
                                                                                   registrar):
    cesi = tokens.body("cesi", "China Electronics Standardization Institute")  # keeps nothing yet
    code = "2-02-38-09"
    next_version = (STANDARDS / code / "1.0.yaml").read_bytes().replace(b'\nversion: "1.0"', b'\nversion: "1.1"', 1)
    assert ok(client.get(url(f"/standards/{code}")))["body"] is None
    error = assert_error(post_yaml(client, "/drafts", next_version, cesi), 403, "forbidden")
    assert "no keeper" in error["message"] and error["details"] == {"code": code, "keeper": None}
    assert ok(client.get(url("/drafts"), headers=cesi))["items"] == []  # nothing stored

    kept = ok(client.put(url(f"/standards/{code}/keeper"), headers=registrar, json={"body": "cesi"}))
    assert kept == {"code": code, "body": "cesi"}
    assert ok(client.get(url(f"/standards/{code}")))["body"] == "cesi"
    assert [i["code"] for i in ok(client.get(url("/standards?body=cesi")))["items"]] == [code]
    assert ok(post_yaml(client, "/drafts", next_version, cesi), 201)["version"] == "1.1"
    (event,) = [e for e in audit(client, code=code) if e["action"] == "assign"]
    assert (event["actor"], event["details"]) == ("registrar:wang", {"keeper": "cesi", "previous": None})


def test_only_registrars_assign_keepers_and_only_to_known_bodies(client, corpus, cesi, registrar):
    path = url(f"/standards/{CODE}/keeper")
    assert_error(client.put(path, headers=cesi, json={"body": "cesi"}), 403, "forbidden")
    assert_error(client.put(path, json={"body": "cesi"}), 401, "unauthorized")
    assert assert_error(client.put(path, headers=registrar, json={"body": "nobody"}), 404,
                        "not_found")["details"] == {"field": "body"}
    assert assert_error(client.put(path, headers=registrar, json={}), 400, "bad_request")["details"] == {
        "field": "body"}
    assert_error(client.put(url("/standards/9-99-99-99/keeper"), headers=registrar, json={"body": "cesi"}), 404)
    assert ok(client.get(url(f"/standards/{CODE}")))["body"] == "cesi"


def test_a_draft_of_another_bodys_standard_is_refused_naming_the_keeper(client, corpus, cesi, other_body):
    error = assert_error(post_yaml(client, "/drafts", reworded("1.3"), other_body), 403, "forbidden")
    assert "China Electronics Standardization Institute (cesi)" in error["message"]
    assert error["details"] == {"code": CODE, "keeper": "cesi"}


def test_a_transfer_moves_the_right_to_draft_and_publish(client, corpus, cesi, other_body, registrar):
    approved = draft_in(client, "approved", cesi, registrar, reworded())
    created = post_yaml(client, "/drafts", versioned("1.3"), cesi)
    editing, etag = created.get_json()["id"], created.headers["ETag"]
    ok(client.put(url(f"/standards/{CODE}/keeper"), headers=registrar, json={"body": "caict"}))
    # the former keeper's drafts can no longer change the standard...
    assert_error(publish(client, approved, registrar), 403, "forbidden")
    assert_error(put_yaml(client, f"/drafts/{editing}", reworded("1.3"), cesi, if_match=etag), 403, "forbidden")
    assert statuses(client, CODE) == {"1.0": "superseded", "1.1": "in-force"}
    # ...the new keeper's can
    ok(publish(client, draft_in(client, "approved", other_body, registrar, reworded()), registrar), 201)
    assert statuses(client, CODE) == {"1.0": "superseded", "1.1": "superseded", "1.2": "in-force"}
    assert [e["details"] for e in audit(client, code=CODE) if e["action"] == "assign"][-1] == {
        "keeper": "caict", "previous": "cesi"}


def test_a_new_standard_is_kept_by_the_body_whose_draft_published_it(client, cesi, registrar):
    source = versioned("1.0").replace(b'code: "2-02-38-03"', b'code: "2-02-38-99"', 1)
    assert b'code: "2-02-38-99"' in source
    ok(publish(client, draft_in(client, "approved", cesi, registrar, source), registrar), 201)
    assert ok(client.get(url("/standards/2-02-38-99")))["body"] == "cesi"
    (event,) = [e for e in audit(client, code="2-02-38-99") if e["action"] == "assign"]
    assert event["details"] == {"keeper": "cesi", "previous": None}


def test_a_draft_diff_compares_with_the_published_version(client, corpus, cesi):
    draft_id = create_draft(client, cesi, reworded())["id"]
    body = ok(client.get(url(f"/drafts/{draft_id}/diff"), headers=cesi))
    assert (body["base"], body["change_class"], body["summary"]) == ("1.1", "minor", "1 reworded")


def test_a_registrar_sees_every_bodys_drafts(client, cesi, other_body, registrar):
    mine = create_draft(client, cesi, reworded())["id"]
    theirs = create_draft(client, other_body, reworded("1.3"))["id"]
    assert [d["id"] for d in ok(client.get(url("/drafts"), headers=registrar))["items"]] == [mine, theirs]
    assert [d["id"] for d in ok(client.get(url("/drafts"), headers=cesi))["items"]] == [mine]
    ok(step(client, theirs, "submit", other_body))
    listed = ok(client.get(url("/drafts?status=submitted"), headers=registrar))["items"]
    assert [d["id"] for d in listed] == [theirs]


# --- authentication -------------------------------------------------------------------------------

AUTHENTICATED = [
    ("get", "/drafts"), ("post", "/drafts"), ("get", "/drafts/1"), ("get", "/drafts/1/source"),
    ("put", "/drafts/1"), ("post", "/drafts/1/submit"), ("post", "/drafts/1/approve"),
    ("post", "/drafts/1/request-changes"), ("post", "/drafts/1/publish"), ("get", "/drafts/1/comments"),
    ("post", "/drafts/1/comments"), ("get", "/drafts/1/diff"), ("post", f"/standards/{CODE}/versions/1.1/withdraw"),
]


def call(client, method: str, path: str, headers: dict):
    if method in ("post", "put") and (path == "/drafts" or method == "put"):
        return getattr(client, method)(url(path), data=reworded(), headers={**headers, "Content-Type": YAML,
                                                                            "If-Match": '"1.1"'})
    if method == "post":
        return client.post(url(path), headers=headers, json={"reason": "x", "body": "x"})
    return getattr(client, method)(url(path), headers=headers)


@pytest.mark.parametrize("method, path", AUTHENTICATED)
def test_no_token_is_401(client, method, path):
    response = call(client, method, path, {})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer osr_not-a-real-token-at-all", "Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "osr_abc",
])
def test_a_bad_token_is_401(client, tokens, header):
    tokens.body("cesi")  # a real token exists; these are not it
    assert_error(client.get(url("/drafts"), headers={"Authorization": header}), 401, "unauthorized")
    assert_error(post_yaml(client, "/drafts", reworded(), {"Authorization": header}), 401, "unauthorized")


def test_a_revoked_token_is_401(client, engine, cesi):
    from registry.db import write_session
    from registry.services.accounts import revoke_token

    assert ok(client.get(url("/drafts"), headers=cesi)) == {"items": []}
    with write_session(engine) as session:
        revoke_token(session, cesi["Authorization"].split(" ", 1)[1])
    assert_error(client.get(url("/drafts"), headers=cesi), 401, "unauthorized")
    assert_error(post_yaml(client, "/drafts", reworded(), cesi), 401, "unauthorized")


def test_the_public_reads_need_no_token(client, corpus):
    for path in ("/standards", f"/standards/{CODE}", f"/standards/{CODE}/versions/1.1",
                 f"/standards/{CODE}/versions/1.1/source", f"/standards/{CODE}/diff?from=1.0&to=1.1", "/audit"):
        assert client.get(url(path)).status_code == 200, path
    assert post_yaml(client, "/validate", reworded()).status_code == 200
