"""A draft's lifecycle through the JSON API: submit, review, approve, publish; version bumps."""

from __future__ import annotations

import hashlib

import pytest

from .conftest import (
    CODE,
    SAMPLE,
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
    transitions,
    url,
    versioned,
    without_requirement,
)

# --- the lifecycle -------------------------------------------------------------------------------


def test_a_minor_revision_from_draft_to_published(client, corpus, cesi, registrar):
    draft_id = create_draft(client, cesi, reworded())["id"]
    assert ok(step(client, draft_id, "submit", cesi))["status"] == "submitted"
    assert ok(step(client, draft_id, "approve", registrar))["status"] == "approved"

    response = publish(client, draft_id, registrar)
    version = ok(response, 201)
    assert (version["code"], version["version"], version["status"]) == (CODE, "1.2", "in-force")
    assert version["published_by"] == "registrar:wang" and version["bump_reason"] is None
    assert version["sha256"] == hashlib.sha256(reworded()).hexdigest()
    assert response.headers["Location"].endswith(url(f"/standards/{CODE}/versions/1.2"))

    assert statuses(client, CODE) == {"1.0": "superseded", "1.1": "superseded", "1.2": "in-force"}
    assert ok(client.get(url(f"/standards/{CODE}")))["body"] == "cesi"
    assert client.get(url(f"/standards/{CODE}/versions/1.2/source")).data == reworded()
    assert client.get(url(f"/standards/{CODE}/latest")).headers["Location"].endswith(
        url(f"/standards/{CODE}/versions/1.2"))
    draft = ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))
    assert draft["status"] == "published" and draft["published_version_id"] is not None
    diff = ok(client.get(url(f"/standards/{CODE}/diff?from=1.1&to=1.2")))
    assert (diff["change_class"], diff["summary"]) == ("minor", "1 reworded")


def test_every_transition_is_in_the_audit_trail(client, corpus, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, reworded())
    ok(publish(client, draft_id, registrar), 201)
    events = audit(client, draft_id=draft_id)
    assert transitions(events) == [("draft-create", None, "draft"), ("submit", "draft", "submitted"),
                                   ("approve", "submitted", "approved"), ("publish-draft", "approved", "published")]
    assert [e["actor"] for e in events] == ["body:cesi", "body:cesi", "registrar:wang", "registrar:wang"]
    assert {e["code"] for e in events} == {CODE} and {e["version"] for e in events} == {"1.2"}
    by_code = [(e["action"], e["version"], e["from_state"], e["to_state"], e["actor"])
               for e in audit(client, code=CODE, limit=1000) if e["actor"] == "registrar:wang"]
    assert ("publish", "1.2", None, "published", "registrar:wang") in by_code
    assert not [e for e in by_code if e[0] == "supersede"]  # derived from the dates, never recorded


def test_changes_requested_then_edited_and_resubmitted(client, cesi, registrar):
    created = post_yaml(client, "/drafts", versioned("1.2"), cesi)
    draft_id = created.get_json()["id"]
    ok(step(client, draft_id, "submit", cesi))
    response = step(client, draft_id, "request-changes", registrar, json={"comment": "Reword R-J-gather-2."})
    assert ok(response)["status"] == "changes-requested"
    comments = ok(client.get(url(f"/drafts/{draft_id}/comments"), headers=cesi))["items"]
    assert [(c["author"], c["body"]) for c in comments] == [("registrar:wang", "Reword R-J-gather-2.")]

    edited = put_yaml(client, f"/drafts/{draft_id}", reworded(), cesi, if_match=response.headers["ETag"])
    assert ok(edited)["status"] == "draft"
    assert ok(step(client, draft_id, "submit", cesi))["status"] == "submitted"
    assert ok(step(client, draft_id, "approve", registrar))["status"] == "approved"
    assert [t for t in transitions(audit(client, draft_id=draft_id)) if t[0] != "comment"] == [
        ("draft-create", None, "draft"), ("submit", "draft", "submitted"),
        ("request-changes", "submitted", "changes-requested"), ("draft-update", "changes-requested", "draft"),
        ("submit", "draft", "submitted"), ("approve", "submitted", "approved")]


def test_a_state_change_changes_the_etag(client, cesi):
    created = post_yaml(client, "/drafts", reworded(), cesi)
    draft_id = created.get_json()["id"]
    submitted = step(client, draft_id, "submit", cesi)
    assert submitted.headers["ETag"] != created.headers["ETag"]
    assert client.get(url(f"/drafts/{draft_id}"), headers=cesi).headers["ETag"] == submitted.headers["ETag"]


def test_a_major_revision_as_2_0_needs_no_reason(client, corpus, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, without_requirement("2.0"))
    assert ok(publish(client, draft_id, registrar), 201)["version"] == "2.0"
    assert statuses(client, CODE) == {"1.0": "superseded", "1.1": "superseded", "2.0": "in-force"}


def test_a_bump_too_small_is_409_until_a_reason_is_given(client, corpus, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, without_requirement("1.2"))
    error = assert_error(publish(client, draft_id, registrar), 409, "version_bump_too_small")
    assert (error["details"]["previous"], error["details"]["required"]) == ("1.1", "2.0")
    assert error["details"]["change_class"] == "major"
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == "approved"
    assert_error(client.get(url(f"/standards/{CODE}/versions/1.2")), 404)

    reason = "R-J-gather-4 was published in error; removing it corrects the 2022 edition"
    version = ok(publish(client, draft_id, registrar, bump_reason=reason), 201)
    assert (version["version"], version["status"], version["bump_reason"]) == ("1.2", "in-force", reason)
    assert ok(client.get(url(f"/standards/{CODE}/versions/1.2")))["bump_reason"] == reason
    (event,) = [e for e in audit(client, code=CODE, limit=1000) if e["action"] == "publish" and e["version"] == "1.2"]
    assert event["details"]["bump_reason"] == reason


def test_publishing_a_published_version_with_other_bytes_is_409(client, corpus, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, reworded("1.1"))
    error = assert_error(publish(client, draft_id, registrar), 409, "version_conflict")
    assert (error["details"]["code"], error["details"]["version"]) == (CODE, "1.1")
    assert client.get(url(f"/standards/{CODE}/versions/1.1/source")).data == SAMPLE.read_bytes()
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == "approved"
    assert statuses(client, CODE) == {"1.0": "superseded", "1.1": "in-force"}


def test_publishing_the_same_bytes_as_a_published_version_is_409(client, corpus, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, SAMPLE.read_bytes())
    assert_error(publish(client, draft_id, registrar), 409)
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == "approved"
    assert ok(client.get(url(f"/standards/{CODE}/versions/1.1")))["published_by"] == "system:loader"


@pytest.mark.parametrize("state, action, actor", [
    ("draft", "approve", "registrar"),
    ("draft", "request-changes", "registrar"),
    ("draft", "publish", "registrar"),
    ("submitted", "publish", "registrar"),
    ("submitted", "submit", "body"),
    ("approved", "submit", "body"),
    ("approved", "approve", "registrar"),
])
def test_a_transition_not_allowed_from_the_state_is_409(client, cesi, registrar, state, action, actor):
    draft_id = draft_in(client, state, cesi, registrar, reworded())
    assert_error(step(client, draft_id, action, cesi if actor == "body" else registrar), 409, "invalid_transition")
    assert ok(client.get(url(f"/drafts/{draft_id}"), headers=cesi))["status"] == state


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_a_draft_under_review_cannot_be_edited(client, cesi, registrar, state):
    draft_id = draft_in(client, state, cesi, registrar, versioned("1.2"))
    etag = client.get(url(f"/drafts/{draft_id}"), headers=cesi).headers["ETag"]
    assert_error(put_yaml(client, f"/drafts/{draft_id}", reworded(), cesi, if_match=etag), 409, "invalid_transition")
    assert client.get(url(f"/drafts/{draft_id}/source"), headers=cesi).data == versioned("1.2")


def test_a_published_draft_cannot_be_published_again(client, cesi, registrar):
    draft_id = draft_in(client, "approved", cesi, registrar, reworded())
    ok(publish(client, draft_id, registrar), 201)
    assert_error(publish(client, draft_id, registrar), 409, "invalid_transition")
