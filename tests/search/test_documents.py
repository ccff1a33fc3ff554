"""The index documents of a version (registry.search.documents): the basic requirements' knowledge
is searchable, is a part of its own, and belongs to every level."""

from __future__ import annotations

import pytest

from .helpers import CODE, error, search


@pytest.mark.parametrize("q, item", [("计算机组成原理", "BK-computing-1"), ("computer organisation", "BK-computing-1"),
                                     ("professional ethics", "E-K1"), ("职业道德基本知识", "E-K1")])
def test_the_knowledge_of_the_basic_requirements_is_searchable(sclient, corpus, q, item):
    hits = search(sclient, q=q, code=CODE)["hits"]
    assert hits and (hits[0]["item_id"], hits[0]["kind"], hits[0]["part"]) == (item, "knowledge", "basic")
    assert hits[0]["level"] is None and hits[0]["url"].endswith(f"/standards/{CODE}/versions/1.1#{item}")


def test_basic_items_are_a_facet_and_a_filter(sclient, corpus):
    facets = {f["value"]: f["count"] for f in search(sclient, q="知识", code=CODE)["facets"]["part"]}
    assert facets["basic"] > 0 and facets["work"] > 0
    basic = search(sclient, q="知识", code=CODE, part="basic", per_page=100)
    assert basic["total"] == facets["basic"] and {h["part"] for h in basic["hits"]} == {"basic"}
    assert {h["group"] for h in basic["hits"]} >= {"计算机与网络基础知识"}
    assert error(sclient, q="知识", part="extra")["details"]["field"] == "part"


def test_basic_items_belong_to_every_level(sclient, corpus):
    for level in {f["value"] for f in search(sclient, code=CODE, kind="standard")["facets"]["level"]}:
        assert "BK-computing-1" in {h["item_id"] for h in search(sclient, q="计算机组成原理", level=level)["hits"]}
