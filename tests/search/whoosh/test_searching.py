"""One search on an opened generation (registry.search.whoosh.searching): the vectorised evaluation
finds what Whoosh finds, with Whoosh's scores; a request can name the versions to search."""

from __future__ import annotations

import numpy as np
import pytest

from ..helpers import CODE, link_index, records


@pytest.fixture
def index(corpus_index, tmp_path):
    from registry.search.whoosh import WhooshIndex

    opened = WhooshIndex(link_index(corpus_index, tmp_path))
    yield opened
    opened.close()


@pytest.mark.parametrize("q", ["数据清洗", "数据清洗的方法", "data cleaning", '"data cleaning"', "数据 OR security",
                               "data -security", "calibrat*", "securty~1", "2-02-38-03", "E-K1", "人工智能 AND 训练"])
def test_the_vectorised_search_finds_what_whoosh_finds_with_whooshs_scores(index, q):
    """Each query compiled to Whoosh's query objects: Whoosh's own matching and BM25F scores, one
    document at a time, against the plan evaluated over the postings' mirrors."""
    from registry.search.query import parse_query
    from registry.search.request import SearchRequest
    from registry.search.whoosh.compiler import Compiler
    from registry.search.whoosh.queries import combine, filters, plan

    view = index.views.current(force=True)
    with view.lease() as searcher:
        compiler = Compiler(searcher.reader())
        query = combine(compiler.compile(parse_query(q)), filters(SearchRequest(q=q)))
        expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
    mask, scores = view.layout.matches(plan(query), float("inf"))
    assert expected, q
    assert set(np.flatnonzero(mask).tolist()) == set(expected)
    if "\"" not in q:  # Whoosh scores a phrase by its own formula; the plan by its terms' BM25F
        for docnum, score in expected.items():
            assert scores[docnum] == pytest.approx(score, rel=1e-4, abs=1e-5), docnum


def _keys(result) -> list[tuple]:
    return [(h["code"], h["version"], h["kind"], h["item_id"], h["score"]) for h in result.hits]


def test_the_index_holds_every_version_and_the_request_names_those_searched(index):
    """Which version is in force is no property of the index (it changes with the day): the engine
    searches every version it holds unless the request names the versions (the service names those in
    force on the day asked)."""
    from registry.search import SearchRequest

    every = {(h["code"], h["version"]) for h in index.search(SearchRequest(kind="standard", per_page=100)).hits}
    assert {(CODE, "1.0"), (CODE, "1.1")} <= every
    current = every - {(CODE, "1.0")}
    for q in ("数据", "data cleaning", "", f"{CODE} 数据"):
        named = index.search(SearchRequest(q, versions=current, per_page=100))
        assert named.total and {(h["code"], h["version"]) for h in named.hits} <= current
        unnamed = index.search(SearchRequest(q, per_page=100))
        assert named.total < unnamed.total  # 1.0's matches are left out, nothing else
        if unnamed.total <= 100:  # the whole answer on one page: the same hits, in the same order, less 1.0's
            assert _keys(named) == [k for k in _keys(unnamed) if (k[0], k[1]) in current]


def test_a_request_searches_only_the_versions_it_names(index):
    from registry.search import SearchRequest

    old = index.search(SearchRequest("数据", versions={(CODE, "1.0")}, per_page=100))
    assert old.total > 0 and {(h["code"], h["version"]) for h in old.hits} == {(CODE, "1.0")}
    assert sum(f["count"] for f in old.facets["occupation"]) == old.total  # facets count within them too
    assert index.search(SearchRequest("数据", versions=set())).total == 0
    assert index.search(SearchRequest("数据", versions={("9-99-99-99", "1.0")})).total == 0
    # a version typed in the query is searched whatever the request names, as whatever its status
    named = index.search(SearchRequest(f"{CODE}@1.0", versions={(CODE, "1.1")}, per_page=100))
    assert {(h["code"], h["version"]) for h in named.hits} == {(CODE, "1.0")}


def test_the_drafts_searched_with_named_versions_stay_in(index):
    from registry.search import SearchRequest
    from registry.search.records import VersionRecord

    source = next(r for r in records() if r.code == CODE and r.version == "1.1")
    draft = VersionRecord(CODE, "1.2", "draft", source.document, None, 41, "fingerprint")
    found = index.search(SearchRequest("数据", versions={(CODE, "1.0")}, per_page=100), [draft])
    assert {(h["code"], h["version"], h["status"]) for h in found.hits} == {
        (CODE, "1.0", "published"), (CODE, "1.2", "draft")}  # the service turns "published" into the standing
