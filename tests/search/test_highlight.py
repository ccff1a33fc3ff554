"""Hits as answered (registry.search.highlight): the text in the language shown, the query's terms
marked on the right characters, a link to the version."""

from __future__ import annotations

from .helpers import CODE, search


def test_chinese_query_finds_chinese_items_with_highlights(sclient, corpus):
    result = search(sclient, q="数据清洗")
    assert result["total"] >= 3
    top = result["hits"][0]
    assert "数据清洗" in top["text"] and top["lang"] == "zh"
    assert "<mark>数据清洗</mark>" in top["snippet"] or "<mark>数据</mark><mark>清洗</mark>" in top["snippet"]
    for hit in result["hits"]:
        assert "<mark>" in hit["snippet"]
        assert set(hit) >= {"code", "version", "title", "level", "direction", "function", "item_id", "kind",
                            "part", "text", "snippet", "score", "url"}


def test_highlights_stay_on_the_right_characters_when_a_phrase_changes_length():
    from registry.search.analysis import analyze
    from registry.search.highlight import snippet

    text = "學習程式設計與軟體"  # 程式設計 becomes 编程: two characters fewer
    spans = {term: text[start:end] for term, _, start, end in analyze(text, "english", subwords=False)}
    assert spans["编程"] == "程式設計" and spans["软件"] == "軟體"
    assert snippet(text, "zh", {"cjk": {"软件"}, "latin": set()}) == "學習程式設計與<mark>軟體</mark>"


def test_hits_link_to_the_version(sclient, corpus):
    hit = search(sclient, q="数据清洗常用方法")["hits"][0]
    assert hit["url"] == f"/api/v1/standards/{CODE}/versions/1.1#{hit['item_id']}"
    assert sclient.get(hit["url"].split("#")[0]).status_code == 200
