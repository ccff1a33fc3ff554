"""Rendering: HTML structure, PDF content and metadata, status on paper, and the safety of the
render pipeline (threats.md section A, tried through document text with a planted canary file).

PDF renders are the slow part: most tests render the small example standard; the assertions on
a real standard share one module-scoped render of the corpus.
"""

from __future__ import annotations

import copy
import hashlib
import re
import socket
import uuid
import zlib
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pypdf
import pytest

from registry.documents import text_in
from registry.exports import VersionInfo
from registry.loader import load_bytes
from registry.render import RenderAssetError, RenderFailed, fonts, render_html, source_attachment_name, template_version
from registry.render.html import ASSET_BASE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "data" / "valid" / "example.yaml"
#: The real standard whose PDF the module-scoped fixture renders: technical-skill, directions
#: nested direction → level, an appendix, zh master with en and fr translations.
CORPUS_FILE = ROOT / "standards" / "2-02-38-01" / "1.0.yaml"
BASE = "https://registry.example.org"
EFFECTIVE = "2021-12-01"  # the effective date the catalog gives the corpus PDF


def load(path: Path) -> tuple[bytes, dict]:
    source = path.read_bytes()
    return source, load_bytes(source).data


def info_for(source: bytes, status: str = "in-force", **values) -> VersionInfo:
    from tests.infos import info_for as make

    return make(source, status, base_url=BASE, **values)


def squash(text: str) -> str:
    """Text without any whitespace: PDF extraction breaks CJK lines anywhere."""
    return re.sub(r"\s+", "", text)


def pdf_in_process(doc: dict, source: bytes, info: VersionInfo, lang: str | None = None, stats=None) -> bytes:
    from registry.render.pdf import render_pdf

    html = render_html(doc, lang=lang, status_info=info, standalone=False, for_pdf=True)
    return render_pdf(html, attachments=[(source_attachment_name(doc), source)], stats=stats)


def page_texts(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    return [page.extract_text() or "" for page in reader.pages]


class Elements(HTMLParser):
    """Tags, ids and classes of an HTML document, in order."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def ids(self) -> list[str]:
        return [a["id"] for _, a in self.tags if a.get("id")]

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)


def table_rows(html: str, table_class: str = "wr") -> list[list[str]]:
    """Rows of the first <table class=...> as lists of cell texts (tags removed)."""
    start = html.index(f'<table class="{table_class}">')
    body = html[start:html.index("</table>", start)]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        rows.append([re.sub(r"<[^>]+>", " ", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)])
    return rows


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    return load(EXAMPLE)


@pytest.fixture(scope="module")
def corpus():
    return load(CORPUS_FILE)


@pytest.fixture(scope="module")
def corpus_pdf(corpus):
    """One real-standard PDF (bilingual zh/en, published) shared by the PDF assertions."""
    source, doc = corpus
    stats: dict = {}
    pdf = pdf_in_process(doc, source, info_for(source, effective_from=EFFECTIVE), lang="en", stats=stats)
    return {"pdf": pdf, "stats": stats, "texts": page_texts(pdf), "source": source, "doc": doc}


@pytest.fixture(scope="module")
def status_pdfs(example):
    """The example standard rendered as a draft, a superseded and a withdrawn version."""
    source, doc = example
    infos = {
        "draft": info_for(source, "draft", draft_id=7, draft_revision=3),
        "superseded": info_for(source, "superseded", successor_version="2.0"),
        "withdrawn": info_for(source, "withdrawn", withdrawn_reason="Replaced by the 2025 occupational classification."),
    }
    pdfs = {status: pdf_in_process(doc, source, info) for status, info in infos.items()}
    return {"pdfs": pdfs, **{status: page_texts(pdf) for status, pdf in pdfs.items()}}


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


# --- PDF: a real standard -------------------------------------------------------------------------------


def test_pdf_text_has_chinese_title_english_requirement_and_page_count(corpus_pdf):
    doc, texts = corpus_pdf["doc"], corpus_pdf["texts"]
    everything = squash("".join(texts))
    assert squash(doc["title"]["zh"]) in squash(texts[0])
    requirement = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]["requirements"][0]
    assert squash(requirement["text"]["en"]) in everything
    assert squash(requirement["text"]["zh"]) in everything
    pages = len(texts)
    assert pages == corpus_pdf["stats"]["pages"]
    assert 18 <= pages <= 30, pages  # the size class of the render target


def test_pdf_cover_page_identity_and_status(corpus_pdf):
    doc, cover = corpus_pdf["doc"], squash(corpus_pdf["texts"][0])
    for needle in (doc["code"], doc["title"]["zh"], doc["title"]["en"], doc["occupation"]["zh"],
                   "版本/Version" + doc["version"], "（2021年版）", "国家职业技术技能标准",
                   "标准类型/Type", "状态/Status现行有效/Inforce", "实施日期/Effectivefrom" + EFFECTIVE,
                   "中华人民共和国人力资源和社会保障部", "中华人民共和国工业和信息化部", "制定/Issuedby"):
        assert squash(needle) in cover, needle
    assert "目次" not in cover  # the contents start on a page of their own


def body_start(texts: list[str]) -> int:
    """Index of the first page of the body (part 1), after the cover and the front matter."""
    return next(i for i, t in enumerate(texts) if squash(t).startswith("1职业概况"))


def test_pdf_page_numbers_as_a_printed_standard(corpus_pdf):
    """No number on the cover; the front matter in Roman numerals from I; the body from 1, its
    footer counting the body's pages; the running header on every page but the cover."""
    doc, texts = corpus_pdf["doc"], corpus_pdf["texts"]
    start = body_start(texts)
    total = len(texts) - start
    cover = squash(texts[0])
    assert "page" not in cover and "第1页" not in cover and not re.search(r"I$", cover)
    assert f"{doc['code']}·版本{doc['version']}" not in cover  # no running header either
    assert start >= 3  # cover, contents, foreword
    for number, text in enumerate(texts[1:start], start=1):
        flat = squash(text)
        assert flat.endswith(("I", "II", "III", "IV", "V")[number - 1]), number  # Roman numerals, bottom right
        assert "page" not in flat and "第" not in flat[-12:], number
    for number, text in enumerate(texts[start:], start=1):
        flat = squash(text)
        assert f"page{number}of{total}" in flat, number
        assert f"第{number}页共{total}页" in flat, number
    for text in texts[1:]:
        flat = squash(text)
        assert f"{doc['code']}·版本{doc['version']}" in flat
        assert squash(doc["title"]["zh"])[:20] in flat


def test_pdf_table_of_contents_page_numbers(corpus_pdf):
    texts = corpus_pdf["texts"]
    start = body_start(texts)
    toc = next(t for t in texts if "目次" in t)
    for label, heading in (("权重表", "理论知识权重表"), ("附录", "附录A")):
        match = re.search(label + r"\s*/[^\n]*?(\d+)\s*$", toc, flags=re.M)
        assert match, label
        assert heading in texts[start + int(match.group(1)) - 1]  # the body's page numbers
    match = re.search(r"说明\s*/[^\n]*?([IVX]+)\s*$", toc, flags=re.M)  # the foreword: front matter
    assert match and match.group(1) == "II" and squash(texts[2]).startswith("说明")


def test_pdf_tables_break_between_rows_and_repeat_their_header_row(corpus_pdf):
    texts = [squash(t) for t in corpus_pdf["texts"]]
    header = squash("职业功能 Occupational function 工作内容 Work content 专业能力要求 "
                    "Professional competence requirements 相关知识要求 Related knowledge requirements")
    first = next(i for i, t in enumerate(texts) if t.startswith("3工作要求"))
    last = next(i for i, t in enumerate(texts) if t.startswith("4权重表"))
    continued = [i for i in range(first + 1, last) if not re.match(r"3\.\d", texts[i])]
    assert len(continued) >= 5  # pages that open in the middle of a table
    for i in continued:
        assert texts[i].startswith(header), f"page {i + 1} continues a table without its header row"
    # every row (a work content) starts and ends on the same page: from its number and name to the
    # last line of its last cell (the translation of its last knowledge item)
    from registry.render.html import build_view

    doc = corpus_pdf["doc"]
    view = build_view(doc, lang="en", status_info=info_for(corpus_pdf["source"]), for_pdf=True)
    pages = [(i, t) for i, t in enumerate(texts) if first <= i < last]
    flow = "".join(t for _, t in pages)
    bounds = [sum(len(t) for _, t in pages[:k + 1]) for k in range(len(pages))]

    def page_at(position: int) -> int:
        return next(pages[k][0] for k, end in enumerate(bounds) if position < end)

    cursor, rows = 0, 0
    for part in view["parts3"]:
        for table in part["tables"]:
            for row in table["rows"]:
                last_item = (row["knowledge"] or row["requirements"])[-1]["text"]
                begin = flow.index(squash(f"{row['number']}{row['name'].master}"), cursor)
                end = flow.index(squash(last_item.tr or last_item.master), begin) + 1
                assert page_at(begin) == page_at(end - 1), f"row {row['number']} split at page {page_at(begin) + 1}"
                cursor, rows = end, rows + 1
    assert rows > 20


def test_pdf_fonts_embedded_and_no_missing_glyphs(corpus_pdf):
    pdf = pikepdf.open(__import__("io").BytesIO(corpus_pdf["pdf"]))
    names = set()
    for page in pdf.pages:
        for _, font in page.Resources.get("/Font", {}).items():
            names.add(str(font.BaseFont))
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
            assert "/ToUnicode" in font
    if fonts.prepared_faces():  # Song for text, Hei (bold) for headings, table heads and labels
        assert {n.split("+", 1)[1] for n in names} == {"Registry-Serif-CJK-SC", "Registry-Sans-CJK-SC-Bold"}, names
    # No .notdef (tofu) glyph: WeasyPrint gives a font with glyphs missing a custom encoding that
    # maps them to .notdef; a complete font keeps Identity-H. And no text shows glyph 0.
    for page in pdf.pages:
        for _, font in page.Resources.get("/Font", {}).items():
            assert font.Encoding == "/Identity-H", f"{font.BaseFont} has missing glyphs"
    shown = 0
    for page in pdf.pages:
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) not in ("Tj", "TJ"):
                continue
            for string in (o for o in (operands[0] if str(operator) == "TJ" else operands)
                           if isinstance(o, pikepdf.String)):
                data = bytes(string)
                gids = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]
                assert 0 not in gids
                shown += len(gids)
    assert shown > 10000
    assert corpus_pdf["stats"]["missing_glyphs"] == []
    # and every character of the document's texts (both languages) is in the PDF's text
    text = squash("".join(corpus_pdf["texts"]))
    assert "\ufffd" not in text and "\x00" not in text
    doc = corpus_pdf["doc"]
    wanted: set[str] = set()
    words: set[str] = set()
    for section in doc["work_requirements"]["sections"]:
        for fn in section["functions"]:
            for wc in fn["work_contents"]:
                for it in wc["requirements"] + wc["knowledge"]:
                    wanted.update(squash(it["text"]["zh"]))
                    words.update(re.findall(r"[A-Za-z]{4,}", it["text"]["en"]))
    assert len(wanted) > 300
    assert wanted <= set(text), sorted(wanted - set(text))[:20]
    extracted_words = set(re.findall(r"[A-Za-z]{4,}", "".join(corpus_pdf["texts"])))
    assert len(words - extracted_words) <= len(words) // 50, sorted(words - extracted_words)[:20]  # hyphenation


def test_pdf_is_pdfa3a_with_the_source_attached(corpus_pdf):
    reader = pypdf.PdfReader(__import__("io").BytesIO(corpus_pdf["pdf"]))
    name = source_attachment_name(corpus_pdf["doc"])
    assert reader.attachments == {name: [corpus_pdf["source"]]}
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp  # level A: archival and tagged
    root = reader.trailer["/Root"]
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    filespec = root["/AF"][0].get_object()
    assert filespec["/AFRelationship"] == "/Source" and filespec["/UF"] == name
    assert root["/Lang"] == "zh"


def test_pdf_carries_sha256_and_permalink(corpus_pdf):
    sha = hashlib.sha256(corpus_pdf["source"]).hexdigest()
    doc = corpus_pdf["doc"]
    first, last = squash(corpus_pdf["texts"][0]), squash(corpus_pdf["texts"][-1])
    for page in (first, last):
        assert sha in page
        assert f"{BASE}/standards/{doc['code']}/{doc['version']}" in page
        assert f"{BASE}/verify/{sha}" in page
    links = [annot.get("/A", {}).get("/URI") for page in pypdf.PdfReader(__import__("io").BytesIO(corpus_pdf["pdf"])).pages
             for annot in (a.get_object() for a in page.get("/Annots", []))]
    assert f"{BASE}/verify/{sha}" in links


def test_pdf_size_target(corpus_pdf):
    """The largest standard of the corpus, tagged, with its source attached (without the prepared
    fonts the full system fonts are subset on every render, and the PDF is about twice as large)."""
    assert len(corpus_pdf["pdf"]) < (300_000 if fonts.prepared_faces() else 1024 * 1024)


# --- PDF: status on every page --------------------------------------------------------------------------


def watermarks(pdf: bytes) -> list[list[str]]:
    """Per page, the texts drawn rotated and large (the watermark), not the notices of the margins."""
    found: list[list[str]] = []
    for page in pypdf.PdfReader(__import__("io").BytesIO(pdf)).pages:
        runs: list[str] = []

        def visit(text, cm, tm, font, size, runs=runs):
            scale = (cm[0] ** 2 + cm[1] ** 2) ** 0.5 * size
            if abs(cm[1]) > 0.1 and scale > 25 and text.strip():
                runs.append(text)
        page.extract_text(visitor_text=visit)
        found.append(runs)
    return found


def test_draft_watermark_on_every_page(status_pdfs):
    texts = status_pdfs["draft"]
    assert len(texts) >= 3
    for text in texts:
        assert "DRAFT, not approved" in text
        assert "草案，未经批准" in squash(text)
    marks = watermarks(status_pdfs["pdfs"]["draft"])
    assert len(marks) == len(texts)
    for number, runs in enumerate(marks, start=1):
        assert "DRAFT,notapproved草案，未经批准" in squash("".join(runs)), f"no watermark on page {number}"
    assert watermarks(status_pdfs["pdfs"]["superseded"]) == [[]] * len(status_pdfs["superseded"])


def test_superseded_notice_with_successor_on_every_page(status_pdfs):
    for text in status_pdfs["superseded"]:
        flat = squash(text)
        assert "已被替代/Superseded" in flat and "2-02-38-02版本2.0" in flat


def test_withdrawn_notice_with_reason_on_every_page(status_pdfs):
    for text in status_pdfs["withdrawn"]:
        flat = squash(text)
        assert "已撤销/Withdrawn" in flat and squash("Replaced by the 2025 occupational classification.") in flat


# --- safety: the fetcher ---------------------------------------------------------------------------------


@pytest.fixture
def canary(tmp_path):
    token = f"CANARY-{uuid.uuid4().hex}"
    path = tmp_path / "canary-secret.txt"
    path.write_text(token + "\n")
    (tmp_path / "canary.css").write_text(f"body {{ --x: '{token}'; }}")
    (tmp_path / "canary.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><text>{token}</text></svg>')
    return {"token": token, "path": path, "dir": tmp_path}


def test_fetcher_serves_only_print_assets(canary):
    from registry.render.pdf import AssetRefused, PrintAssetFetcher

    fetcher = PrintAssetFetcher()
    response = fetcher.fetch(ASSET_BASE + "standard.css")
    assert b"table.wr" in response.read() and response.content_type == "text/css"
    refused = [
        canary["path"].as_uri(), f"file://{canary['path']}", "file:///etc/passwd", "file:///proc/self/environ",
        "file:///dev/urandom", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:5000/admin",
        "http://localhost:5432/", "http://[::1]/", "http://0x7f000001/", "http://2130706433/", "http://10.0.0.5/",
        "https://example.com/x.css", "ftp://example.com/x", "data:text/css,body{}",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        ASSET_BASE + "../../../../etc/passwd", ASSET_BASE + "%2e%2e/%2e%2e/config.py", ASSET_BASE + "..%2F..%2Fapp.py",
        ASSET_BASE + "standard.css?x=1", ASSET_BASE + "standard.css#x", ASSET_BASE + "missing.css",
        ASSET_BASE + "fonts/manifest.json", ASSET_BASE.replace("https", "http") + "standard.css",
        "https://print-assets.registry.invalid.attacker.example/print/standard.css", "standard.css",
        ASSET_BASE + "/etc/passwd",
    ]
    for url in refused:
        with pytest.raises(AssetRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == len(refused)


@pytest.mark.parametrize("markup", [
    '<link rel="stylesheet" href="{base}missing.css">',
    '<link rel="stylesheet" href="{file}">',
    '<img src="{file}">',
    '<style>@import "{file}";</style>',
    '<p style="background:url({file})">x</p>',
    '<style>@font-face {{ font-family: X; src: url({file}); }} p {{ font-family: X }}</style><p>x</p>',
    '<link rel="attachment" href="{file}">',
    '<a rel="attachment" href="{file}">x</a>',
    '<object data="{file}"></object>',
    '<embed src="{file}">',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
    '<image href="{file}" xlink:href="{file}" width="10" height="10"/></svg>',
    '<img src="http://127.0.0.1:9/x.png">',
    '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22%3E%3C/svg%3E">',
])
def test_a_refused_or_missing_asset_fails_the_render(markup, canary, no_network):
    """Markup that never comes from a document (it is escaped): the fetcher is the last lock."""
    from registry.render.pdf import render_pdf

    html = f"<!DOCTYPE html><html><body><p>x</p>{markup.format(base=ASSET_BASE, file=canary['path'].as_uri())}</body></html>"
    with pytest.raises(RenderAssetError) as caught:
        render_pdf(html)
    assert caught.value.details
    assert no_network == []


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every outbound connection attempt made in this process."""
    attempts: list = []

    def record(*args, **kwargs):
        attempts.append(args[1:] if args else kwargs)
        raise OSError("outbound connection attempted during a render test")

    monkeypatch.setattr(socket.socket, "connect", record)
    monkeypatch.setattr(socket.socket, "connect_ex", record)
    monkeypatch.setattr(socket, "create_connection", record)
    monkeypatch.setattr(socket, "getaddrinfo", record)
    return attempts


# --- safety: every vector of threats.md A through document text -----------------------------------------

VECTORS = [
    '<img src="{file}">',
    '<link rel=stylesheet href="{file}">',
    '<style>@import "{file}";</style>',
    '<p style="background:url({file})">bg</p>',
    '<style>@font-face{{font-family:E;src:url({file})}} *{{font-family:E}}</style>',
    '<object data={file}></object>',
    '<embed src={file}>',
    '<svg><image href="{file}"/></svg>',
    '<link rel="attachment" href="{file}">',
    '<link rel="attachment" href="http://169.254.169.254/latest/meta-data/iam/security-credentials/">',
    '<img src="http://127.0.0.1:5000/admin">', '<img src="http://localhost:5432/">', '<img src="http://[::1]/">',
    '<img src="http://0x7f000001/">', '<img src="http://2130706433/">', '<img src="http://10.0.0.5/">',
    '<style>body{{background:url(file:///dev/urandom)}}</style>', '<img src="file:///dev/zero">',
    '<style>@page{{size:100000cm}} p{{font-size:1e7px;width:1e9px}}</style>',
    'Intro <style>@import url(http://attacker.example/x.css)</style>',
    '<a href="{file}" rel="attachment">x</a>', '<iframe src="{file}"></iframe>',
    '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjwvc3ZnPg==">',
    '"><img src="{file}">', "'><link rel=stylesheet href='{file}'>", '</span><img src="{file}">',
    '{{{{ config }}}} {{% include "{file}" %}}', '<base href="file:///"><img src="etc/passwd">',
    '<meta http-equiv="refresh" content="0;url={file}">', '<img src="EPS:{file}">',
    # A4 a redirect and A5 a tarpit, both served by a local listener that must never see a connection
    '<img src="http://127.0.0.1:{port}/302-to-169.254.169.254">',
    '<link rel=stylesheet href="http://localhost:{port}/slow.css">',
    '<img src="{file}" type="application/postscript">', '<object type="application/postscript" data="{file}"></object>',
    '<table background="{file}"><tr><td bgcolor="red"><font size="100" face="E">hint</font></td></tr></table>',
    '<div style="font-size:1e7em"><div style="font-size:1e7em"><div style="width:1e9%">em chain</div></div></div>',
]
#: long vectors (A8 deep nesting, A10 a very long SVG path), each within the schema's 20,000 characters
BIG_VECTORS = [
    "<div>" * 3000 + "deep divs" + "</div>" * 500,
    "<ul><li>" * 1500 + "deep list",
    "<table><tr><td>" * 1000 + "deep table",
    '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0' + " L1 1" * 3500 + '"/></svg>',
]


def hostile_document(doc: dict, canary: dict, port: int = 9) -> dict:
    doc = copy.deepcopy(doc)
    file_url = canary["path"].as_uri()
    payloads = [v.format(file=file_url, port=port) for v in VECTORS]
    joined = " ".join(payloads)
    doc["title"] = {"zh": joined, "en": joined}
    doc["occupation"] = {"zh": payloads[0], "en": payloads[1]}
    doc["overview"]["definition"] = {"zh": joined, "en": joined}
    doc["provenance"]["issuers"] = [{"zh": p, "en": p} for p in payloads[:5]]
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["name"] = {"zh": payloads[2], "en": payloads[3]}
    wc["requirements"] = [{"id": f"R-evil-{i}", "number": f"1.1.{i + 1}", "text": {"zh": p, "en": p}}
                          for i, p in enumerate(payloads)]
    wc["knowledge"][0]["text"] = {"zh": joined, "en": joined}
    doc["functions"][0]["name"] = {"zh": payloads[8], "en": payloads[9]}
    doc["appendix"] = [{"title": payloads[10], "paragraphs": payloads + BIG_VECTORS}]
    wc["knowledge"].append({"id": "K-evil-big", "number": "1.1.9",
                            "text": {"zh": BIG_VECTORS[0], "en": BIG_VECTORS[3]}})
    return doc


def inflated_streams(pdf: bytes) -> bytes:
    """Every stream of the PDF, decompressed, plus the raw file."""
    parts = [pdf]
    with pikepdf.open(__import__("io").BytesIO(pdf)) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    parts.append(obj.read_bytes())
                except pikepdf.PdfError:
                    parts.append(zlib.decompress(obj.read_raw_bytes()))
    return b"\n".join(parts)


def test_threat_vectors_in_document_text_never_reach_the_output(example, canary, no_network):
    from registry.render.pdf import render_pdf

    source, doc = example
    evil = hostile_document(doc, canary)
    token = canary["token"].encode()
    outputs = []
    for standalone, for_pdf in ((True, False), (False, False), (False, True)):
        html = render_html(evil, lang="en", status_info=info_for(source), standalone=standalone, for_pdf=for_pdf)
        assert canary["token"] not in html
        tags = Elements(html).tags
        assert not {t for t, _ in tags} & {"img", "iframe", "object", "embed", "base", "script", "image"}
        assert not any(a.get("rel") == "attachment" or a.get("http-equiv") or a.get("src") for _, a in tags)
        assert [t for t, _ in tags].count("style") <= 2 and [t for t, _ in tags].count("svg") == 2  # ours: CSS, QR
        outputs.append(html)
    stats: dict = {}
    pdf = render_pdf(outputs[-1], attachments=[(source_attachment_name(doc), source)], stats=stats)
    blob = inflated_streams(pdf)
    assert token not in blob
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    assert list(reader.attachments) == [source_attachment_name(doc)]  # no embedded file but ours
    assert blob.count(b"/EmbeddedFile") == 1 + blob.count(b"/EmbeddedFiles")
    # the fetcher served our assets only, and nothing tried the network
    assert all(url.startswith(ASSET_BASE) for url in stats["served"])
    assert no_network == []
    # the hostile text is there, as text
    assert "file://" in squash("".join(page.extract_text() for page in reader.pages))


def test_threat_vectors_never_reach_the_data_formats(example, canary):
    """CSV, JSON, CASE and YAML never fetch anything: the canary's content is in none of them."""
    import yaml

    from registry.exports import RenderJob
    from registry.exports import render as export

    source, doc = example
    evil = hostile_document(doc, canary)
    evil_source = yaml.safe_dump(evil, allow_unicode=True, sort_keys=False).encode()
    info = info_for(evil_source, "withdrawn", withdrawn_reason=VECTORS[0].format(file=canary["path"].as_uri(), port=9))
    for fmt in ("csv", "json", "case.json", "yaml"):
        data = export(fmt, RenderJob(evil, evil_source, info))
        assert canary["token"].encode() not in data, fmt
        assert canary["path"].as_uri().encode() in data, fmt  # the hostile text is there, as data
    html = render_html(evil, lang="en", status_info=info_for(source, "withdrawn", withdrawn_reason=VECTORS[2].format(
        file=canary["path"].as_uri(), port=9)))
    assert canary["token"] not in html and "<style>@import" not in html


@pytest.fixture
def listener():
    """A local TCP server that counts the connections it gets (a redirect or a tarpit if it answered)."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            accepted.append(peer)
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield {"port": server.getsockname()[1], "accepted": accepted}
    stop.set()
    thread.join(30)
    server.close()


RENDER_SCRIPT = """
import json, sys
from pathlib import Path
from registry.exports import VersionInfo
from registry.render import render_standard_pdf
doc = json.loads(Path(sys.argv[1]).read_text("utf-8"))
source = Path(sys.argv[2]).read_bytes()
pdf = render_standard_pdf(doc, source=source, status_info=VersionInfo.of_document(doc, source=source), lang="en")
Path(sys.argv[3]).write_bytes(pdf)
"""


def test_no_outbound_connection_from_any_render_process(example, canary, listener, tmp_path):
    """The pipeline as the app runs it (HTML in this process, the PDF in the render worker's child),
    in a fresh Python, traced with ``strace -f`` when the machine has it: not one connect() or send
    to a network address from either process. The vectors also name a local listener (a redirect
    and a tarpit if it ever answered): it never sees a connection."""
    import json
    import shutil
    import subprocess
    import sys

    source, doc = example
    evil = hostile_document(doc, canary, port=listener["port"])
    (tmp_path / "doc.json").write_text(json.dumps(evil, ensure_ascii=False), "utf-8")
    (tmp_path / "source.yaml").write_bytes(source)
    command = [sys.executable, "-c", RENDER_SCRIPT, str(tmp_path / "doc.json"), str(tmp_path / "source.yaml"),
               str(tmp_path / "out.pdf")]
    trace = tmp_path / "strace.log"
    traced = shutil.which("strace") is not None and subprocess.run(
        ["strace", "-f", "-qq", "-o", str(tmp_path / "probe.log"), "true"], capture_output=True).returncode == 0
    if traced:
        command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-e", "signal=none",
                   "-o", str(trace), *command]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    pdf = (tmp_path / "out.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and canary["token"].encode() not in inflated_streams(pdf)
    assert listener["accepted"] == []
    if traced:
        calls = [line for line in trace.read_text().splitlines() if "AF_INET" in line or "AF_INET6" in line]
        assert calls == [], calls[:5]  # (a local AF_UNIX socket, were there one, is not the network)
    else:  # pragma: no cover - machines without strace: the listener (and test_threat_vectors' socket patch) remain
        import warnings

        warnings.warn("strace is not installed: connections to the network were not traced", stacklevel=2)


def laid_out_text(html: str) -> tuple[int, str, list[tuple[int, str]]]:
    """WeasyPrint's layout of ``html``: pages, all the text laid out, and the text boxes that run
    past the right or left edge of their page."""
    import weasyprint

    from registry.render.pdf import PrintAssetFetcher, font_config

    document = weasyprint.HTML(string=html, base_url=ASSET_BASE, url_fetcher=PrintAssetFetcher()).render(
        font_config=font_config())
    boxes = [(number, page, box) for number, page in enumerate(document.pages, start=1)
             for box in page._page_box.descendants() if type(box).__name__ == "TextBox"]
    past = [(number, box.text[:30]) for number, page, box in boxes
            if box.position_x + box.width > page.width + 0.5 or box.position_x < -0.5]
    return len(document.pages), "".join(box.text for _, _, box in boxes), past


def test_very_long_words_wrap_inside_the_page(example):
    """A word of 20,000 letters (the schema's longest text) in the narrowest table cell and in the
    title: it wraps inside the page, nothing is cut off, and it renders in seconds (WeasyPrint alone
    would take minutes to break it: see html.soft_breaks)."""
    import time

    source, doc = example
    doc = copy.deepcopy(doc)
    word = "W" * 20000
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["name"] = {"zh": word, "en": "x"}
    doc["title"] = {"zh": "标准" + word, "en": "x"}
    wc["requirements"][0]["text"] = {"zh": "能访问 https://example.org/" + "segment/" * 16 + "。", "en": "x"}
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    assert render_html(doc, lang="en", status_info=info_for(source)).count("\u200b") == 0  # the HTML page keeps it
    started = time.perf_counter()
    pages, text, past = laid_out_text(html)
    assert past == []
    assert text.count("W") >= 2 * 20000  # the work content and the title (and the header's first 120)
    assert "https://example.org/segment/" in text  # an ordinary long address gets no soft break
    assert time.perf_counter() - started < 45, "long words are laid out quadratically again"
    assert pages > 20


def test_deeply_nested_markup_in_text_is_only_text(example, worker):
    source, doc = example
    plain = Elements(render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True))
    doc = copy.deepcopy(doc)
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["requirements"] = [{"id": f"R-deep-{i}", "number": f"1.1.{i + 1}", "text": {"zh": v, "en": v}}
                          for i, v in enumerate(BIG_VECTORS)]
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    for tag in ("div", "li", "ul", "table", "td", "path"):
        assert Elements(html).count(tag) == plain.count(tag), tag
    pdf = worker.render_pdf(html, timeout=60)
    assert "deepdivs" in squash("".join(page_texts(pdf)))


# --- limits: the render worker ---------------------------------------------------------------------------


def pathological_document(doc: dict, work_contents: int, text: str = "能完成规定的工作内容。Can do the work.") -> dict:
    doc = copy.deepcopy(doc)
    fn = doc["work_requirements"]["sections"][0]["functions"][0]
    fn["work_contents"] = [
        {"id": f"WC-{i}", "number": f"1.{i + 1}", "name": {"zh": f"工作内容{i}", "en": f"Work content {i}"},
         "requirements": [{"id": f"R-{i}-{j}", "number": f"1.{i + 1}.{j + 1}", "text": {"zh": text, "en": text}}
                          for j in range(4)],
         "knowledge": [{"id": f"K-{i}", "number": f"1.{i + 1}.1", "text": {"zh": text, "en": text}}]}
        for i in range(work_contents)
    ]
    return doc


@pytest.fixture(scope="module")
def worker():
    from registry.render.worker import RenderWorker

    w = RenderWorker(timeout=120, warm=True).start()
    yield w
    w.close()


def test_worker_renders_warm_and_outside_the_process(worker, example):
    import os

    source, doc = example
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    pdf = worker.render_pdf(html, attachments=[("a.yaml", source)])
    assert pdf.startswith(b"%PDF-")
    assert worker.last_stats["worker_pid"] != os.getpid()
    assert worker.status()["ready"] and worker._ready["warm"]["pages"] == 1


def test_a_warm_worker_started_long_before_its_first_render_is_used(example):
    """A server that gets its first PDF request minutes after start: the warm child's "ready"
    message has waited in the pipe past the start-up deadline, and it is still the one used."""
    import select

    from registry.render.worker import RenderWorker

    source, doc = example
    worker = RenderWorker(start_timeout=60, warm=True).start()
    try:
        pid = worker.pid
        assert select.select([worker._proc.stdout.fileno()], [], [], 60)[0]  # warmed up and ready
        worker._spawned_at -= 3600  # an hour ago
        html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
        assert worker.render_pdf(html).startswith(b"%PDF-")
        assert (worker.pid, worker.restarts) == (pid, 0)
        assert worker._ready["warm"]["pages"] == 1
    finally:
        worker.close()


def test_pathological_document_hits_the_time_limit_and_the_caller_lives_on(worker, example):
    source, doc = example
    huge = render_html(pathological_document(doc, 3000), lang="en", status_info=info_for(source),
                       standalone=False, for_pdf=True)
    old_pid = worker.pid
    with pytest.raises(RenderFailed) as caught:
        worker.render_pdf(huge, timeout=3)
    assert caught.value.details["limit"] == "time"
    assert "longer than 3 s" in caught.value.message
    assert worker.pid != old_pid  # the child was killed and replaced
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    assert worker.render_pdf(html).startswith(b"%PDF-")  # and the next render works


def test_pathological_document_hits_the_memory_limit():
    """A huge unbreakable text (3 million characters, beyond what the schema lets a document hold,
    and without the soft breaks render_html would add) needs gigabytes of glyph buffers."""
    from registry.render.worker import RenderWorker

    huge = (f"<html><head><style>{fonts.font_face_css(ASSET_BASE)}</style></head>"
            f"<body><p>{'a' * 3_000_000}</p></body></html>")
    small = RenderWorker(timeout=300, memory_mb=450, warm=False).start()
    try:
        with pytest.raises(RenderFailed) as caught:
            small.render_pdf(huge)
        assert caught.value.details["limit"] == "memory"
        assert small.pid is not None and small.restarts == 1  # replaced, ready for the next render
    finally:
        small.close()


def test_too_many_rows_are_refused_before_rendering(example):
    from registry.render import MAX_RENDER_ITEMS, render_standard_pdf

    source, doc = example
    huge = pathological_document(doc, MAX_RENDER_ITEMS // 5)  # 6 entries per work content
    with pytest.raises(RenderFailed) as caught:
        render_standard_pdf(huge, source=source, status_info=info_for(source))
    assert caught.value.details["limit"] == "size" and caught.value.details["items"] > MAX_RENDER_ITEMS


def test_render_standard_pdf_end_to_end(worker, example, monkeypatch):
    """The composition the export layer calls: HTML in this process, PDF in the warm worker."""
    import registry.render.worker as worker_module
    from registry.render import render_standard_pdf

    source, doc = example
    monkeypatch.setattr(worker_module, "get_worker", lambda **_: worker)
    pdf = render_standard_pdf(doc, source=source, status_info=info_for(source), lang="en")
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    assert reader.attachments == {source_attachment_name(doc): [source]}
    assert "物联网工程技术人员" in squash(reader.pages[0].extract_text())


def test_oversized_html_is_refused_before_rendering():
    from registry.render.worker import MAX_HTML_BYTES, RenderWorker

    worker = RenderWorker()  # never started: the size check comes first
    with pytest.raises(RenderFailed) as caught:
        worker.render_pdf("x" * (MAX_HTML_BYTES + 1))
    assert caught.value.details["limit"] == "size"
    assert worker.pid is None


# --- fonts and versions ----------------------------------------------------------------------------------


def test_missing_glyphs_are_detected():
    """The check above would see tofu: a character no installed font has gets a custom encoding."""
    from registry.render.pdf import render_pdf

    stats: dict = {}
    html = (f'<html lang="zh"><head><style>{fonts.font_face_css(ASSET_BASE)} p {{ font-family: var(--song) }}</style>'
            "</head><body><p>标准 \u0f00</p></body></html>")
    pdf = pikepdf.open(__import__("io").BytesIO(render_pdf(html, stats=stats)))
    encodings = {str(f.Encoding) for _, f in pdf.pages[0].Resources.Font.items()}
    assert encodings != {"/Identity-H"}
    assert stats["missing_glyphs"] == ["\u0f00"]


def test_prepared_font_character_set():
    points = fonts.charset()
    assert len(fonts.gb2312_characters()) > 7000
    for char in "国家职业技术技能标准（）《》〔〕、。；：“”—…①Ⅰéèàçœ≤≥×":
        assert ord(char) in points, char


def test_font_css_falls_back_to_the_system_font(tmp_path):
    css = fonts.font_face_css(ASSET_BASE, fonts_dir=tmp_path)
    assert "@font-face" not in css
    assert css.startswith(':root { --song: "Noto Serif CJK SC"') and '--hei: "Noto Sans CJK SC"' in css
    if fonts.prepared_faces():
        css = fonts.font_face_css(ASSET_BASE)
        assert css.count("@font-face") == 2 and f"{ASSET_BASE}fonts/RegistrySerifCJKSC-Regular.ttf" in css
        assert f"{ASSET_BASE}fonts/RegistrySansCJKSC-Bold.ttf" in css
        assert '--song: "Registry Serif CJK SC", "Noto Serif CJK SC"' in css


def test_template_version_is_stable():
    assert template_version() == template_version()
    assert re.fullmatch(r"[0-9a-f]{16}", template_version())


def test_version_info_from_catalog_rows():
    from registry.lifecycle import Standing

    class Row:
        sha256, code, version, published_at = "a" * 64, "2-02-38-01", "1.0", None

    info = VersionInfo.of_version(Row(), Standing("1.0", "superseded", successor="1.1"), BASE + "/")
    assert info.verify_url == f"{BASE}/verify/{'a' * 64}"
    assert info.permalink == f"{BASE}/standards/2-02-38-01/1.0"
    assert info.successor_url() == f"{BASE}/standards/2-02-38-01/1.1"
    with pytest.raises(ValueError):
        VersionInfo(code="2-02-38-01", version="1.0", sha256="not-a-sha")


def test_every_table_entry_counts_toward_the_render_limit_basic_knowledge_too(example):
    # A draft of 10,000 basic knowledge items passed a limit that counted only work requirements,
    # and its PDF took 26 s: it is refused before any render, as many requirements would be.
    import copy

    from registry.render import render_standard_pdf

    source, doc = example
    huge = copy.deepcopy(doc)
    group = huge["basic_requirements"]["basic_knowledge"][0]
    group["items"] = [{**group["items"][0], "id": f"BK-{n}", "number": str(n + 1)} for n in range(10_000)]
    with pytest.raises(RenderFailed) as caught:
        render_standard_pdf(huge, source=source, status_info=info_for(source))
    assert caught.value.details["limit"] == "size" and caught.value.details["items"] > 10_000


def test_a_render_child_killed_mid_render_is_a_503_and_the_next_render_works(example, monkeypatch):
    # A crashed or killed child is a transient fault of the renderer (503, retry), not a fault of the
    # document (422): the same document renders once the child is replaced.
    import os
    import signal

    import registry.render.worker as worker_module
    from registry.render import RenderUnavailable
    from registry.render.html import render_html as html_of
    from registry.render.worker import RenderWorker

    source, doc = example
    html = html_of(doc, status_info=info_for(source), standalone=False, for_pdf=True)
    worker = RenderWorker(timeout=120, warm=False).start()
    original = worker_module._write_frame

    def killed_meanwhile(stream, obj):  # the child is killed once it has the document
        original(stream, obj)
        if isinstance(obj, dict) and "html" in obj:
            os.kill(worker.pid, signal.SIGKILL)

    try:
        monkeypatch.setattr(worker_module, "_write_frame", killed_meanwhile)
        with pytest.raises(RenderUnavailable) as caught:
            worker.render_pdf(html)
        assert caught.value.details["exit_code"] == -signal.SIGKILL
        monkeypatch.undo()
        assert worker.render_pdf(html).startswith(b"%PDF")
    finally:
        worker.close()
