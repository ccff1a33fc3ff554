"""What the diff page shows a person: the languages whose text changed with the changed words marked,
where an item sits in words, and the summary in the interface's language."""

from __future__ import annotations

from registry.diff import Location, diff_documents
from registry.loader import load_bytes
from registry.web import diffview

from ..conftest import STANDARDS

CODE = "4-04-05-05"


def doc(version: str) -> dict:
    return load_bytes((STANDARDS / CODE / f"{version}.yaml").read_bytes()).data


def marked(segments) -> str:
    return "".join(f"[{s.text}]" if s.changed else s.text for s in segments)


def test_a_change_to_the_master_text_alone_is_shown_to_an_english_reader():
    old, new = doc("1.0"), doc("2.0")
    before = {"zh": "客观公正。", "en": "Be objective."}
    after = {"zh": "客观公正，坚持科技向善。", "en": "Be objective."}
    (change,) = diffview.changes(before, after, "en", old, new, texts=True)
    assert change.lang == "zh"
    assert marked(change.before) == "客观公正。"
    assert marked(change.after) == "客观公正[，坚持科技向善]。"


def test_changed_words_are_marked_in_every_language_that_changed_master_first():
    old, new = doc("1.0"), doc("2.0")
    reworded = diff_documents(old, new).by_kind("reworded")
    both = next(c for c in reworded if all(c.old_text[k] != c.new_text[k] for k in ("zh", "en")))
    zh, en = diffview.changes(both.old_text, both.new_text, "en", old, new, texts=True)
    assert (zh.lang, en.lang) == ("zh", "en")
    for change in (zh, en):
        assert any(s.changed for s in change.after)
        assert "".join(s.text for s in change.after) == both.new_text[change.lang]
    assert diffview.changes(both.old_text, both.old_text, "en", old, new, texts=True) == []


def test_a_value_that_is_not_a_text_is_shown_as_readable_text_in_no_language():
    (change,) = diffview.changes(["S"], ["S", "L"], "zh", doc("2.0"))
    assert change.lang is None and marked(change.after) == "S[; L]"
    (flag,) = diffview.changes(True, False, "en", doc("2.0"))
    assert marked(flag.before) == "[true]" and marked(flag.after) == "[false]"


def test_an_addition_shows_the_master_and_the_interface_language_only():
    new = doc("2.0")
    new = {**new, "languages": {"master": "zh", "translations": ["en", "fr"]}}
    added = diffview.changes(None, {"zh": "新", "en": "new", "fr": "nouveau"}, "en", new, texts=True)
    assert [c.lang for c in added] == ["zh", "en"]
    assert all(not c.before for c in added)


def test_where_an_item_sits_is_said_in_words_of_the_interface_language():
    new = doc("2.0")
    level = new["levels"][0]["id"]
    function = new["functions"][0]
    location = Location(level=level, direction=None, function=function["id"], work_content=None,
                        group=None, number="1.1.1")
    english = diffview.where(location, new, "en")
    chinese = diffview.where(location, new, "zh")
    assert english.endswith(f"{function['name']['en']} · 1.1.1") and english.count(" · ") == 2
    assert function["name"]["zh"] in chinese and chinese != english
    assert diffview.where(None, new, "en") == ""
    assert diffview.where(Location(level="L9", direction=None, function="gone", work_content=None, group=None,
                                   number=None), new, "en") == "L9 · gone"


def test_a_removed_function_is_named_from_the_older_document():
    old, new = doc("1.0"), doc("2.0")
    diff = diff_documents(old, new)
    for function_id in diff.functions_removed:
        name = diffview.part_name("function", function_id, new, old, "en")
        assert name != function_id
    assert diffview.part_name("function", "no-such-function", new, old, "en") == "no-such-function"


def test_the_summary_counts_each_kind_of_change_in_the_interface_language():
    diff = diff_documents(doc("1.0"), doc("2.0"))
    counts = diff.counts()
    english, chinese = diffview.summary(diff, "en"), diffview.summary(diff, "zh")
    assert f"{counts['added']} added" in english and f"weights changed ({counts['weights']} cells)" in english
    assert f"新增 {counts['added']} 项" in chinese and f"权重变更 {counts['weights']} 处" in chinese
    same = diff_documents(doc("2.0"), doc("2.0"))
    assert (diffview.summary(same, "en"), diffview.summary(same, "zh")) == ("no changes", "无变更")
