"""The vectorised evaluation of queries (registry.postings), checked against a plain evaluation of
the same postings one document at a time: matches, scores, phrases, the stable ranking order."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from registry import postings as P

#: a small segment: document -> field -> the terms at positions 0, 1, 2, ...
DOCS = [
    {"body": "data cleaning of data sets", "kind": "requirement"},
    {"body": "cleaning data", "kind": "requirement"},
    {"body": "data quality and data cleaning rules", "kind": "knowledge"},
    {"body": "network security", "kind": "requirement"},
    {"body": "security of data cleaning", "kind": "knowledge"},
    {"body": "data", "kind": "standard"},
]


def _mirror(docs=DOCS) -> P.Mirror:
    builder = P.MirrorBuilder(len(docs))
    words = sorted({w for d in docs for w in d["body"].split()})
    for word in words:
        found, weights, gaps = [], [], []
        for n, doc in enumerate(docs):
            positions = [i for i, w in enumerate(doc["body"].split()) if w == word]
            if positions:
                found.append(n)
                weights.append(float(len(positions)))
                gaps.append([b - a for a, b in zip([0, *positions], positions)])
        builder.add("body", word, found, weights, gaps)
    for kind in sorted({d["kind"] for d in docs}):
        builder.add("kind", kind, [n for n, d in enumerate(docs) if d["kind"] == kind])
    lengths = [len(d["body"].split()) for d in docs]
    builder.set_lengths("body", lengths, sum(lengths))
    return builder.build()


def _bm25(word: str, doc: int, docs=DOCS) -> float:
    """Whoosh's BM25F, written out for one term in one document."""
    tf = docs[doc]["body"].split().count(word)
    df = sum(word in d["body"].split() for d in docs)
    idf = math.log(len(docs) / (df + 1)) + 1
    average = sum(len(d["body"].split()) for d in docs) / len(docs)
    length = len(docs[doc]["body"].split())
    return idf * (tf * (P.K1 + 1)) / (tf + P.K1 * ((1 - P.B) + P.B * length / average))


def _run(plan, mirror=None):
    mirror = mirror or _mirror()
    mask, score = P.evaluate(plan, mirror, P.Statistics([mirror]))
    return set(np.flatnonzero(mask).tolist()), score


def test_a_term_matches_its_documents_with_whooshs_bm25_score():
    found, score = _run(P.Term("body", "cleaning"))
    assert found == {0, 1, 2, 4}
    for doc in found:
        assert score[doc] == pytest.approx(_bm25("cleaning", doc), rel=1e-5)
    boosted = _run(P.Term("body", "cleaning", boost=4.0))[1]
    assert boosted[0] == pytest.approx(4 * score[0], rel=1e-5)


def test_boolean_plans():
    data, security = P.Term("body", "data"), P.Term("body", "security")
    assert _run(P.And((data, security)))[0] == {4}
    assert _run(P.Or((data, security)))[0] == {0, 1, 2, 3, 4, 5}
    assert _run(P.AndNot(data, security))[0] == {0, 1, 2, 5}
    assert _run(P.Not(data))[0] == {3}
    assert _run(P.And((data, P.Term("kind", "knowledge", scored=False))))[0] == {2, 4}
    assert _run(P.Term("body", "absent"))[0] == set()
    assert _run(P.Nothing())[0] == set() and _run(P.Every())[0] == set(range(len(DOCS)))


def test_scores_of_boolean_plans_add_up_like_whooshs():
    data, cleaning = P.Term("body", "data"), P.Term("body", "cleaning")
    found, score = _run(P.And((data, cleaning)))
    for doc in found:
        assert score[doc] == pytest.approx(_bm25("data", doc) + _bm25("cleaning", doc), rel=1e-5)
    found, score = _run(P.Or((data, P.Term("body", "network"))))
    assert score[3] == pytest.approx(_bm25("network", 3), rel=1e-5)
    found, score = _run(P.Const(data, 7.0))
    assert {float(score[d]) for d in found} == {7.0}
    found, score = _run(P.Maybe(data, P.Const(cleaning, 2.0)))
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
    assert _run(P.Phrase("body", terms, slop))[0] == expected


def test_phrases_against_a_plain_evaluation_on_random_documents():
    rnd = random.Random(3)
    vocabulary = "a b c d e".split()
    docs = [{"body": " ".join(rnd.choice(vocabulary) for _ in range(rnd.randint(1, 12))), "kind": "k"}
            for _ in range(300)]
    mirror = _mirror(docs)
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
        assert _run(P.Phrase("body", terms, slop), mirror)[0] == expected, (terms, slop)


def test_a_mirror_written_and_read_back_is_the_same(tmp_path):
    mirror = _mirror()
    P.write_mirror(mirror, tmp_path, "MAIN_x")
    again = P.read_mirror(tmp_path, "MAIN_x")
    assert again is not None and dict(again.terms.items()) == mirror.terms
    assert again.terms.get(("body", "absent")) is None and len(again.terms) == len(mirror.terms)
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]  # no temporary file left
    for name in ("t_start", "t_scored", "docs", "weights", "p_start", "positions"):
        assert np.array_equal(getattr(again, name), getattr(mirror, name)), name
    assert np.array_equal(again.lengths["body"], mirror.lengths["body"])
    assert P.read_mirror(tmp_path, "MAIN_missing") is None
    for plan in (P.Term("body", "data"), P.Phrase("body", ("data", "cleaning"))):
        assert _run(plan, again)[0] == _run(plan, mirror)[0]


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


def test_a_mirror_that_fails_to_write_is_not_there_and_leaves_nothing_behind(tmp_path, monkeypatch):
    """A full disk in the middle of writing: no mirror for readers to find (its JSON is written
    last), and no temporary file left in the generation's folder."""
    real_save = np.save

    def fail_on_positions(handle, array, **kwargs):
        if "positions" in getattr(handle, "name", ""):
            raise OSError(28, "No space left on device")
        return real_save(handle, array, **kwargs)

    monkeypatch.setattr(P.np, "save", fail_on_positions)
    with pytest.raises(OSError):
        P.write_mirror(_mirror(), tmp_path, "MAIN_x")
    assert P.read_mirror(tmp_path, "MAIN_x") is None
    assert not [f.name for f in tmp_path.iterdir() if f.name.startswith(".")]


def test_an_evaluation_past_its_deadline_stops():
    mirror = _mirror()
    plan = P.Or(tuple(P.Term("body", w) for w in ("data", "cleaning", "security")))
    with pytest.raises(P.TimeLimit):
        P.evaluate(plan, mirror, P.Statistics([mirror]), deadline=0.0)  # time.monotonic() is past 0
    mask, _ = P.evaluate(plan, mirror, P.Statistics([mirror]), deadline=math.inf)
    assert mask.sum() == 6
