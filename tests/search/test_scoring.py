"""The vectorised evaluation (registry.search.scoring), checked against a plain evaluation of the same
postings one document at a time: matches, BM25F scores, phrases, a set of versions, the stable
ranking order; and the ranking a user sees through the API."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from registry.search import scoring as P

from .helpers import CODE, DOCS, evaluated, ids, search, small_mirror


def _bm25(word: str, doc: int, docs=DOCS) -> float:
    """Whoosh's BM25F, written out for one term in one document."""
    tf = docs[doc]["body"].split().count(word)
    df = sum(word in d["body"].split() for d in docs)
    idf = math.log(len(docs) / (df + 1)) + 1
    average = sum(len(d["body"].split()) for d in docs) / len(docs)
    length = len(docs[doc]["body"].split())
    return idf * (tf * (P.K1 + 1)) / (tf + P.K1 * ((1 - P.B) + P.B * length / average))


def test_a_term_matches_its_documents_with_whooshs_bm25_score():
    found, score = evaluated(P.Term("body", "cleaning"))
    assert found == {0, 1, 2, 4}
    for doc in found:
        assert score[doc] == pytest.approx(_bm25("cleaning", doc), rel=1e-5)
    boosted = evaluated(P.Term("body", "cleaning", boost=4.0))[1]
    assert boosted[0] == pytest.approx(4 * score[0], rel=1e-5)


def test_boolean_plans():
    data, security = P.Term("body", "data"), P.Term("body", "security")
    assert evaluated(P.And((data, security)))[0] == {4}
    assert evaluated(P.Or((data, security)))[0] == {0, 1, 2, 3, 4, 5}
    assert evaluated(P.AndNot(data, security))[0] == {0, 1, 2, 5}
    assert evaluated(P.Not(data))[0] == {3}
    assert evaluated(P.And((data, P.Term("kind", "knowledge", scored=False))))[0] == {2, 4}
    assert evaluated(P.Term("body", "absent"))[0] == set()
    assert evaluated(P.Nothing())[0] == set() and evaluated(P.Every())[0] == set(range(len(DOCS)))


def test_scores_of_boolean_plans_add_up_like_whooshs():
    data, cleaning = P.Term("body", "data"), P.Term("body", "cleaning")
    found, score = evaluated(P.And((data, cleaning)))
    for doc in found:
        assert score[doc] == pytest.approx(_bm25("data", doc) + _bm25("cleaning", doc), rel=1e-5)
    found, score = evaluated(P.Or((data, P.Term("body", "network"))))
    assert score[3] == pytest.approx(_bm25("network", 3), rel=1e-5)
    found, score = evaluated(P.Const(data, 7.0))
    assert {float(score[d]) for d in found} == {7.0}
    found, score = evaluated(P.Maybe(data, P.Const(cleaning, 2.0)))
    assert found == {0, 1, 2, 4, 5}
    assert score[5] == pytest.approx(_bm25("data", 5), rel=1e-5)  # no cleaning: nothing added
    assert score[0] == pytest.approx(_bm25("data", 0) + 2.0, rel=1e-5)


@pytest.mark.parametrize("terms, slop, expected", [
    (("data", "cleaning"), 1, {0, 2, 4}),       # side by side, in this order
    (("cleaning", "data"), 1, {1}),
    (("data", "sets"), 1, {0}),                  # the second "data" of doc 0
    (("cleaning", "sets"), 1, set()),           # three positions apart in doc 0 ...
    (("cleaning", "sets"), 3, {0}),             # ... which a slop of 3 allows
    (("of", "data", "cleaning"), 1, {4}),
    (("data", "cleaning", "rules"), 1, {2}),
    (("quality", "data"), 1, set()),
    (("quality", "data"), 2, {2}),
    (("data", "absent"), 1, set()),
])
def test_phrases_follow_positions_and_order(terms, slop, expected):
    assert evaluated(P.Phrase("body", terms, slop))[0] == expected


def test_phrases_against_a_plain_evaluation_on_random_documents():
    rnd = random.Random(3)
    vocabulary = "a b c d e".split()
    docs = [{"body": " ".join(rnd.choice(vocabulary) for _ in range(rnd.randint(1, 12))), "kind": "k"}
            for _ in range(300)]
    mirror = small_mirror(docs)
    for _ in range(200):
        terms = tuple(rnd.choice(vocabulary) for _ in range(rnd.randint(2, 3)))
        slop = rnd.randint(1, 3)
        expected = set()
        for n, doc in enumerate(docs):
            words = doc["body"].split()
            ends = {i for i, w in enumerate(words) if w == terms[0]}
            for term in terms[1:]:
                ends = {i for i, w in enumerate(words) if w == term and any(0 < i - e <= slop for e in ends)}
            if ends:
                expected.add(n)
        assert evaluated(P.Phrase("body", terms, slop), mirror)[0] == expected, (terms, slop)


@pytest.mark.parametrize("versions", [set(), {"A@1.0"}, {"A@1.1", "B@2.0"}, {"B@1.0", "C@9.9"},
                                      {d["vid"] for d in DOCS}])
def test_a_set_of_versions_keeps_their_documents_and_adds_nothing_to_scores(versions):
    data = P.Term("body", "data")
    found, score = evaluated(P.And((data, P.Among("vid", frozenset(versions)))))
    plain, plain_score = evaluated(data)
    assert found == {n for n in plain if DOCS[n]["vid"] in versions}
    assert all(score[n] == plain_score[n] for n in found)
    assert evaluated(P.Among("vid", frozenset(versions)))[0] == {n for n, d in enumerate(DOCS) if d["vid"] in versions}


def test_the_ranking_is_one_total_order_so_pages_never_overlap():
    rnd = random.Random(5)
    n = 500
    scores = np.array([rnd.choice([1.0, 2.0, 2.5]) for _ in range(n)], dtype=np.float32)  # many ties
    keys = np.array(rnd.sample(range(10_000), n), dtype=np.uint64)
    candidates = np.array(sorted(rnd.sample(range(n), 300)))
    whole = P.top(candidates, scores, keys, 300).tolist()
    expected = sorted(candidates.tolist(), key=lambda d: (-scores[d], keys[d], d))
    assert whole == expected
    for size in (1, 7, 10, 33):
        pages = [P.top(candidates, scores, keys, end).tolist()[end - size:end] for end in range(size, 301, size)]
        assert [d for page in pages for d in page] == expected[:len(pages) * size]
    by_key = P.top(candidates, None, keys, 20).tolist()
    assert by_key == sorted(candidates.tolist(), key=lambda d: (keys[d], d))[:20]


def test_an_evaluation_past_its_deadline_stops():
    mirror = small_mirror()
    plan = P.Or(tuple(P.Term("body", w) for w in ("data", "cleaning", "security")))
    with pytest.raises(P.TimeLimit):
        P.evaluate(plan, mirror, P.Statistics([mirror]), deadline=0.0)  # time.monotonic() is past 0
    mask, _ = P.evaluate(plan, mirror, P.Statistics([mirror]), deadline=math.inf)
    assert mask.sum() == 6


# --- the ranking through the API -----------------------------------------------------------------


def test_adjacent_words_rank_first_and_quotes_keep_a_strict_phrase(sclient, corpus):
    top = search(sclient, q="数据清洗方法")["hits"][0]
    assert "数据清洗" in top["text"] and "方法" in top["text"]
    assert search(sclient, q='"数据清洗的方法"')["total"] == 0  # not side by side in any item
    assert 0 < search(sclient, q='"数据清洗方法"')["total"] < search(sclient, q="数据清洗方法")["total"]


def test_title_matches_rank_first(sclient, corpus):
    result = search(sclient, q="人工智能训练师")
    assert (result["hits"][0]["kind"], result["hits"][0]["code"]) == ("standard", "4-04-05-05")
    english = search(sclient, q="artificial intelligence trainers")
    assert (english["hits"][0]["kind"], english["hits"][0]["code"]) == ("standard", "4-04-05-05")


def test_exact_matches_rank_first(sclient, corpus):
    for q in ("数据清洗常用方法。", "Common data-cleaning methods."):
        hit = search(sclient, q=q)["hits"][0]
        assert (hit["code"], hit["version"], hit["kind"]) == (CODE, "1.1", "knowledge"), q
        assert hit["text"] == q


@pytest.mark.parametrize("params", [{"kind": "requirement"}, {"sector": "artificial-intelligence"},
                                    {"q": "数据 OR data"}, {"q": "数据"}, {"q": "知识"}],
                         ids=["filter-kind", "filter-sector", "ranked-or", "ranked", "ranked-ties"])
def test_ten_pages_of_ten_are_one_page_of_a_hundred(sclient, corpus, params):
    whole = ids(search(sclient, **params, per_page=100))
    paged = [hit for page in range(1, 11) for hit in ids(search(sclient, **params, per_page=10, page=page))]
    assert len(whole) == 100 and len(set(whole)) == 100
    assert paged == whole
    assert ids(search(sclient, **params, per_page=100)) == whole  # and again


def test_without_words_the_order_is_code_version_then_document_order(sclient, corpus):
    hits = search(sclient, kind="requirement", all="1", per_page=100)["hits"]
    keys = [(h["code"], tuple(int(n) for n in h["version"].split("."))) for h in hits]
    assert keys == sorted(keys)
    first = search(sclient, code=CODE, per_page=3)["hits"]
    assert [h["kind"] for h in first] == ["standard", "knowledge", "knowledge"]  # the standard, then 2.1.1 ...
    assert first[1]["item_id"] == "E-K1"


def test_equal_scores_are_in_code_and_version_order(sclient, corpus):
    hits = search(sclient, q="professional ethics", per_page=100, all="1")["hits"]
    for before, after in zip(hits, hits[1:]):
        if before["score"] == after["score"]:
            assert (before["code"], before["version"]) <= (after["code"], after["version"])
