"""Search requests (registry.search.request): one table of filters parses the API's and the web page's
parameters, restricts the engine's matches and documents the OpenAPI parameters; paging limits."""

from __future__ import annotations

import re

import pytest

from .helpers import CODE, error, ids, search, unavailable


def test_function_and_work_content_are_filters_by_id(sclient, corpus):
    hit = search(sclient, q="R-J-gather-2", code=CODE)["hits"][0]
    function, work_content = hit["function_id"], hit["work_content_id"]
    by_function = search(sclient, code=CODE, function=function, per_page=100)
    assert by_function["total"] > 0 and {h["function_id"] for h in by_function["hits"]} == {function}
    by_content = search(sclient, code=CODE, work_content=work_content, per_page=100)
    assert 0 < by_content["total"] < by_function["total"]
    assert {h["work_content_id"] for h in by_content["hits"]} == {work_content}
    typed = search(sclient, q=function, code=CODE, per_page=100)  # the ID typed in the search box
    assert set(ids(by_function)) <= set(ids(typed))


@pytest.mark.parametrize("name, param", [("sector", "sector"), ("level", "level"), ("kind", "kind"),
                                          ("occupation", "code"), ("type", "type"), ("direction", "direction"),
                                          ("part", "part")])
def test_each_filter_matches_its_facet_count(sclient, corpus, name, param):
    base = search(sclient, q="数据 OR data")
    assert base["facets"][name], name
    value = base["facets"][name][-1]
    filtered = search(sclient, q="数据 OR data", **{param: value["value"]}, per_page=100)
    assert filtered["total"] == value["count"]
    key = {"occupation": "code"}.get(name, name)
    if key in ("code", "kind", "sector", "direction", "part"):
        assert {h[key] for h in filtered["hits"] if h["kind"] != "standard"} <= {value["value"]}


def test_language_filter_shows_that_language(sclient, corpus):
    result = search(sclient, q="数据清洗", lang="en")
    assert result["total"] > 0 and all(h["lang"] == "en" for h in result["hits"])


def test_an_empty_query_lists_with_filters(sclient, corpus):
    result = search(sclient, code=CODE, kind="requirement", per_page=5)
    assert result["total"] > 5 and {h["code"] for h in result["hits"]} == {CODE}


def test_only_current_versions_by_default_and_all_published_on_request(sclient, corpus):
    current = search(sclient, q="数据", code=CODE, per_page=100)
    assert {h["version"] for h in current["hits"]} == {"1.1"}
    everything = search(sclient, q="数据", code=CODE, per_page=100, all="1")
    assert {h["version"] for h in everything["hits"]} == {"1.0", "1.1"}
    assert everything["total"] > current["total"]


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "-1"}, {"page": "abc"}, {"page": str(10 ** 9)},
                                    {"per_page": "1000000"}, {"per_page": "0"}, {"page": "11", "per_page": "100"},
                                    {"kind": "chapter"}, {"all": "maybe"}, {"sector": "x" * 200}, {"type": "national"}])
def test_bad_parameters_are_400(sclient, corpus, params):
    body = error(sclient, q="数据", **params)
    assert body["details"]["field"] in params


def test_a_search_past_the_time_limit_is_503_not_the_users_fault(sclient, corpus, monkeypatch):
    monkeypatch.setattr("registry.search.whoosh.searching.QUERY_TIME_LIMIT", -1.0)  # as if the server were overloaded
    for params in ({"q": "数据"}, {"kind": "requirement"}):
        assert "busy" in unavailable(sclient, **params)["message"]
    assert error(sclient, q="*data")["code"] == "bad_request"  # pathological queries are refused first


# --- the table of filters ------------------------------------------------------------------------


def test_every_filter_is_parsed_checked_and_documented_from_its_row(sclient, corpus):
    from registry.search.request import FILTERS
    from registry.search.whoosh.schema import schema

    document = sclient.get("/api/v1/openapi.json").get_json()
    parameters = {p["name"]: p for p in document["paths"]["/search"]["get"]["parameters"]}
    for row in FILTERS:
        assert row.field in schema().names(), row  # the index field it reads
        assert parameters[row.name]["description"] == row.description
        assert parameters[row.name]["schema"].get("enum") == (list(row.choices) if row.choices else None)
        too_long = error(sclient, q="数据", **{row.name: "x" * (row.max_chars + 1)})
        assert too_long["details"]["field"] == row.name and "not a valid value" in too_long["message"]
        if row.choices:
            assert error(sclient, q="数据", **{row.name: "none-of-them"})["details"]["field"] == row.name
        else:
            assert search(sclient, q="数据", **{row.name: "x" * row.max_chars})["total"] == 0


def test_a_new_filter_is_one_row_of_the_table(sclient, corpus, monkeypatch):
    """A row that reads an existing index field (``vid``, each version's key) is parsed, documented
    and applied without any other change."""
    from registry.search import request

    row = request.Filter("version_key", "vid", "Only this version (code@version).", max_chars=80)
    monkeypatch.setattr(request, "FILTERS", (*request.FILTERS, row))
    hits = search(sclient, q="数据", version_key=f"{CODE}@1.0", all="1", per_page=100)["hits"]
    assert hits and {(h["code"], h["version"]) for h in hits} == {(CODE, "1.0")}
    assert error(sclient, q="数据", version_key="x\x01")["details"]["field"] == "version_key"
    document = sclient.get("/api/v1/openapi.json").get_json()
    assert "version_key" in {p["name"] for p in document["paths"]["/search"]["get"]["parameters"]}


def test_the_web_page_keeps_the_filters_it_offers_and_ignores_the_rest(sclient, corpus):
    body = sclient.get("/search", query_string={"q": "数据", "level": "L4", "kind": "chapter", "type": "national",
                                                "sector": "x" * 65, "function": "F-collect"}).get_data(as_text=True)
    form = re.search(r'<form method="get" action="/search" class="search" role="search">.*?</form>', body, re.S)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0)))
    assert hidden == {"level": "L4"}
    assert re.search(r"<h2 id=\"hits-h\">\d+ results?</h2>", body)


def test_a_request_names_only_filters_of_the_table():
    from registry.search.request import SearchRequest

    assert SearchRequest("数据", level="L3").filters == SearchRequest("数据", filters={"level": "L3"}).filters
    with pytest.raises(TypeError, match="colour"):
        SearchRequest("数据", colour="red")
