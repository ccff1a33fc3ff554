"""The public reads of the JSON API: the list of standards, one standard, its versions and source, diffs."""

from __future__ import annotations

import hashlib

import pytest

from registry.loader import load_bytes

from ..conftest import STANDARDS
from .conftest import CODE, SAMPLE, YAML, assert_error, corpus_codes, ok, url

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
