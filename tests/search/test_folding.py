"""Folding (registry.search.folding): traditional characters, Taiwan words and full-width forms match
their simplified and half-width forms, without turning mainland words into Taiwan ones."""

from __future__ import annotations

import pytest

from .helpers import ids, search


@pytest.mark.parametrize("variant, plain", [
    ("數據清洗", "数据清洗"),               # traditional characters
    ("軟體", "软件"),                       # a Taiwan word
    ("資料庫", "数据库"),                   # a Taiwan word
    ("ＤＡＴＡ　ＣＬＥＡＮＩＮＧ", "data cleaning"),  # full-width letters and space
    ("数据清洗，ＳＱＬ", "数据清洗,SQL"),
])
def test_traditional_and_full_width_variants_find_the_same_items(sclient, corpus, variant, plain):
    expected = ids(search(sclient, q=plain, per_page=50))
    assert expected and ids(search(sclient, q=variant, per_page=50)) == expected


def test_traditional_text_in_a_document_is_found_by_a_simplified_query():
    from registry.search.analysis import analyze

    assert [t for t, *_ in analyze("數據標註與機器學習", "english")] == [t for t, *_ in analyze("数据标注与机器学习", "english")]
    assert [t for t, *_ in analyze("軟體程式設計", "english", subwords=False)] == \
        [t for t, *_ in analyze("软件编程", "english", subwords=False)]


def test_mainland_words_are_not_converted_as_taiwan_words():
    from registry.search.folding import fold

    assert fold("程序设计与文件管理") == "程序设计与文件管理"  # tw2sp alone would give 进程设计与文档管理
