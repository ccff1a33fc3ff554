"""Public pages: rendering, languages, labels, the diff, browsing, the feed and error pages (both backends)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from registry.db import write_session

from ..conftest import STANDARDS
from ..web_helpers import csrf, searchable

CODE = "4-04-05-05"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def page(client, url: str, headers=EN) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def publish_variant(engine, edit, version: str = "3.0") -> None:
    """Publish ``version`` of the sample standard: 2.0's YAML changed by ``edit``."""
    from registry.services import catalog
    from registry.services.context import SYSTEM

    text = (STANDARDS / CODE / "2.0.yaml").read_text("utf-8")
    text = edit(re.sub(r"(?m)^version: .*$", f"version: '{version}'", text, count=1))
    with write_session(engine) as session:
        catalog.publish(session, catalog.validate_upload(text.encode()), SYSTEM)


@pytest.mark.parametrize("url", ["/", "/standards", f"/standards/{CODE}", f"/standards/{CODE}/1.0",
                                 f"/standards/{CODE}/diff?from=1.0&to=2.0", "/search?q=annotation", "/login",
                                 "/standards?sector=artificial-intelligence", "/standards?by=occupation",
                                 "/standards?group=2-02-38"])
def test_public_pages_render_with_security_headers(app, client, corpus, url, corpus_index):
    searchable(app, corpus_index)
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    # the language is negotiated from these headers: shared caches keep one copy per language
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in headers["Vary"].split(",")}
    assert "<script" not in response.get_data(as_text=True)


def test_home_names_sectors_and_occupation_groups_in_the_interface_language(client, corpus):
    english, chinese = page(client, "/"), page(client, "/", ZH)
    assert ">Artificial intelligence</a>" in english and ">人工智能</a>" in chinese
    assert ">artificial-intelligence<" not in english + chinese  # slugs only in links
    assert "数字技术工程技术人员" in chinese and "Digital-technology engineering" in english
    assert 'href="/standards?group=2-02-38"' in english and 'name="q"' in english
    assert f"/standards/{CODE}/2.0" in english
    # each sector with the number of its standards
    count = re.search(r'>Artificial intelligence</a> <span class="count">(\d+)</span>', english).group(1)
    listed = page(client, "/standards?sector=artificial-intelligence")
    assert int(count) == len(set(re.findall(r'href="/standards/(\d-\d\d-\d\d-\d\d)"', listed))) >= 1


def test_browse_by_occupation_group_with_counts(client, corpus):
    groups = page(client, "/standards?by=occupation", ZH)
    match = re.search(r'href="/standards\?group=2-02-38">.*?<span class="count">(\d+)</span>', groups, re.S)
    assert match and int(match.group(1)) == len(list((STANDARDS).glob("2-02-38-*")))
    assert "数字技术工程技术人员" in groups  # the one group title the sources confirm
    assert 'href="/standards?group=4-04-05"' in groups  # other groups by their code alone
    one_group = page(client, "/standards?group=2-02-38")
    codes = set(re.findall(r'href="/standards/([0-9-]+)"', one_group))
    assert codes == {p.name for p in STANDARDS.glob("2-02-38-*")}
    sub_major = set(re.findall(r'href="/standards/([0-9-]+)"', page(client, "/standards?group=4-04")))
    assert sub_major == {"4-04-04-02", "4-04-05-05"}
    assert page(client, "/standards?group=x'--") and "2-06-07-13" in page(client, "/standards?group=x'--")


def test_browse_by_sector_uses_labels_in_english(client, corpus):
    body = page(client, "/standards")
    assert "<h2>Artificial intelligence</h2>" in body and "<h2>artificial-intelligence</h2>" not in body
    assert '<option value="big-data">Big data (' in body


def test_standard_page_shows_tables_history_and_downloads(client, corpus):
    body = page(client, f"/standards/{CODE}")
    assert "Version history" in body and "Weight tables" in body and "Work requirements" in body
    assert re.findall(r"<h2[^>]*>(.*?)</h2>", body)[:3] == ["Contents", "Overview", "Levels and directions"]
    assert "Level 5 / Junior worker" in body and "Training hours" in body
    buttons = dict(re.findall(r'<a class="button" href="/standards/[^/]+/2\.0(\.[a-z.]+)"[^>]*>([^<]+)</a>', body))
    assert {buttons.get(s) for s in (".pdf", ".html", ".csv", ".case.json", ".yaml")} == \
        {"PDF", "HTML", "CSV", "CASE JSON", "YAML"}
    # each version's standing and the days it is in force (the end is the day before its successor's start)
    history = {version: (status, cells) for version, status, cells in re.findall(
        r'<tr data-version="([\d.]+)" data-status="([\w-]+)"[^>]*>(.*?)</tr>', body, re.S)}
    assert history["2.0"][0] == "in-force" and "In force" in history["2.0"][1]
    assert "2025-07-01 – " in history["2.0"][1]
    assert history["1.0"][0] == "superseded" and "Superseded" in history["1.0"][1]
    assert "not stated – 2025-06-30" in history["1.0"][1]  # 1.0 states no start: no date is invented
    assert "superseded" in body and "diff?from=1.0&amp;to=2.0" in body
    assert 'id="R-L5-collect-acq-1"' in body  # items are anchors that search results link to
    assert re.search(r'<div class="scroll" tabindex="0"><table class="listing history">', body)  # phones scroll it
    assert re.search(r'<code class="hash">[0-9a-f]{64}</code>', body)  # the sha256 wraps


def test_documents_follow_the_interface_language_with_master_fallback(client, corpus):
    english, chinese = page(client, f"/standards/{CODE}"), page(client, f"/standards/{CODE}", ZH)
    assert "Data annotation" in english and "Version history" in english
    assert "数据标注" in chinese and "版本历史" in chinese


def test_a_missing_translation_falls_back_to_the_master_text_marked_with_its_language(client, corpus, engine):
    english = "Can collect raw business data with equipment, tools and data interfaces"
    publish_variant(engine, lambda text: re.sub(rf"\n\s+en: {english}[^\n]*", "", text, count=1))
    body = page(client, f"/standards/{CODE}/3.0")
    assert english not in body
    item = re.search(r'<li id="R-L5-collect-acq-1">(.*?)</li>', body, re.S).group(1)
    assert '<span lang="zh-Hans">能利用设备、工具和数据接口等完成原始业务数据采集' in item
    assert '<span lang="zh-Hans">' not in re.search(r'<li id="R-L5-collect-acq-2">(.*?)</li>', body, re.S).group(1)
    assert '<span lang="' not in re.search(r'<li id="R-L5-collect-acq-1">(.*?)</li>',
                                           page(client, f"/standards/{CODE}/3.0", ZH), re.S).group(1)


def test_the_language_choice_persists_in_a_long_lived_cookie(client, corpus):
    response = client.get("/lang?lang=zh&next=/standards")  # the header's GET form: no session, no token
    assert response.status_code == 302 and response.headers["Location"] == "/standards"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("registry_lang=zh") and "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie
    assert "版本历史" in page(client, f"/standards/{CODE}", EN)  # the cookie beats the browser's language
    assert client.post("/lang", data={"lang": "en"}).status_code == 400  # a POST still needs its token
    token = csrf(client, "/login")
    assert client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token}).status_code == 302
    assert "Version history" in page(client, f"/standards/{CODE}", ZH)
    evil = client.get("/lang?lang=zh&next=//evil.example/")
    assert evil.headers["Location"] == "/"


def test_lang_in_the_address_shows_that_language_and_remembers_it(client, corpus):
    response = client.get(f"/standards/{CODE}?lang=zh", headers=EN)
    assert "版本历史" in response.get_data(as_text=True) and "registry_lang=zh" in response.headers["Set-Cookie"]
    body = page(client, f"/standards/{CODE}")
    assert "版本历史" in body
    # the switch comes back to the same page without the ?lang= that would override it
    assert f'name="next" value="/standards/{CODE}"' in page(client, f"/standards/{CODE}?lang=en")


def test_anonymous_pages_need_no_session_cookie(app, client, corpus, corpus_index):
    searchable(app, corpus_index)
    for url in ("/", "/standards", f"/standards/{CODE}", "/search?q=annotation"):
        assert "Set-Cookie" not in client.get(url).headers, url


def test_language_switch_is_a_labelled_group(client, corpus):
    body = page(client, "/")
    form = re.search(r'<form method="get" action="/lang" class="lang">.*?</form>', body, re.S).group(0)
    assert "<fieldset>" in form and re.search(r"<legend[^>]*>Language</legend>", form)
    assert 'aria-pressed="true"' in form


# --- the diff ------------------------------------------------------------------------------------


def test_diff_page_shows_class_summary_and_changed_words_in_the_interface_language(client, corpus):
    english, chinese = (page(client, f"/standards/{CODE}/diff?from=1.0&to=2.0", h) for h in (EN, ZH))
    assert "major change" in english and "reworded" in english and "requirement" in english
    assert "主版本变更" in chinese and "改写" in chinese and "技能要求" in chinese and "理论知识权重表" in chinese
    row = re.search(r'<tr class="reworded " data-item="R-L5-collect-acq-1".*?</tr>', english, re.S).group(0)
    assert "<del>" in row and "<ins>" in row and 'lang="zh-Hans"' in row and 'lang="en"' in row
    # a moved item: same text, its old and new place (level, function, display number) side by side
    moved = re.search(r'<tr class="moved " data-item="R-L5-ops-maint-3" data-change="moved">.*?</tr>', english,
                      re.S).group(0)
    before, after = (re.search(rf'<td class="{side}"[^>]*>(.*?)</td>', moved, re.S).group(1) for side in ("before", "after"))
    assert "3.2.3" in before and "1.1.4" in after and "<del>" not in moved
    # lists are readable text, not JSON with \u escapes
    keywords = re.search(r'<tr data-field="\$\.keywords">.*?</tr>', chinese, re.S).group(0)
    assert "\\u" not in keywords and "人工智能; 数据标注" in keywords and "<ins>; 大模型</ins>" in keywords
    assert client.get(f"/standards/{CODE}/diff?from=x&to=2.0").status_code == 400
    assert client.get(f"/standards/{CODE}/diff?from=1.0&to=9.0").status_code == 404


def test_a_change_to_the_master_text_alone_shows_in_the_english_interface(client, corpus, engine):
    old = "能利用设备、工具和数据接口等完成原始业务数据采集"
    publish_variant(engine, lambda text: text.replace(old, "能利用设备、工具和数据接口等完成业务数据采集", 1))
    body = page(client, f"/standards/{CODE}/diff?from=2.0&to=3.0")
    row = re.search(r'<tr class="reworded " data-item="R-L5-collect-acq-1".*?</tr>', body, re.S).group(0)
    before, after = (re.search(rf'<td class="{side}"[^>]*>(.*?)</td>', row, re.S).group(1) for side in ("before", "after"))
    assert '<p class="lt" lang="zh-Hans">' in before and "<del>原始</del>" in before and "原始" not in after
    assert "Chinese" in before  # the language is named when it is not the interface's
    assert '<p class="lt" lang="en">' not in row  # the English text did not change: not shown as a change


# --- search --------------------------------------------------------------------------------------


def test_search_results_follow_the_interface_language(app, client, corpus, corpus_index):
    searchable(app, corpus_index)
    english, chinese = (page(client, "/search?q=数据标注&kind=standard", h) for h in (EN, ZH))
    assert "National Occupational Skill Standard for Artificial Intelligence Trainers" in english
    assert "人工智能训练师国家职业技能标准" in chinese
    assert "Artificial Intelligence Trainers" not in chinese


def test_search_facets_have_labels_in_both_languages(app, client, corpus, corpus_index):
    searchable(app, corpus_index)
    chinese = page(client, "/search?q=数据标注", ZH)
    assert "<mark>" in chinese and "细化结果" in chinese
    facets = re.search(r'<aside aria-labelledby="facets-h" class="facets">(.*?)</aside>', chinese, re.S).group(1)
    assert "<h3>行业</h3>" in facets and "<h3>等级</h3>" in facets and "<h3>类别</h3>" in facets
    assert ">人工智能</a>" in facets and ">四级/中级工</a>" in facets and ">技能要求</a>" in facets
    assert f">{CODE} 人工智能训练师国家职业技能标准" in facets and 'href="/search?q=%E6' in facets
    assert "?q=%E6%95%B0%E6%8D%AE%E6%A0%87%E6%B3%A8&amp;code=4-04-05-05" in facets  # occupation filters by code
    english = page(client, "/search?q=annotation&level=L4")
    assert "Level: Level 4 / Intermediate worker" in english and "<mark>" in english
    assert "<h3>level</h3>" not in english and ">L4<" not in english
    # words, not codes: directions by their names, the part of the standard, each level scheme apart
    assert ">cv</a>" not in facets and ">nlp</a>" not in facets and "计算机视觉" in facets
    assert "<h3>标准部分</h3>" in facets and ">工作要求</a>" in facets and "part" not in re.sub(r"<[^>]*>", "", facets)
    schemes = re.findall(r'<h4 class="scheme">([^<]+)</h4>', facets)
    assert schemes == ["职业技能等级", "专业技术等级"]
    assert facets.index(">五级/初级工</a>") < facets.index("专业技术等级") < facets.index(">初级</a>")


def test_marked_snippets_cannot_carry_markup():
    from registry.web.common import marked

    assert str(marked("a &lt;b&gt; <mark>x</mark>")) == "a &lt;b&gt; <mark>x</mark>"
    assert "<script>" not in str(marked("<script>alert(1)</script><mark><img src=x></mark>"))


# --- the feed ------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def feed_entries(client) -> list[ET.Element]:
    response = client.get("/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    return ET.fromstring(response.get_data()).findall(f"{ATOM}entry")


def test_feed_entries_say_what_changed_in_chinese_and_english(client, corpus):
    from registry.diff import diff_documents
    from registry.loader import load_bytes

    entry = next(e for e in feed_entries(client) if f"{CODE} 2.0" in e.findtext(f"{ATOM}title"))
    title, summary = entry.findtext(f"{ATOM}title"), entry.findtext(f"{ATOM}summary")
    assert title.startswith("发布") and "Published" in title and "人工智能训练师" in title
    assert "与 1.0 版相比" in summary and "Changes since 1.0" in summary and "major change" in summary
    assert entry.find(f"{ATOM}category").get("term") == "major"
    related = entry.find(f"{ATOM}link[@rel='related']").get("href")
    assert related.endswith(f"/standards/{CODE}/diff?from=1.0&to=2.0")
    old, new = (load_bytes((STANDARDS / CODE / f"{v}.yaml").read_bytes()).data for v in ("1.0", "2.0"))
    changed = [c.item_id for c in diff_documents(old, new).items]
    content = entry.find(f"{ATOM}content/{XHTML}div")
    parts = {div.get("lang"): div for div in content.findall(f"{XHTML}div")}
    assert set(parts) == {"zh-Hans", "en"}
    named = [code.text for code in parts["en"].iter(f"{XHTML}code")]
    assert named == changed[:10]  # the first changed items, by ID, in the diff's order
    english = "".join(parts["en"].itertext())
    assert "reworded (requirement)" in english and f"{len(changed) - 10} more changes" in english
    assert "改写 (技能要求)" in "".join(parts["zh-Hans"].itertext())


def test_feed_names_the_reason_of_a_withdrawal(client, corpus, engine):
    from registry.services import catalog
    from registry.services.context import SYSTEM

    with write_session(engine) as session:
        catalog.withdraw(session, CODE, "2.0", SYSTEM, "issued in error")
    entry = feed_entries(client)[0]
    assert entry.findtext(f"{ATOM}title").startswith("撤销") and "Withdrawn" in entry.findtext(f"{ATOM}title")
    assert "撤销理由: issued in error" in entry.findtext(f"{ATOM}summary")
    assert "Reason for the withdrawal: issued in error" in entry.findtext(f"{ATOM}summary")
    content = "".join(entry.find(f"{ATOM}content").itertext())
    assert "Standing today: Withdrawn" in content and "今日状态: 已撤销" in content


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers,heading", [(EN, "Not found"), (ZH, "未找到")])
def test_unknown_addresses_get_the_site_page_in_the_chosen_language(client, headers, heading):
    response = client.get("/no/such/page", headers=headers)
    assert response.status_code == 404 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in body and '<main id="main">' in body
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.is_json


@pytest.mark.parametrize("headers,text", [(EN, "CSRF check failed"), (ZH, "CSRF")])
def test_a_failed_csrf_check_gets_the_site_page(client, headers, text):
    response = client.post("/logout", headers=headers)
    assert response.status_code == 400 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert text in body and '<main id="main">' in body and "Bad Request" not in body
    if headers is ZH:
        assert "表单" in body


def test_verify_page_keeps_its_behaviour(client):
    assert client.get("/verify/" + "0" * 64).status_code == 404
