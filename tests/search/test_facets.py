"""Facet counts (registry.search.facets): over every match, not only the page shown."""

from __future__ import annotations

from .helpers import search


def test_facets_count_every_match(sclient, corpus):
    result = search(sclient, q="数据")
    facets = result["facets"]
    assert set(facets) == {"sector", "level", "direction", "occupation", "kind", "type", "part"}
    assert sum(f["count"] for f in facets["kind"]) == result["total"]
    assert sum(f["count"] for f in facets["occupation"]) == result["total"]
    assert sum(f["count"] for f in facets["sector"]) == result["total"]
    filtered = search(sclient, q="数据", sector=facets["sector"][0]["value"])
    assert filtered["total"] == facets["sector"][0]["count"]
