"""The next edition: a draft started from a published version's exact text, with the next number and
the registry's current year as edition (POST /api/v1/standards/{code}/versions/{version}/next and the
"Start a new version" button), for members of the standard's keeper body only."""

from __future__ import annotations

import difflib
import re
from datetime import date

import pytest

from registry.clock import Clock
from registry.next_edition import NextEditionError, next_number, with_release

from .api.conftest import assert_error, audit, ok, post_yaml, url
from .conftest import STANDARDS, Tokens, close_app, make_test_app
from .web_helpers import add_people, csrf, sign_in

CODE = "2-02-38-03"  # published as 1.0 and 1.1 (the version in force)
YEAR = 2031


@pytest.fixture
def app(db_url, tmp_path):
    """The registry's clock stands in 2031: the edition of a new version is that year."""
    application = make_test_app(db_url, tmp_path, clock=Clock(fixed=None))
    application.extensions["registry.clock"].set(date(YEAR, 3, 1))
    yield application
    close_app(application)


@pytest.fixture
def keeper(tokens: Tokens) -> dict:
    return tokens.body("cesi", "China Electronics Standardization Institute", keeps=(CODE,))


def start(client, headers: dict | None, version: str = "1.1", code: str = CODE, **kwargs):
    return client.post(url(f"/standards/{code}/versions/{version}/next"), headers=headers or {}, **kwargs)


def changed_lines(old: bytes, new: bytes) -> list[str]:
    diff = difflib.unified_diff(old.decode().splitlines(), new.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


# --- the text ------------------------------------------------------------------------------------


def test_only_the_number_and_the_edition_change_in_the_text():
    source = (STANDARDS / CODE / "1.1.yaml").read_bytes()
    new = with_release(source, next_number("1.1"), YEAR)
    assert changed_lines(source, new) == ['-version: "1.1"', '-edition: 2022', '+version: "1.2"', f"+edition: {YEAR}"]
    single = source.replace(b'version: "1.1"', b"version: '1.1'  # the number", 1)
    kept = with_release(single, "2.0", YEAR)
    assert b"version: '2.0'  # the number" in kept  # its quote and its comment stay


def test_next_numbers():
    assert [next_number("1.1"), next_number("1.9"), next_number("1.1", "major"), next_number("9.12", "major")] == \
        ["1.2", "1.10", "2.0", "10.0"]
    with pytest.raises(ValueError):
        next_number("1.1", "patch")


def test_a_text_without_a_version_is_refused():
    with pytest.raises(NextEditionError):
        with_release(b"code: x\nedition: 2020\n", "1.1", YEAR)
    with pytest.raises(NextEditionError):
        with_release(b"version: [1]\nedition: 2020\n", "1.1", YEAR)


# --- the API ------------------------------------------------------------------------------------


def test_the_keeper_starts_the_next_minor_version_from_the_exact_source(client, corpus, keeper):
    response = start(client, keeper)
    draft = ok(response, 201)
    assert (draft["code"], draft["version"], draft["status"], draft["body"]) == (CODE, "1.2", "draft", "cesi")
    assert response.headers["Location"] == url(f"/drafts/{draft['id']}") and response.headers["ETag"]
    published = client.get(url(f"/standards/{CODE}/versions/1.1/source")).data
    source = client.get(url(f"/drafts/{draft['id']}/source"), headers=keeper).data
    assert changed_lines(published, source) == ['-version: "1.1"', '-edition: 2022', '+version: "1.2"',
                                               f"+edition: {YEAR}"]
    assert source.startswith(b"# yaml-language-server:")  # the comments are the published ones
    created = [e for e in audit(client, code=CODE, draft_id=draft["id"]) if e["action"] == "draft-create"]
    assert len(created) == 1 and created[0]["details"] == {"from_version": "1.1", "bump": "minor"}
    assert created[0]["to_state"] == "draft" and created[0]["version"] == "1.2"
    # the draft compares with 1.1 as a change of nothing but its release fields: a minor number is enough
    diff = ok(client.get(url(f"/drafts/{draft['id']}/diff"), headers=keeper))
    assert (diff["base"], diff["change_class"]) == ("1.1", "none")


def test_a_major_bump_on_request(client, corpus, keeper):
    draft = ok(start(client, keeper, json={"bump": "major"}), 201)
    assert draft["version"] == "2.0"
    source = client.get(url(f"/drafts/{draft['id']}/source"), headers=keeper).data
    assert b'\nversion: "2.0"\n' in source and f"\nedition: {YEAR}\n".encode() in source


def test_only_members_of_the_keeper_body_may_start_one(client, corpus, keeper, tokens):
    other = tokens.body("caict", "China Academy of Information and Communications Technology")
    refused = assert_error(start(client, other), 403, "forbidden")
    assert "China Electronics Standardization Institute (cesi)" in refused["message"]
    assert refused["details"] == {"code": CODE, "keeper": "cesi"}
    assert_error(start(client, tokens.registrar("wang")), 403, "forbidden")
    assert_error(start(client, None), 401, "unauthorized")
    unkept = assert_error(start(client, keeper, code="2-02-38-09", version="1.0"), 403, "forbidden")
    assert "no keeper yet" in unkept["message"]
    assert ok(client.get(url("/drafts"), headers=other))["items"] == []


def test_refusals(client, corpus, keeper):
    assert_error(start(client, keeper, version="9.9"), 404, "not_found")
    assert_error(start(client, keeper, code="9-99-99-99", version="1.0"), 404, "not_found")
    assert_error(start(client, keeper, json={"bump": "patch"}), 400, "bad_request")
    assert_error(start(client, keeper, json={"bump": 2}), 400, "bad_request")
    assert_error(start(client, keeper, json=["major"]), 400, "bad_request")
    assert_error(start(client, keeper, data=b"bump: major", content_type="application/yaml"), 415)
    taken = assert_error(start(client, keeper, version="1.0"), 409, "conflict")  # 1.1 is published
    assert "1.1 is already published" in taken["message"]
    first = ok(start(client, keeper), 201)
    again = assert_error(start(client, keeper), 409, "conflict")  # the body's 1.2 is already open
    assert again["details"]["draft_id"] == first["id"]


def test_the_document_describes_what_the_route_answers(client, corpus, keeper, tokens):
    from registry.api.openapi import document

    from .api.test_openapi import check

    doc, path = document(), "/standards/{code}/versions/{version}/next"
    for response in (start(client, keeper), start(client, keeper), start(client, keeper, json={"bump": "x"}),
                     start(client, tokens.body("caict")), start(client, None), start(client, keeper, version="9.9")):
        check(doc, response, "post", path)
    assert doc["paths"][path]["post"]["operationId"] == "next_version"


def test_the_new_version_goes_through_review_and_is_published(client, corpus, keeper, tokens):
    registrar = tokens.registrar("wang")
    draft = ok(start(client, keeper), 201)
    source = client.get(url(f"/drafts/{draft['id']}/source"), headers=keeper).data
    edited = source.replace("能使用数据库导出、接口调用等方式".encode(), "能使用数据库导出、应用程序接口调用等方式".encode(), 1)
    edited = edited.replace(b'effective_from: "2022-07-01"', f'effective_from: "{YEAR}-07-01"'.encode(), 1)
    assert edited.count(f"{YEAR}-07-01".encode()) == 1
    etag = client.get(url(f"/drafts/{draft['id']}"), headers=keeper).headers["ETag"]
    ok(client.put(url(f"/drafts/{draft['id']}"), data=edited, headers={**keeper, "If-Match": etag,
                                                                         "Content-Type": "application/yaml"}))
    for action, who in (("submit", keeper), ("approve", registrar)):
        ok(client.post(url(f"/drafts/{draft['id']}/{action}"), headers=who))
    published = ok(client.post(url(f"/drafts/{draft['id']}/publish"), headers=registrar), 201)
    assert (published["version"], published["status"]) == ("1.2", "upcoming")  # from its own day; 1.1 until then
    assert ok(client.get(url(f"/standards/{CODE}")))["in_force"]["version"] == "1.1"
    assert ok(post_yaml(client, "/validate", edited))["valid"] is True


# --- the page ------------------------------------------------------------------------------------


def test_the_button_is_shown_to_members_of_the_keeper_body_only(app, client, corpus, engine):
    people = add_people(engine, "body-a", keeps=(CODE,))
    assert "Start a new version" not in client.get(f"/standards/{CODE}", headers={"Accept-Language": "en"}).text
    sign_in(client, people["registrar"])
    assert "Start a new version" not in client.get(f"/standards/{CODE}", headers={"Accept-Language": "en"}).text
    stranger = app.test_client()
    sign_in(stranger, add_people(engine, "body-b")["body"])
    assert "Start a new version" not in stranger.get(f"/standards/{CODE}", headers={"Accept-Language": "en"}).text
    member = app.test_client()
    sign_in(member, people["body"])
    page = member.get(f"/standards/{CODE}/1.1", headers={"Accept-Language": "en"}).text
    assert "Start a new version (1.2)" in page and "Start a new major version (2.0)" in page
    assert f'action="/portal/standards/{CODE}/1.1/next"' in page
    # a registrar or another body posting the form anyway is refused, naming the keeper
    token = csrf(stranger, f"/standards/{CODE}")
    refused = stranger.post(f"/portal/standards/{CODE}/1.1/next", data={"csrf_token": token, "bump": "minor"},
                            headers={"Accept-Language": "en"})
    assert refused.status_code == 403 and "kept by body-a (body-a)" in refused.text


def test_the_button_starts_a_draft_and_the_draft_page_shows_the_number_it_needs(app, client, corpus, engine):
    people = add_people(engine, "body-a", keeps=(CODE,))
    sign_in(client, people["body"])
    token = csrf(client, f"/standards/{CODE}")
    started = client.post(f"/portal/standards/{CODE}/1.1/next", data={"csrf_token": token, "bump": "major"})
    assert started.status_code == 302 and re.fullmatch(r"/portal/drafts/\d+", started.headers["Location"])
    page = client.get(started.headers["Location"], headers={"Accept-Language": "en"}).text
    assert f"Draft of version 2.0 (edition {YEAR}) started from version 1.1" in page
    bump = re.search(r'<p class="bump[^"]*" data-base="([^"]+)" data-required="([^"]+)" data-version="([^"]+)"', page)
    assert bump.groups() == ("1.1", "1.2", "2.0")  # nothing changed yet: 1.2 would do, 2.0 is more than enough
    assert "bump-warning" not in page
    # the text still states 1.1's first day in force: the page says what publishing it so would do
    warning = re.search(r'<p class="error start-warning">(.*?)</p>', page, re.S).group(1)
    assert "2022-07-01" in warning and "take the place of 1.1" in warning
    again = client.post(f"/portal/standards/{CODE}/1.1/next", data={"csrf_token": token, "bump": "major"})
    assert again.headers["Location"] == started.headers["Location"]  # the open draft, not a second one
    assert "already has a draft of version 2.0" in client.get(again.headers["Location"],
                                                              headers={"Accept-Language": "en"}).text
