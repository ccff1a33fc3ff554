"""The audit trail through the JSON API: what the public, body members and registrars see."""

from __future__ import annotations

import pytest

from .conftest import CODE, assert_error, audit, create_draft, ok, reworded, url

# --- public: audit -------------------------------------------------------------------------------


def test_audit_shows_how_the_corpus_was_published(client, corpus):
    events = audit(client, code="4-04-05-05")
    # facts only: supersession is derived from the dates, never an event
    assert sorted((e["action"], e["version"], e["from_state"], e["to_state"]) for e in events) == [
        ("publish", "1.0", None, "published"), ("publish", "2.0", None, "published")]
    assert {e["actor"] for e in events} == {"system:loader"}
    assert all(e["at"] for e in events)


def test_audit_pages_with_after_and_limit(client, corpus):
    everything = audit(client, limit=1000)
    first = audit(client, limit=3)
    assert first == everything[:3]
    assert audit(client, after=first[-1]["id"], limit=3) == everything[3:6]


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=many", "draft_id=abc", "draft_id=-2"])
def test_audit_bad_arguments_are_400(client, query):
    error = assert_error(client.get(url(f"/audit?{query}")), 400, "bad_request")
    assert error["details"] == {"field": query.split("=")[0]}


def test_audit_after_an_id_beyond_any_is_not_a_server_error(client, corpus):
    response = client.get(url("/audit"), query_string={"after": 10 ** 20})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json()["items"] == []
    else:
        assert_error(response, 400, "bad_request")


def test_audit_filters_by_draft(client, corpus, cesi):
    mine = create_draft(client, cesi, reworded())["id"]
    create_draft(client, cesi, reworded("1.3"))
    assert [(e["action"], e["draft_id"]) for e in audit(client, draft_id=mine)] == [("draft-create", mine)]


PERSON, REVIEWER, ADDRESS = "alice@cesi.example", "reg@registry.example", "203.0.113.7"


@pytest.fixture
def people_at_work(engine, corpus, cesi):
    """What the web interface records: people (e-mail accounts) signing in, failing to, drafting and
    approving. Returns the draft's id."""
    from registry.db import write_session
    from registry.models import ROLE_BODY_MEMBER, ROLE_REGISTRAR
    from registry.services import accounts, drafts
    from registry.services import audit as trail
    from registry.services.context import Actor

    alice, reviewer = Actor(PERSON, ROLE_BODY_MEMBER, "cesi"), Actor(REVIEWER, ROLE_REGISTRAR)
    with write_session(engine) as session:
        accounts.get_or_create_account(session, PERSON, ROLE_BODY_MEMBER, "cesi")
        accounts.get_or_create_account(session, REVIEWER, ROLE_REGISTRAR)
        trail.record(session, alice, "account-add", details={"account": PERSON, "role": ROLE_BODY_MEMBER})
        trail.record(session, Actor(f"login:{PERSON}", "anonymous"), "login-failed", details={"ip": ADDRESS})
        trail.record(session, alice, "login", details={"ip": ADDRESS})
    with write_session(engine) as session:
        draft_id = drafts.create_draft(session, reworded(), alice).id
    with write_session(engine) as session:
        drafts.submit(session, draft_id, alice)
        drafts.approve(session, draft_id, reviewer)
    return draft_id


def test_the_public_audit_trail_is_the_lifecycle_without_emails_or_addresses(client, people_at_work):
    response = client.get(url("/audit"), query_string={"limit": 1000})
    text = response.get_data(as_text=True)
    assert "@" not in text and ADDRESS not in text
    events = ok(response)["items"]
    assert {e["action"] for e in events} <= {"publish", "supersede", "withdraw", "assign", "draft-create", "draft-update",
                                             "submit", "request-changes", "approve", "publish-draft", "comment"}
    assert [(e["action"], e["actor"]) for e in events if e["draft_id"] == people_at_work] == [
        ("draft-create", "body:cesi"), ("submit", "body:cesi"), ("approve", "registrar")]


def test_a_body_members_token_sees_only_the_public_trail(client, people_at_work, cesi):
    assert ok(client.get(url("/audit"), query_string={"limit": 1000}, headers=cesi)) == ok(
        client.get(url("/audit"), query_string={"limit": 1000}))


def test_registrars_see_the_whole_trail_with_account_names(client, people_at_work, registrar):
    events = ok(client.get(url("/audit"), query_string={"limit": 1000}, headers=registrar))["items"]
    actions = [e["action"] for e in events]
    assert {"body-add", "token-create", "account-add", "login-failed", "login"} <= set(actions)
    (failed,) = [e for e in events if e["action"] == "login-failed"]
    assert (failed["actor"], failed["details"]) == (f"login:{PERSON}", {"ip": ADDRESS})
    assert [(e["action"], e["actor"]) for e in events if e["draft_id"] == people_at_work] == [
        ("draft-create", PERSON), ("submit", PERSON), ("approve", REVIEWER)]


def test_a_version_published_by_a_person_names_no_email(client, engine, people_at_work):
    from registry.db import write_session
    from registry.models import ROLE_REGISTRAR
    from registry.services import drafts
    from registry.services.context import Actor

    with write_session(engine) as session:
        drafts.publish_draft(session, people_at_work, Actor(REVIEWER, ROLE_REGISTRAR))
    response = client.get(url(f"/standards/{CODE}"))
    assert "@" not in response.get_data(as_text=True)
    assert {v["version"]: v["published_by"] for v in ok(response)["versions"]}["1.2"] == "registrar"


def test_the_audit_trail_refuses_a_bad_token(client, corpus):
    response = client.get(url("/audit"), headers={"Authorization": "Bearer osr_0123456789ab_not-the-secret"})
    assert_error(response, 401, "unauthorized")
