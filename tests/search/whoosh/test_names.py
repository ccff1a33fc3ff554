"""Whoosh's new segments get names that nothing can make repeat, not even a reseeded ``random``
(Hypothesis reseeds it before each case it draws, in the process of a server under test)."""

from __future__ import annotations

import random

from ..helpers import GapFeed, records


def test_changes_applied_after_the_global_random_is_reseeded_each_get_a_segment_of_their_own(tmp_path):
    from registry.search import SearchRequest
    from registry.search.whoosh import WhooshIndex
    from registry.search.whoosh.generations import open_index

    first, second, third = records()[:3]
    feed = GapFeed()
    index = WhooshIndex(tmp_path / "index")
    index.rebuild(feed, procs=1)
    for seq, record in enumerate((first, second, third), start=1):
        random.seed(2024)  # the same state before each commit: Whoosh's own names would repeat
        feed.entries[seq] = record
        index.catch_up(feed)
    names = [s.segment_id() for s in open_index(index.views.current(force=True).path)._segments()]
    assert len(names) == len(set(names)) >= 2
    found = {h["code"] for h in index.search(SearchRequest(kind="standard", all_versions=True)).hits}
    assert found == {first.code, second.code, third.code}
    index.close()
