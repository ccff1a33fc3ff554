"""Text analysis (registry.search.analysis): Chinese segmented by jieba, English stemmed, the same at
index and query time, positions that phrases can rely on, and jieba's dictionary cache."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

from .helpers import CODE, ids, search


@pytest.mark.parametrize("q", ["数据清洗方法", "数据清洗的方法", "结构化数据采集", "数据annotation"])
def test_chinese_typed_without_spaces_is_segmented_and_its_words_anded(sclient, corpus, q):
    spaced = {"数据清洗方法": "数据 清洗 方法", "数据清洗的方法": "数据 清洗 方法",
              "结构化数据采集": "结构化 数据 采集", "数据annotation": "数据 annotation"}[q]
    result = search(sclient, q=q, per_page=100)
    assert result["total"] > 0
    assert set(ids(result)) == set(ids(search(sclient, q=spaced, per_page=100)))


def test_unspaced_chinese_finds_items_whose_words_are_apart_or_in_another_order(sclient, corpus):
    hit = search(sclient, q="结构化数据采集")["hits"][0]
    assert "采集结构化数据" in hit["text"]  # the words in another order
    assert search(sclient, q="数据清洗的方法")["total"] == search(sclient, q="数据清洗方法")["total"] > 1


def test_english_query_is_stemmed_the_same_way_at_index_and_query_time(sclient, corpus):
    forms = {q: {h[:4] for h in ids(search(sclient, q=q, per_page=100))}
             for q in ("cleaning", "cleaned", "clean", "cleans")}
    assert forms["cleaning"] and len({frozenset(v) for v in forms.values()}) == 1
    hit = search(sclient, q="data cleaning")["hits"][0]
    assert hit["lang"] == "en" and "cleaning" in hit["text"].lower()


def test_a_query_in_each_language_finds_the_same_bilingual_item(sclient, corpus):
    zh = ids(search(sclient, q="数据清洗常用方法", kind="knowledge"))
    en = ids(search(sclient, q="common data cleaning methods", kind="knowledge"))
    assert zh[0] == en[0] == (CODE, "1.1", "knowledge", zh[0][3])


def test_a_mixed_chinese_and_english_query_needs_both(sclient, corpus):
    result = search(sclient, q="数据 annotation", per_page=5)
    assert 0 < result["total"] < search(sclient, q="annotation")["total"]
    for hit in result["hits"]:
        assert "<mark>数据</mark>" in hit["snippet"]  # shown in the master language, Chinese
        english = search(sclient, q="annotation", code=hit["code"], kind=hit["kind"], per_page=100)
        assert hit["item_id"] in {h["item_id"] for h in english["hits"]}


def test_english_phrase_positions_survive_chinese_segmentation():
    from registry.search.analysis import analyze

    tokens = analyze("使用Python进行数据分析 and data cleaning", "english", subwords=False)
    positions = {t: p for t, p, *_ in tokens}
    assert positions["clean"] == positions["data"] + 1
    assert positions["python"] + 1 == positions["进行"]


def _python(code: str, **env) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_jiebas_dictionary_cache_is_private(tmp_path):
    out = _python("from registry.search import analysis\n"
                  "from registry.search.service import open_index\n"
                  f"open_index({str(tmp_path / 'index')!r})\n"
                  "analysis.analyze('数据清洗', 'english')\n"
                  "print(analysis.jieba_trie_path())", TMPDIR=str(tmp_path / "tmp"))
    trie = Path(out.strip())
    assert trie.parent == tmp_path / "index" / "cache" and trie.exists()
    assert stat.S_IMODE(trie.stat().st_mode) == 0o600 and stat.S_IMODE(trie.parent.stat().st_mode) == 0o700
    # without an index directory: a folder of the user's own, not a predictable file in shared /tmp
    (tmp_path / "tmp").mkdir()
    out = _python("from registry.search import analysis\nanalysis.analyze('数据清洗', 'english')\n"
                  "print(analysis.jieba_trie_path())", TMPDIR=str(tmp_path / "tmp"))
    folder = Path(out.strip()).parent
    assert folder == tmp_path / "tmp" / f"registry-{os.getuid()}" and stat.S_IMODE(folder.stat().st_mode) == 0o700
