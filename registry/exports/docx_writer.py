"""A generated document (:mod:`registry.generated`) as an Office Open XML word-processing file (DOCX),
for the people who edit a job description or a training plan in Word, WPS or LibreOffice.

The same records as the PDF, written with python-docx: A4 pages, text in a Song face and headings and
table heads in Hei (SimSun and SimHei, which Chinese office software has; others substitute their own
CJK faces), the code, version and standing at the head of every page and the page number at its foot,
table heads repeated on every page, item IDs as links to their permalinks, the verification QR code.
The bytes are the same for the same document: the zip entries carry a fixed date.
"""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ..generated.model import Bullets, Facts, Generated, Heading, Paragraph, Part, Signatures, Table
from ..vocabulary import PRINT_LABELS

SONG, HEI, LATIN, LATIN_SANS = "SimSun", "SimHei", "Times New Roman", "Arial"
GREY = RGBColor(0x66, 0x66, 0x66)
#: the text width of an A4 page with 18 mm margins
TEXT_WIDTH_MM = 174
FIXED_DATE = (2000, 1, 1, 0, 0, 0)


def _label(key: str, lang: str) -> str:
    names = PRINT_LABELS[key]
    return names.get(lang) or names["en"]


def _fonts(run_or_style, east_asian: str, latin: str) -> None:
    """Set a run's (or style's) faces: ``latin`` for Latin text, ``east_asian`` for CJK."""
    run_or_style.font.name = latin
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asian), ("w:cs", latin)):
        fonts.set(qn(attribute), value)


def _styles(document, lang: str) -> None:
    normal = document.styles["Normal"]
    _fonts(normal, SONG, LATIN)
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(2)
    rpr = normal.element.get_or_add_rPr()
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "en-GB")
    language.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(language)
    for name, size in (("Title", 18), ("Heading 1", 13), ("Heading 2", 11.5), ("Heading 3", 10.5)):
        style = document.styles[name]
        _fonts(style, HEI, LATIN_SANS)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(8 if name != "Title" else 0)
        style.paragraph_format.space_after = Pt(3)
        style.paragraph_format.keep_with_next = True
    document.core_properties.language = "zh-CN" if lang == "zh" else lang


def _page(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    section.header_distance = section.footer_distance = Mm(10)


def _field(paragraph, instruction: str) -> None:
    """A field (PAGE, NUMPAGES) the office software fills in."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _head_and_foot(document, generated: Generated) -> None:
    section = document.sections[0]
    head = section.header.paragraphs[0]
    run = head.add_run(f"{generated.code} · {_label('version', generated.lang)} {generated.version} · "
                       f"{generated.standing}    {generated.title} · {generated.subject}")
    run.font.size = Pt(7.5)
    run.font.color.rgb = GREY
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    text = _label("page_of", generated.lang)
    before, _, rest = text.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    for chunk, instruction in ((before, "PAGE"), (middle, "NUMPAGES"), (after, None)):
        if chunk:
            foot.add_run(chunk).font.size = Pt(7.5)
        if instruction:
            _field(foot, instruction)


def _link(paragraph, text: str, url: str, *, size: float | None = None, grey: bool = False) -> None:
    """A hyperlink run (python-docx has no API for one: the element is built here)."""
    relation = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), relation)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    if size is not None:
        size_element = OxmlElement("w:sz")
        size_element.set(qn("w:val"), str(int(size * 2)))
        rpr.append(size_element)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "666666" if grey else "1F3F8F")
    rpr.append(color)
    run.append(rpr)
    element = OxmlElement("w:t")
    element.set(qn("xml:space"), "preserve")
    element.text = text
    run.append(element)
    link.append(run)
    paragraph._p.append(link)


def _part(paragraph_source, part: Part, *, first: bool) -> None:
    """A text (linked when it has a link) and its note, as one or two paragraphs of a cell or a document."""
    paragraph = paragraph_source.paragraphs[0] if first and paragraph_source.paragraphs and \
        not paragraph_source.paragraphs[0].text else paragraph_source.add_paragraph()
    if part.link:
        _link(paragraph, part.text, part.link)
    else:
        paragraph.add_run(part.text)
    if part.note:
        note = paragraph_source.add_paragraph()
        note.paragraph_format.space_after = Pt(1)
        if part.link:
            _link(note, part.note, part.link, size=7.5, grey=True)
        else:
            run = note.add_run(part.note)
            run.font.size = Pt(7.5)
            run.font.color.rgb = GREY


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)
    cant_split = OxmlElement("w:cantSplit")
    properties.append(cant_split)


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _bold(cell) -> None:
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            run.font.bold = True
            _fonts(run, HEI, LATIN_SANS)


def _fixed_widths(table, widths) -> None:
    """Column widths every office program honours: the grid's, each cell's, and a fixed layout."""
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = width
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)


def _table(document, table: Table) -> None:
    widths = [Mm(TEXT_WIDTH_MM * c.width / 100) for c in table.columns]
    out = document.add_table(rows=1, cols=len(table.columns))
    out.style = "Table Grid"
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_widths(out, widths)
    head = out.rows[0]
    _repeat_header(head)
    for index, column in enumerate(table.columns):
        cell = head.cells[index]
        cell.width = widths[index]
        cell.paragraphs[0].add_run(column.label)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _bold(cell)
        _shade(cell, "E9E9E9")
    for row in table.rows:
        cells = out.add_row().cells
        for index, width in enumerate(widths):
            cells[index].width = width
        out.rows[-1]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        if row.group:
            merged = cells[0].merge(cells[-1])
            merged.paragraphs[0].add_run(row.cells[0].text)
            _bold(merged)
            _shade(merged, "F1F1F1")
            continue
        for index, value in enumerate(row.cells):
            target = cells[index]
            if value.box:
                target.paragraphs[0].add_run("☐").font.size = Pt(13)
                target.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                continue
            for position, part in enumerate(value.parts):
                _part(target, part, first=position == 0)
            if table.columns[index].numeric:
                for paragraph in target.paragraphs:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if row.total:
                _bold(target)
    for paragraph in (p for row in out.rows for cell in row.cells for p in cell.paragraphs):
        paragraph.paragraph_format.space_after = Pt(1)
        for run in paragraph.runs:
            if run.font.size is None:
                run.font.size = Pt(9)
    document.add_paragraph()


def _facts(document, facts: Facts) -> None:
    table = document.add_table(rows=0, cols=2)
    widths = (Mm(40), Mm(TEXT_WIDTH_MM - 40))
    _fixed_widths(table, widths)
    for key, part in facts.pairs:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = widths
        run = cells[0].paragraphs[0].add_run(key)
        run.font.color.rgb = GREY
        _part(cells[1], part, first=True)
    document.add_paragraph()


def _signatures(document, signatures: Signatures) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(8)
    for index, key in enumerate(signatures.labels):
        run = paragraph.add_run(("    " if index else "") + f"{key}：" + "_" * 18)
        run.font.bold = False


def _verification(document, generated: Generated) -> None:
    import segno

    document.add_heading(_label("verification", generated.lang), level=2)
    image = io.BytesIO()
    segno.make(generated.verify_url, error="m").save(image, kind="png", scale=4, border=2)
    image.seek(0)
    document.add_picture(image, width=Mm(27))
    for key, value, link in (("sha256", generated.sha256, None), ("verify", generated.verify_url, generated.verify_url),
                             ("permalink", generated.permalink, generated.permalink),
                             ("status", generated.standing, None)):
        paragraph = document.add_paragraph()
        label = paragraph.add_run(f"{_label(key, generated.lang)}：")
        label.font.color.rgb = GREY
        if link:
            _link(paragraph, value, link)
        else:
            paragraph.add_run(value)
    note = document.add_paragraph().add_run(generated.verify_text)
    note.font.size = Pt(8)
    note.font.color.rgb = GREY


def docx_bytes(generated: Generated) -> bytes:
    """The DOCX of a generated document."""
    document = Document()
    _styles(document, generated.lang)
    _page(document)
    _head_and_foot(document, generated)
    document.core_properties.title = f"{generated.title} · {generated.code} {generated.version} · {generated.subject}"
    document.core_properties.author = "Occupational Standards Registry"
    document.core_properties.comments = f"sha256 {generated.sha256}; {generated.verify_url}"
    title = document.add_paragraph(generated.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subject = document.add_heading(generated.subject, level=1)
    subject.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _facts(document, generated.facts)
    for block in generated.blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=min(block.level, 3))
        elif isinstance(block, Paragraph):
            run = document.add_paragraph().add_run(block.text)
            if block.kind == "note":
                run.font.size = Pt(8.5)
                run.font.color.rgb = GREY
        elif isinstance(block, Bullets):
            for part in block.items:
                paragraph = document.add_paragraph(style="List Bullet")
                if part.link:
                    _link(paragraph, part.text, part.link)
                else:
                    paragraph.add_run(part.text)
                if part.note:
                    run = paragraph.add_run(f"  {part.note}")
                    run.font.size = Pt(7.5)
                    run.font.color.rgb = GREY
        elif isinstance(block, Facts):
            _facts(document, block)
        elif isinstance(block, Table):
            _table(document, block)
        elif isinstance(block, Signatures):
            _signatures(document, block)
    _verification(document, generated)
    out = io.BytesIO()
    document.save(out)
    return _fixed_dates(out.getvalue())


def _fixed_dates(data: bytes) -> bytes:
    """The same zip with every entry dated :data:`FIXED_DATE` (python-docx stamps the time of writing)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
