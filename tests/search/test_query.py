"""The query language (registry.search.query): codes, IDs, prefixes, fuzzy words and boolean
operators; a malformed or too expensive query is a 400 with a message."""

from __future__ import annotations

import pytest

from .helpers import API, CODE, error, search


def test_an_occupation_code_in_the_query_finds_the_standard_then_its_items(sclient, corpus):
    result = search(sclient, q=CODE, per_page=100)
    assert (result["hits"][0]["kind"], result["hits"][0]["code"], result["hits"][0]["version"]) == \
        ("standard", CODE, "1.1")
    assert {h["code"] for h in result["hits"]} == {CODE} and result["total"] > 100
    assert result["total"] == search(sclient, code=CODE)["total"]


@pytest.mark.parametrize("q", [f"{CODE}@1.0", f"{CODE}/1.0", f"{CODE} 1.0", f"{CODE} v1.0"])
def test_a_code_with_a_version_finds_that_version_even_when_superseded(sclient, corpus, q):
    hits = search(sclient, q=q, per_page=100)["hits"]
    assert (hits[0]["kind"], hits[0]["version"], hits[0]["status"]) == ("standard", "1.0", "superseded")
    assert {(h["code"], h["version"]) for h in hits} == {(CODE, "1.0")}


def test_a_code_narrows_the_other_words(sclient, corpus):
    result = search(sclient, q=f"{CODE} 数据清洗", per_page=100)
    assert result["total"] > 0 and {h["code"] for h in result["hits"]} == {CODE}
    assert result["total"] < search(sclient, q="数据清洗")["total"]


def test_an_item_id_in_the_query_finds_that_item_first(sclient, corpus):
    hit = search(sclient, q="R-J-gather-2", code=CODE)["hits"][0]
    assert hit["item_id"] == "R-J-gather-2" and hit["kind"] == "requirement"
    assert search(sclient, q="E-K1")["hits"][0]["item_id"] == "E-K1"


def test_prefix_and_fuzzy_queries(sclient, corpus):
    assert search(sclient, q="annot*")["total"] >= search(sclient, q="annotation")["total"] > 0
    assert search(sclient, q="anotation~1")["total"] == search(sclient, q="annotation")["total"]
    assert search(sclient, q="数据清*")["total"] >= search(sclient, q="数据清洗")["total"]


def test_boolean_operators(sclient, corpus):
    both = search(sclient, q="data AND annotation")["total"]
    either = search(sclient, q="data OR annotation")["total"]
    without = search(sclient, q="data -annotation")["total"]
    assert both + without == search(sclient, q="data")["total"]
    assert either >= search(sclient, q="data")["total"]
    assert search(sclient, q="(数据 OR data) NOT 清洗")["total"] > 0


@pytest.mark.parametrize("q, needle", [
    ("*data", "wildcard"), ("?ata", "wildcard"), ("da*ta", "wildcard"), ("e?*", "prefix"), ("a*", "prefix"),
    ("*", "wildcard"), ("*a*", "wildcard"), ("data~5", "fuzzy"), ("data~9", "fuzzy"), ("数据~1", "fuzzy"),
    ("(((", "unbalanced"), ("data)", "unbalanced"), ("(data", "unbalanced"), ('"data cleaning', "quote"),
    ("x" * 257, "characters"), (" ".join(f"w{i}" for i in range(40)), "terms"), ("data\x00", "control"),
    ("AND data", "AND"), ("data OR", "OR"), ("NOT", "NOT"), ("-data", "exclude"), ("()", "empty"),
    ("((((((((((data))))))))))", "nest"), ("数据清洗" * 20, "terms"), ("title:[a TO", None),
])
def test_bad_queries_are_400_with_a_message(sclient, corpus, q, needle):
    response = sclient.get(API, query_string={"q": q})
    if needle is None:  # field syntax is not special: it is searched as words, never an error
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["code"] == "bad_request" and needle.lower() in body["message"].lower(), body


def test_a_prefix_matching_too_many_words_is_400(sclient, corpus, monkeypatch):
    monkeypatch.setattr("registry.search.whoosh.compiler.MAX_EXPANSIONS", 5)
    for q in ("数据*", "dat*"):
        assert "more than 5 words" in error(sclient, q=q)["message"]
    monkeypatch.setattr("registry.search.whoosh.compiler.MAX_EXPANSIONS", 0)
    assert "more than 0 words" in error(sclient, q="data~1")["message"]
