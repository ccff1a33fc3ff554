"""registry.render.html: the printed structure of a standard as HTML."""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import date

import pytest

from registry.documents import text_in
from registry.render import render_html

from .conftest import BASE, CORPUS_FILE, ROOT, Elements, info_for, load, squash, table_rows

# --- HTML: structure ------------------------------------------------------------------------------------


def test_sections_in_printed_order(corpus, example):
    for source, doc in (corpus, example):
        html = render_html(doc, lang="en", status_info=info_for(source))
        ids = Elements(html).ids()
        wanted = ["cover", "contents", "foreword", "part-1", "part-2", "part-3", "part-4"]
        wanted += ["part-5"] if doc.get("appendix") else []
        wanted += ["verification"]
        assert [i for i in ids if i in wanted] == wanted
    # the headings carry the printed part names in the master language
    source, doc = corpus
    html = render_html(doc, lang="zh", status_info=info_for(source))
    order = [html.index(s) for s in ("说明", "职业概况", "基本要求", "工作要求", "权重表", "附录", "验证信息")]
    assert order == sorted(order)


def test_cover_and_foreword_carry_identity_and_provenance(corpus):
    source, doc = corpus
    html = render_html(doc, lang="en", status_info=info_for(source))
    cover = html[html.index('id="cover"'):html.index('id="contents"')]
    for needle in ("国家职业技术技能标准", doc["code"], "人工智能工程技术人员", "2021年版", "1.0",
                   "中华人民共和国人力资源和社会保障部", "中华人民共和国工业和信息化部", "制定"):
        assert needle in cover, needle
    foreword = html[html.index('id="foreword"'):html.index('id="part-1"')]
    for needle in ("《中华人民共和国劳动法》", "人社厅发〔2021〕70号", "人社厅发〔2019〕48号", "本标准为首次制定。",
                   "中国电子技术标准化研究院", "主要起草单位", "示例文本，并非官方标准。",
                   "制定", "中华人民共和国人力资源和社会保障部", "Issued by"):
        assert needle in foreword, needle
    for body in doc["provenance"]["drafting_bodies"] + doc["provenance"]["issuers"]:
        assert text_in(body, "zh", "zh") in foreword


def test_overview_numbering_follows_the_printed_standard(corpus):
    source, doc = corpus
    html = render_html(doc, lang="zh", status_info=info_for(source))
    part1 = html[html.index('id="part-1"'):html.index('id="part-2"')]
    headings = re.findall(r'<h[23]><span class="no">([\d.]+)</span>([^<]+)', part1)
    assert headings[:8] == [("1.1", "职业名称"), ("1.2", "职业编码"), ("1.3", "职业定义"), ("1.4", "专业技术等级"),
                            ("1.5", "职业环境条件"), ("1.6", "职业能力特征"), ("1.7", "普通受教育程度"),
                            ("1.8", "职业培训要求")]
    assert ("1.9.1", "申报条件") in headings


@pytest.mark.parametrize("path, label", [
    (CORPUS_FILE, "专业能力要求"),
    (ROOT / "standards" / "4-04-05-05" / "1.0.yaml", "技能要求"),
])
def test_work_requirement_tables_have_four_columns_and_the_original_label(path, label):
    source, doc = load(path)
    html = render_html(doc, lang="zh", status_info=info_for(source))
    rows = table_rows(html)
    header = [squash(c) for c in rows[0]]
    assert header == ["职业功能", "工作内容", label, "相关知识要求"]
    assert all(len(r) == 4 for r in rows[1:])
    # every work content, requirement and knowledge item appears with its printed number
    section = doc["work_requirements"]["sections"][0]
    for fn in section["functions"]:
        for wc in fn["work_contents"]:
            assert f'{wc["number"]} ' in html
            for it in wc["requirements"] + wc["knowledge"]:
                assert f'{it["number"]} {text_in(it["text"], "zh", "zh")}' in html


def test_part_3_nests_directions_as_the_original(corpus, example):
    source, doc = corpus  # direction-level: 3.1 <direction> → 3.1.1 初级
    html = render_html(doc, lang="zh", status_info=info_for(source))
    part3 = html[html.index('id="part-3"'):html.index('id="part-4"')]
    h2 = re.findall(r'<h2 id="part-3-\d+"><span class="no">([\d.]+)</span>([^<]+)', part3)
    assert h2 == [("3.1", "计算机视觉产品实现"), ("3.2", "自然语言及语音处理产品实现")]
    assert re.search(r'<h3><span class="no">3\.1\.1</span>初级', part3)
    source, doc = example  # level-direction: 3.1 初级 → 3.1.1 物联网嵌入式开发方向
    html = render_html(doc, lang="zh", status_info=info_for(source))
    part3 = html[html.index('id="part-3"'):html.index('id="part-4"')]
    assert re.search(r'<h2 id="part-3-1"><span class="no">3\.1</span>初级', part3)
    assert re.search(r'<h3><span class="no">3\.1\.1</span>物联网嵌入式开发方向', part3)


def test_weight_tables_show_levels_dash_and_totals(example):
    source, doc = example
    html = render_html(doc, lang="zh", status_info=info_for(source))
    part4 = html[html.index('id="part-4"'):]
    assert "理论知识权重表" in part4 and "专业能力要求权重表" in part4
    theory = table_rows(part4, "grid weights")
    flat = [[squash(c) for c in row] for row in theory]
    assert ["基本要求", "职业道德", "5", "5"] in flat
    assert ["基础知识", "25", "15"] in flat
    assert ["平台开发", "30", "—"] in flat  # null is printed as the dash of the original
    assert flat[-1] == ["合计", "100", "100"]


def test_translations_shown_where_they_exist_master_as_fallback(example):
    source, doc = example
    doc = copy.deepcopy(doc)
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["requirements"][0]["text"] = {"zh": "只有中文的要求。"}  # no English translation
    html = render_html(doc, lang="en", status_info=info_for(source))
    assert "只有中文的要求。" in html                     # the master text is the fallback
    assert "Can select sensors for a requirement." not in html
    assert "Can connect devices to an IoT platform." in html  # translations where they exist
    assert 'lang="en">Sensing layer development</span>' in html
    assert "Occupational overview" in html and "Work requirements" in html  # labels translated too
    master_only = render_html(doc, lang="zh", status_info=info_for(source))
    assert "Can connect devices to an IoT platform." not in master_only
    assert render_html(doc, lang=None, status_info=info_for(source)) == render_html(
        doc, lang="en", status_info=info_for(source))  # the default shows the English translation
    # a language the document does not declare shows the master text only
    assert "Can connect devices" not in render_html(doc, lang="fr", status_info=info_for(source))


def test_french_translation_with_the_master_as_fallback(corpus):
    source, doc = corpus  # zh master, en and fr translations (fr only for the title, occupation, definition)
    html = render_html(doc, lang="fr", status_info=info_for(source))
    assert doc["title"]["fr"].replace("'", "&#39;") in html and doc["occupation"]["fr"].replace("'", "&#39;") in html
    assert doc["overview"]["definition"]["fr"].replace("'", "&#39;") in html
    assert 'lang="fr"' in html and "Présentation du métier" in html and "Exigences professionnelles" in html
    requirement = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]["requirements"][0]
    assert "fr" not in requirement["text"]
    assert requirement["text"]["zh"] in html  # the master text stands in for the missing French
    assert requirement["text"]["en"] not in html and doc["title"]["en"] not in html  # no English in a French copy


def test_standalone_html_opens_offline(example):
    source, doc = example
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=True)
    assert "<style>" in html and "table.wr" in html  # the stylesheet is inline
    parser = Elements(html)
    assert parser.count("link") == 0 and parser.count("script") == 0 and parser.count("img") == 0
    assert "url(" not in html and "@import" not in html and "@font-face" not in html
    assert not any(a.get("src") for _, a in parser.tags)
    # hyperlinks (permalink, verify) are the only URLs, and they are links, not resources
    assert {a["href"].split("/")[2] for t, a in parser.tags if t == "a" and a.get("href", "").startswith("http")} \
        <= {"registry.example.org"}
    linked = render_html(doc, lang="en", status_info=info_for(source), standalone=False, asset_base="/static/print/")
    assert '<link rel="stylesheet" href="/static/print/standard.css">' in linked


def test_status_in_html(example):
    source, doc = example
    draft = render_html(doc, status_info=info_for(source, "draft", draft_id=4), lang="en")
    assert 'class="watermark"' in draft and "DRAFT, not approved" in draft
    superseded = render_html(doc, lang="en", status_info=info_for(
        source, "superseded", successor_version="2.0", superseded_from=date(2027, 6, 1)))
    assert "This version is superseded by" in superseded
    assert f"{doc['code']} 版本 2.0 (自2027-06-01起)" in superseded
    assert f"{BASE}/standards/{doc['code']}/2.0" in superseded
    upcoming = render_html(doc, lang="en", status_info=info_for(source, "upcoming", effective_from="2027-06-01"))
    assert "Not yet in force. It takes effect on" in upcoming and "2027-06-01" in upcoming
    expired = render_html(doc, lang="en", status_info=info_for(source, "expired", effective_until=date(2025, 12, 31)))
    assert "No longer in force." in expired and "2025-12-31" in expired
    unstated = render_html(doc, lang="en", status_info=info_for(source))  # a standing with no stated start
    cover = unstated.split('class="cover-meta"')[1].split("</table>")[0]
    assert "实施日期" in cover and "未注明" in cover  # said so...
    assert f"{doc['edition']}-01-01" not in unstated  # ...and no date invented from the edition year
    withdrawn = render_html(doc, lang="en", status_info=info_for(source, "withdrawn", withdrawn_reason="Obsolete."))
    assert "This version is withdrawn. Reason:" in withdrawn and "Obsolete." in withdrawn
    current = render_html(doc, lang="en", status_info=info_for(source))
    body = current.split("</head>")[1]
    assert "status-banner" not in body and "watermark" not in body


def test_verification_block(example):
    source, doc = example
    info = info_for(source)
    html = render_html(doc, lang="en", status_info=info)
    sha = hashlib.sha256(source).hexdigest()
    assert html.count(sha) >= 2  # cover and verification section
    assert f"{BASE}/standards/{doc['code']}/{doc['version']}" in html
    assert f"{BASE}/verify/{sha}" in html
    import segno

    expected = segno.make(f"{BASE}/verify/{sha}", error="m").svg_inline(
        scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None, dark="#000",
        title=f"验证地址二维码: {BASE}/verify/{sha}")
    assert expected in html  # the QR code encodes the verify URL, and says so in words (its text alternative)


def test_hostile_text_is_escaped(example):
    source, doc = example
    doc = copy.deepcopy(doc)
    evil = '</td></tr></table><script>alert(1)</script><img src=x onerror=alert(2)>"\'&{{7*7}}{% raw %}'
    doc["title"] = {"zh": evil, "en": evil}
    doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]["requirements"][0]["text"] = evil
    for for_pdf in (False, True):
        html = render_html(doc, lang="en", status_info=info_for(source), for_pdf=for_pdf)
        parser = Elements(html)
        assert parser.count("script") == 0 and parser.count("img") == 0
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{7*7}}" in html and "{% raw %}" in html  # document text is never evaluated as a template
