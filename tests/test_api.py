"""The JSON API under /api/v1, as its users call it: public reads, validation, drafts and review,
publishing, withdrawal, the audit trail, and every error answered as JSON."""

from __future__ import annotations

import hashlib
import logging
import time

import pytest

from registry.loader import load_bytes

from .conftest import STANDARDS, Tokens, close_app, make_test_app

API = "/api/v1"
CODE = "2-02-38-03"  # published in the corpus as 1.0 and 1.1
SAMPLE = STANDARDS / CODE / "1.1.yaml"
YAML = "application/yaml"

OLD_TEXT = "能使用数据库导出、接口调用等方式从业务系统采集结构化数据。".encode()
NEW_TEXT = "能使用数据库导出、应用程序接口调用等方式从业务系统采集结构化数据。".encode()


# --- documents --------------------------------------------------------------------------------


def versioned(version: str, source: bytes | None = None) -> bytes:
    source = SAMPLE.read_bytes() if source is None else source
    assert b'\nversion: "1.1"' in source
    return source.replace(b'\nversion: "1.1"', f'\nversion: "{version}"'.encode(), 1)


def reworded(version: str = "1.2") -> bytes:
    """A minor revision: one requirement's master text reworded."""
    source = versioned(version)
    assert source.count(OLD_TEXT) == 1
    return source.replace(OLD_TEXT, NEW_TEXT)


def without_requirement(version: str = "1.2") -> bytes:
    """A major revision: the last requirement of the first work content (R-J-gather-4) removed."""
    lines = versioned(version).splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if line.strip() == b"- id: R-J-gather-4")
    assert lines[start + 5].strip().startswith(b"knowledge:")
    return b"".join(lines[:start] + lines[start + 5:])


def invalid_document() -> bytes:
    return versioned("1.2").replace(b"edition: 2022", b"edition: twenty")


# --- requests ---------------------------------------------------------------------------------


def url(path: str) -> str:
    return API + path


def post_yaml(client, path: str, source: bytes, headers: dict | None = None):
    return client.post(url(path), data=source, headers={**(headers or {}), "Content-Type": YAML})


def put_yaml(client, path: str, source: bytes, headers: dict, if_match: str | None = None):
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.put(url(path), data=source, headers={**headers, **extra, "Content-Type": YAML})


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is a JSON error with the envelope {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:500]
    payload = response.get_json()
    assert set(payload) == {"error"}
    error = payload["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:1000])
    return response.get_json()


def create_draft(client, headers: dict, source: bytes) -> dict:
    return ok(post_yaml(client, "/drafts", source, headers), 201)


def step(client, draft_id: int, action: str, headers: dict, json: dict | None = None):
    return client.post(url(f"/drafts/{draft_id}/{action}"), headers=headers, json=json)


def draft_in(client, state: str, body: dict, registrar: dict, source: bytes) -> int:
    """A draft of ``body`` brought to ``state`` (draft, submitted or approved); returns its id."""
    draft_id = create_draft(client, body, source)["id"]
    if state in ("submitted", "approved"):
        assert ok(step(client, draft_id, "submit", body))["status"] == "submitted"
    if state == "approved":
        assert ok(step(client, draft_id, "approve", registrar))["status"] == "approved"
    return draft_id


def publish(client, draft_id: int, registrar: dict, bump_reason: str | None = None):
    return step(client, draft_id, "publish", registrar, json={"bump_reason": bump_reason} if bump_reason else None)


def publish_json(client, draft_id: int, registrar: dict, payload: dict):
    return step(client, draft_id, "publish", registrar, json=payload)


def statuses(client, code: str) -> dict[str, str]:
    return {v["version"]: v["status"] for v in ok(client.get(url(f"/standards/{code}")))["versions"]}


def audit(client, **params) -> list[dict]:
    return ok(client.get(url("/audit"), query_string=params))["items"]


def transitions(events: list[dict]) -> list[tuple]:
    return [(e["action"], e["from_state"], e["to_state"]) for e in events]


def corpus_codes() -> list[str]:
    return sorted({path.parent.name for path in STANDARDS.rglob("*.yaml")})


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def cesi(tokens) -> dict:
    return tokens.body("cesi", "China Electronics Standardization Institute", keeps=(CODE,))


@pytest.fixture
def other_body(tokens) -> dict:
    return tokens.body("caict", "China Academy of Information and Communications Technology")


@pytest.fixture
def registrar(tokens) -> dict:
    return tokens.registrar("wang")


@pytest.fixture
def make_app(db_url, tmp_path):
    """Builds extra apps on the test's catalog, as the ``app`` fixture does, with more settings."""
    made = []

    def build(**overrides):
        application = make_test_app(db_url, tmp_path, **overrides)
        made.append(application)
        return application

    yield build
    for application in made:
        close_app(application)


# --- public: the list of standards ------------------------------------------------------------


def test_list_is_paginated_with_the_total(client, corpus):
    codes = corpus_codes()
    seen = []
    for page in range(1, 5):
        body = ok(client.get(url("/standards"), query_string={"page": page, "per_page": 4}))
        assert (body["total"], body["page"], body["per_page"]) == (len(codes), page, 4)
        assert len(body["items"]) == min(4, len(codes) - 4 * (page - 1))
        seen += [item["code"] for item in body["items"]]
    assert seen == codes
    beyond = ok(client.get(url("/standards"), query_string={"page": 99, "per_page": 4}))
    assert (beyond["total"], beyond["items"]) == (len(codes), [])


def test_list_items_carry_the_latest_version(client, corpus):
    items = {i["code"]: i for i in ok(client.get(url("/standards?per_page=200")))["items"]}
    item = items["4-04-05-05"]
    assert (item["sector"], item["type"], item["body"]) == ("artificial-intelligence", "skill", None)
    assert item["title"] and item["title_en"]
    assert (item["latest"]["version"], item["latest"]["status"]) == ("2.0", "in-force")
    assert item["in_force"] == item["latest"]


@pytest.mark.parametrize("query, expected", [
    ({"sector": "big-data"}, ["2-02-38-03"]),
    ({"type": "unified"}, ["2-02-38-11", "2-02-38-12", "4-04-04-02"]),
    ({"sector": "data-security", "type": "unified"}, ["2-02-38-12", "4-04-04-02"]),
    ({"status": "superseded"}, ["2-02-38-03", "2-02-38-04", "4-04-04-02", "4-04-05-05"]),
    ({"status": "withdrawn"}, []),
    ({"sector": "no-such-sector"}, []),
    ({"body": "cesi"}, []),
])
def test_list_filters(client, corpus, query, expected):
    body = ok(client.get(url("/standards"), query_string=query))
    assert [i["code"] for i in body["items"]] == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("page=-1", "page"), ("page=two", "page"),
    ("per_page=0", "per_page"), ("per_page=201", "per_page"), ("per_page=x", "per_page"),
])
def test_bad_paging_arguments_are_400(client, query, field):
    error = assert_error(client.get(url(f"/standards?{query}")), 400, "bad_request")
    assert error["details"] == {"field": field}


def test_an_unknown_status_filter_is_400(client, cesi):
    assert assert_error(client.get(url("/standards?status=retired")), 400, "bad_request")["details"] == {
        "field": "status"}
    assert assert_error(client.get(url("/drafts?status=lost"), headers=cesi), 400, "bad_request")["details"] == {
        "field": "status"}


def test_a_page_far_beyond_the_end_is_not_a_server_error(client, corpus):
    response = client.get(url("/standards"), query_string={"page": 10 ** 20})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json()["items"] == []
    else:
        assert_error(response, 400, "bad_request")


# --- public: one standard, its versions, its source ---------------------------------------------


def test_a_standard_lists_its_versions(client, corpus):
    body = ok(client.get(url("/standards/4-04-05-05")))
    assert (body["code"], body["sector"], body["type"]) == ("4-04-05-05", "artificial-intelligence", "skill")
    versions = body["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [("1.0", "superseded"), ("2.0", "in-force")]
    # the dates as the documents state them, and the windows they give
    assert (versions[0]["effective_from"], versions[0]["effective_until"]) == (None, None)
    assert versions[1]["effective_from"] == "2025-07-01"
    assert versions[0]["standing"]["in_force_until"] == "2025-06-30"
    assert versions[0]["standing"]["superseded_by"] == "2.0"
    assert versions[0]["standing"]["start_basis"] == "not-stated"
    assert body["in_force"]["version"] == "2.0" and body["as_of"]
    source = (STANDARDS / "4-04-05-05" / "2.0.yaml").read_bytes()
    assert versions[1]["sha256"] == hashlib.sha256(source).hexdigest()
    assert versions[1]["published_by"] == "system:loader"


@pytest.mark.parametrize("path", [
    "/standards/9-99-99-99",
    "/standards/9-99-99-99/versions/1.0",
    f"/standards/{CODE}/versions/9.9",
    f"/standards/{CODE}/versions/9.9/source",
    "/standards/9-99-99-99/latest",
])
def test_unknown_standards_and_versions_are_404(client, corpus, path):
    assert_error(client.get(url(path)), 404, "not_found")


def test_a_version_is_its_document_as_json(client, corpus):
    response = client.get(url(f"/standards/{CODE}/versions/1.1"))
    body = ok(response)
    source = SAMPLE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    assert (body["code"], body["version"], body["status"], body["sha256"]) == (CODE, "1.1", "in-force", digest)
    assert body["document"] == load_bytes(source).data
    # the document never changes, but its standing does: a tag of both, revalidated on every use
    assert response.headers["ETag"].startswith(f'"{digest}-')
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get(url(f"/standards/{CODE}/versions/1.1"), headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_source_is_the_exact_bytes_with_a_sha256_etag(client, corpus):
    source = SAMPLE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    response = client.get(url(f"/standards/{CODE}/versions/1.1/source"))
    assert response.status_code == 200
    assert response.data == source
    assert response.mimetype == YAML
    assert response.headers["ETag"] == f'"{digest}"'
    cache = [part.strip() for part in response.headers["Cache-Control"].split(",")]
    assert "immutable" in cache and "public" in cache and any(p.startswith("max-age=") for p in cache)


def test_source_revalidates_with_if_none_match(client, corpus):
    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    path = url(f"/standards/{CODE}/versions/1.1/source")
    not_modified = client.get(path, headers={"If-None-Match": f'"{digest}"'})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert not_modified.headers["ETag"] == f'"{digest}"'
    stale = client.get(path, headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.data == SAMPLE.read_bytes()


def test_latest_redirects_to_the_current_version(client, corpus):
    response = client.get(url("/standards/4-04-05-05/latest"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url("/standards/4-04-05-05/versions/2.0"))
    followed = ok(client.get(url("/standards/4-04-05-05/latest"), follow_redirects=True))
    assert (followed["version"], followed["status"]) == ("2.0", "in-force")


@pytest.mark.parametrize("day, version", [("2023-05-01", "1.0"), ("2025-06-30", "1.0"), ("2025-07-01", "2.0"),
                                          ("2030-01-01", "2.0")])
def test_as_of_gives_the_version_in_force_on_a_date(client, corpus, day, version):
    body = ok(client.get(url("/standards/4-04-05-05"), query_string={"as_of": day}))
    assert body["as_of"] == day
    assert body["in_force"]["version"] == version
    assert len(body["versions"]) == 2


@pytest.mark.parametrize("day", ["2023-13-01", "yesterday", "01/05/2023", "", "20230501", "2023-05-01T00:00",
                                 "2023-W18-1", "\uff12\uff10\uff12\uff13-05-01"])
def test_as_of_a_bad_date_is_400(client, corpus, day):
    error = assert_error(client.get(url("/standards/4-04-05-05"), query_string={"as_of": day}), 400, "bad_request")
    assert error["details"] == {"field": "as_of"}


@pytest.mark.parametrize("day, version", [("2023-05-01", "1.0"), ("2025-07-01", "2.0")])
def test_latest_as_of_a_date_redirects_to_the_version_in_force_that_day(client, corpus, day, version):
    response = client.get(url("/standards/4-04-05-05/latest"), query_string={"as_of": day})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(f"/standards/4-04-05-05/versions/{version}"))


def test_latest_as_of_a_bad_date(client, corpus):
    error = assert_error(client.get(url("/standards/4-04-05-05/latest?as_of=20230501")), 400, "bad_request")
    assert error["details"] == {"field": "as_of"}


def test_a_first_version_without_a_stated_start_answers_for_any_earlier_day_saying_so(client, corpus):
    """4-04-05-05 1.0 states no start: it is the only text the registry has before 2.0, from a day
    nobody stated; the answer says so instead of inventing a date."""
    body = ok(client.get(url("/standards/4-04-05-05?as_of=2001-01-01")))
    assert body["in_force"]["version"] == "1.0"
    assert body["in_force"]["standing"]["in_force_from"] is None
    assert body["in_force"]["standing"]["start_basis"] == "not-stated"


# --- public: diff -------------------------------------------------------------------------------


@pytest.mark.parametrize("code, old, new, change_class", [
    (CODE, "1.0", "1.1", "minor"),
    ("4-04-05-05", "1.0", "2.0", "major"),
])
def test_diff_between_two_versions(client, corpus, code, old, new, change_class):
    body = ok(client.get(url(f"/standards/{code}/diff"), query_string={"from": old, "to": new}))
    assert (body["code"], body["from"], body["to"], body["change_class"]) == (code, old, new, change_class)
    assert isinstance(body["summary"], str) and body["summary"] and body["summary"] != "no changes"
    assert body["diff"]["change_class"] == change_class


@pytest.mark.parametrize("query, field", [("from=1.0", "to"), ("to=1.1", "from"), ("", "from")])
def test_diff_needs_both_versions(client, corpus, query, field):
    error = assert_error(client.get(url(f"/standards/{CODE}/diff?{query}")), 400, "bad_request")
    assert error["details"] == {"field": field}


@pytest.mark.parametrize("path", [f"/standards/{CODE}/diff?from=1.0&to=7.0", f"/standards/{CODE}/diff?from=0.9&to=1.1",
                                  "/standards/9-99-99-99/diff?from=1.0&to=1.1"])
def test_diff_of_an_unknown_version_is_404(client, corpus, path):
    assert_error(client.get(url(path)), 404, "not_found")


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


# --- withdrawal -----------------------------------------------------------------------------------


def test_a_registrar_withdraws_a_version_with_a_reason(client, corpus, registrar):
    reason = "replaced by a regional pilot standard"
    body = ok(client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar,
                          json={"reason": reason}))
    assert (body["status"], body["withdrawn_reason"]) == ("withdrawn", reason)
    (version,) = ok(client.get(url("/standards/2-02-38-09")))["versions"]
    assert (version["status"], version["withdrawn_reason"]) == ("withdrawn", reason)
    assert [i["code"] for i in ok(client.get(url("/standards?status=withdrawn")))["items"]] == ["2-02-38-09"]
    # no version is in force now: latest says so through the standard, never a 404 for it
    latest = client.get(url("/standards/2-02-38-09/latest"))
    assert latest.status_code == 302 and latest.headers["Location"].endswith(url("/standards/2-02-38-09"))
    assert ok(client.get(url("/standards/2-02-38-09/latest"), follow_redirects=True))["in_force"] is None
    (event,) = [e for e in audit(client, code="2-02-38-09") if e["action"] == "withdraw"]
    assert (event["actor"], event["version"], event["from_state"], event["to_state"]) == (
        "registrar:wang", "1.0", "published", "withdrawn")
    # the bytes stay readable: a withdrawn version is history, not deleted
    assert client.get(url("/standards/2-02-38-09/versions/1.0/source")).data == (
        STANDARDS / "2-02-38-09" / "1.0.yaml").read_bytes()


def test_withdrawing_twice_is_409(client, corpus, registrar):
    path = url("/standards/2-02-38-09/versions/1.0/withdraw")
    ok(client.post(path, headers=registrar, json={"reason": "replaced"}))
    assert_error(client.post(path, headers=registrar, json={"reason": "again"}), 409, "invalid_transition")


def test_a_superseded_version_can_be_withdrawn(client, corpus, registrar):
    ok(client.post(url("/standards/4-04-05-05/versions/1.0/withdraw"), headers=registrar,
                   json={"reason": "contains an error"}))
    assert statuses(client, "4-04-05-05") == {"1.0": "withdrawn", "2.0": "in-force"}


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 7}])
def test_a_withdrawal_without_a_reason_is_400(client, corpus, registrar, payload):
    response = client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar, json=payload)
    assert assert_error(response, 400, "bad_request")["details"] == {"field": "reason"}
    assert statuses(client, "2-02-38-09") == {"1.0": "in-force"}


def test_a_withdrawal_with_no_body_at_all_is_400(client, corpus, registrar):
    response = client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar)
    assert_error(response, 400, "bad_request")
    assert statuses(client, "2-02-38-09") == {"1.0": "in-force"}


def test_withdrawing_an_unknown_version_is_404(client, corpus, registrar):
    assert_error(client.post(url(f"/standards/{CODE}/versions/9.9/withdraw"), headers=registrar,
                             json={"reason": "x"}), 404, "not_found")


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


# --- limits and faults ----------------------------------------------------------------------------


def test_a_body_larger_than_the_limit_is_413(make_app):
    client = make_app(MAX_UPLOAD_BYTES=1000).test_client()
    assert ok(post_yaml(client, "/validate", b"a: 1\n"))["valid"] is False  # under the limit: answered
    assert_error(post_yaml(client, "/validate", SAMPLE.read_bytes()), 413)


def test_a_draft_larger_than_the_limit_is_413_and_not_stored(make_app):
    app = make_app(MAX_UPLOAD_BYTES=1000)
    client, cesi = app.test_client(), Tokens(app.extensions["registry.engine"]).body("cesi")
    assert_error(post_yaml(client, "/drafts", reworded(), cesi), 413)
    assert ok(client.get(url("/drafts"), headers=cesi))["items"] == []


def _exploding_app(make_app, path: str):
    app = make_app()

    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule(path, "explode", explode)
    return app


def _logged_error(caplog, path: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR and path in r.getMessage()]
    assert record.exc_info and "secret internals" in str(record.exc_info[1])  # with its traceback
    return record


@pytest.mark.parametrize("path", ["/api/v1/_explode", "/ims/case/v1p1/_explode"])
def test_an_unexpected_fault_is_a_json_500_and_logged(make_app, caplog, path):
    response = _exploding_app(make_app, path).test_client().get(path)
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True).lower()
    assert error["details"] is None
    _logged_error(caplog, path)


def test_an_unexpected_fault_on_a_page_is_an_html_500_and_logged(make_app, caplog):
    response = _exploding_app(make_app, "/_explode").test_client().get("/_explode")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "secret internals" not in response.get_data(as_text=True)
    _logged_error(caplog, "/_explode")


def test_an_integrity_error_that_is_a_bug_is_a_500_without_sql(client, cesi, monkeypatch, caplog):
    from registry.models import ReviewComment
    from registry.services import drafts

    def broken_add_comment(session, draft_id, *args, **kwargs):
        session.add(ReviewComment(draft_id=999_999, author="nobody", body="on no draft"))
        session.flush()

    monkeypatch.setattr(drafts, "add_comment", broken_add_comment)
    draft_id = create_draft(client, cesi, reworded())["id"]
    response = client.post(url(f"/drafts/{draft_id}/comments"), headers=cesi, json={"body": "hello"})
    assert_error(response, 500, "internal_error")
    text = response.get_data(as_text=True).lower()
    assert not any(word in text for word in ("foreign key", "insert", "review_comment", "constraint"))
    assert any(r.levelno == logging.ERROR and "IntegrityError" in repr(r.exc_info) for r in caplog.records)


def test_a_writer_that_cannot_get_its_lock_in_time_gets_503(make_app, corpus, engine):
    from registry.db import write_session
    from registry.services.catalog import _locked_standard

    client = make_app(SQLITE_BUSY_TIMEOUT_MS=300, PG_LOCK_TIMEOUT_MS=300).test_client()
    registrar = Tokens(engine).registrar("wang")
    with write_session(engine) as session:
        _locked_standard(session, "2-02-38-09")  # another writer holds the standard (SQLite: the catalog)
        started = time.monotonic()
        response = client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar,
                               json={"reason": "replaced"})
        waited = time.monotonic() - started
    assert_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "1"
    assert waited < 10
    assert statuses(client, "2-02-38-09") == {"1.0": "in-force"}


def test_a_failing_service_is_a_json_500(client, monkeypatch):
    from registry.services import reading

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(reading, "list_standards", broken)
    response = client.get(url("/standards"))
    assert_error(response, 500, "internal_error")
    assert "on fire" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, status", [
    ("get", "/no-such-route", 404),
    ("get", "/drafts/not-a-number", 404),
    ("delete", "/standards", 405),
    ("put", "/validate", 405),
])
def test_http_errors_under_the_api_are_json(client, method, path, status):
    assert_error(getattr(client, method)(url(path)), status)


def test_a_publication_and_a_withdrawal_take_down_the_plain_copies_that_show_a_status(app, client, corpus, cesi,
                                                                                       registrar):
    """exports/standards/ is served as static files: a copy that says "current" must not outlive a
    publication that supersedes it (nor a withdrawal); copies that show no status stay."""
    from pathlib import Path

    copies = Path(app.config["REGISTRY_EXPORTS_DIR"]).resolve() / "standards" / CODE
    from .test_downloads import fetch

    def download(suffix: str):
        return fetch(client, f"/standards/{CODE}/1.1{suffix}")

    for suffix in (".case.json", ".csv"):
        assert download(suffix).status_code == 200
    assert (copies / "1.1.case.json").exists()
    csv = (copies / "1.1.csv").read_bytes()

    publish(client, draft_in(client, "approved", cesi, registrar, reworded()), registrar)
    assert not (copies / "1.1.case.json").exists() and (copies / "1.1.csv").read_bytes() == csv
    again = download(".case.json")
    assert again.status_code == 200 and (copies / "1.1.case.json").read_bytes() == again.data
    assert "1.2" in again.get_data(as_text=True)  # the new copy names the successor

    ok(client.post(url(f"/standards/{CODE}/versions/1.2/withdraw"), headers=registrar,
                   json={"reason": "replaced by a joint standard"}))
    assert not (copies / "1.1.case.json").exists()
