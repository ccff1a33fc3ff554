"""registry.render.pdf: the PDF of a real standard, and the status printed on every page."""

from __future__ import annotations

import hashlib
import re

import pikepdf
import pypdf

from registry.render import fonts, source_attachment_name

from .conftest import BASE, EFFECTIVE, info_for, squash

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
