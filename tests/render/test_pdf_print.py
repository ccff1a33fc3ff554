"""The PDF set as a printed national standard and tagged for people who do not see it: the structure
tree a screen reader reads (headings, tables with their header cells, the language of every text),
the translation set apart from the master text, and figures right-aligned under a head that gives
their unit.

The tree is read back from the PDF with pikepdf, and the text of each element from the marked
content of the pages (pypdf), as an assistive technology would read them.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path

import pikepdf
import pypdf
import pytest

from registry.loader import load_bytes
from registry.render import render_html, source_attachment_name
from registry.render.pdf import render_pdf
from tests.infos import info_for

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS_FILE = ROOT / "standards" / "2-02-38-01" / "1.0.yaml"  # technical, directions, zh + en + fr
SHORT_FILE = ROOT / "standards" / "2-02-38-09" / "1.0.yaml"  # the corpus's shortest: what every page must carry


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def tagged():
    source = CORPUS_FILE.read_bytes()
    doc = load_bytes(source).data
    html = render_html(doc, lang="en", status_info=info_for(source, effective_from="2021-12-01"), standalone=False,
                       for_pdf=True)
    pdf = render_pdf(html, attachments=[(source_attachment_name(doc), source)])
    return {"pdf": pdf, "doc": doc, "tree": Tree(pdf)}


class Tree:
    """The structure tree of a PDF: its elements in reading order, and the text of each."""

    def __init__(self, data: bytes):
        self.pdf = pikepdf.open(io.BytesIO(data))
        self.marked = self._marked_text(data)  # (page index, MCID) -> text
        self.page_of = {page.objgen: index for index, page in enumerate(self.pdf.pages)}
        self.elements: list[tuple[str, pikepdf.Dictionary, int]] = []  # (tag, element, depth)
        root = self.pdf.Root.StructTreeRoot
        self._walk(root.K[0] if isinstance(root.K, pikepdf.Array) else root.K, 0)

    @staticmethod
    def _marked_text(data: bytes) -> dict[tuple[int, int], str]:
        texts: dict[tuple[int, int], str] = defaultdict(str)
        for index, page in enumerate(pypdf.PdfReader(io.BytesIO(data)).pages):
            current: list = [None]

            def before(operator, operands, cm, tm, current=current):
                if operator == b"BDC":
                    properties = operands[1]
                    current[0] = properties.get("/MCID") if hasattr(properties, "get") else None
                elif operator == b"EMC":
                    current[0] = None

            def visit(text, cm, tm, font, size, current=current, index=index):
                if current[0] is not None:
                    texts[(index, current[0])] += text

            page.extract_text(visitor_operand_before=before, visitor_text=visit)
        return texts

    def _walk(self, element: pikepdf.Dictionary, depth: int) -> None:
        self.elements.append((str(element.S)[1:], element, depth))
        for kid in self.kids(element):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                self._walk(kid, depth + 1)

    @staticmethod
    def kids(element) -> list:
        k = element.get("/K")
        if k is None:
            return []
        return list(k) if isinstance(k, pikepdf.Array) else [k]

    def text(self, element) -> str:
        """The text of ``element`` and its descendants, in order."""
        parts = []
        for kid in self.kids(element):
            if isinstance(kid, int):
                parts.append(self.marked.get((self.page_of[element.Pg.objgen], int(kid)), ""))
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                parts.append(self.text(kid))
        return "".join(parts)

    def all(self, tag: str) -> list[pikepdf.Dictionary]:
        return [element for name, element, _ in self.elements if name == tag]


def test_the_pdf_is_tagged_with_its_language(tagged):
    root = tagged["tree"].pdf.Root
    assert root.Lang == "zh" and root.MarkInfo.Marked is True
    assert str(root.StructTreeRoot.K[0].S) == "/Document"
    # the translations say their language: the English of a requirement is read as English
    requirement = tagged["doc"]["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]["requirements"][0]
    english = [squash(tagged["tree"].text(e)) for _, e, _ in tagged["tree"].elements if e.get("/Lang") == "en"]
    assert squash(requirement["text"]["en"]) in english
    assert squash(requirement["text"]["zh"]) not in english


def test_headings_in_the_structure_tree(tagged):
    tree = tagged["tree"]
    h1 = [squash(tree.text(e)) for e in tree.all("H1")]
    for title in ("说明Foreword", "1职业概况Occupationaloverview", "2基本要求Basicrequirements",
                  "3工作要求Workrequirements", "4权重表Weighttables", "5附录Appendix", "验证信息Verification"):
        assert title in h1, (title, h1)
    h2 = [squash(tree.text(e)) for e in tree.all("H2")]
    assert any(t.startswith("3.1计算机视觉产品实现") for t in h2) and any(t.startswith("4.1理论知识权重表") for t in h2)
    assert any(squash(tree.text(e)).startswith("3.1.1初级") for e in tree.all("H3"))
    # the running header and footer are not content: no heading or paragraph holds them
    contents = "".join(squash(tree.text(e)) for e in tree.all("P"))
    assert "第1页共" not in contents and "page1of" not in contents


def test_tables_have_rows_of_header_and_data_cells(tagged):
    tree = tagged["tree"]
    tables = tree.all("Table")
    assert len(tables) >= 10  # the work requirement tables (a part on each page it runs over), hours, weights
    work = [t for t in tables
            if any(squash(tree.text(th)) == "职业功能Occupationalfunction" for th in _cells(tree, t, "TH"))]
    assert len(work) >= 6
    for table in work:
        heads = _cells(tree, table, "TH")
        assert [squash(tree.text(th))[:4] for th in heads[:4]] == ["职业功能", "工作内容", "专业能力", "相关知识"]
        assert all(th.A.Scope == "/Column" for th in heads)
        assert len(_cells(tree, table, "TD")) >= 4
    # the weight tables: a column head per level under the unit, a row head per item
    weights = [t for t in tables if any(squash(tree.text(th)).startswith("权重（%）") for th in _cells(tree, t, "TH"))]
    assert len(weights) == 2
    for table in weights:
        rows = [th for th in _cells(tree, table, "TH") if th.A.Scope == "/Row"]
        assert any(squash(tree.text(th)).startswith("合计") for th in rows) and len(rows) >= 4
        assert all(re.fullmatch(r"\d+|—", squash(tree.text(td))) for td in _cells(tree, table, "TD"))


def _cells(tree: Tree, table, tag: str) -> list:
    found, stack = [], [table]
    while stack:
        element = stack.pop(0)
        for kid in tree.kids(element):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                (found.append(kid) if str(kid.S) == f"/{tag}" else stack.append(kid))
    return found


def test_every_marked_content_is_in_the_tree_and_the_qr_code_has_words(tagged):
    tree = tagged["tree"]
    nums = tree.pdf.Root.StructTreeRoot.ParentTree.Nums
    for index, page in enumerate(tree.pdf.pages):
        mcids = set(int(m) for m in re.findall(rb"/MCID (\d+)", page.Contents.read_bytes()))
        assert int(nums[2 * index]) == page.StructParents == index
        assert len(nums[2 * index + 1]) == len(mcids) == (max(mcids) + 1 if mcids else 0)
    figures = tree.all("Figure")
    assert len(figures) == 2 and all("/verify/" in str(f.Alt) for f in figures)  # cover and verification page


# --- typography ---------------------------------------------------------------------------------------------


def runs(pdf: bytes, page: int) -> list[dict]:
    """The text runs of a page: text, x, font size and fill colour."""
    found: list[dict] = []
    colour: list = [None]

    def before(operator, operands, cm, tm):
        if operator == b"rg":
            colour[0] = tuple(round(float(v), 2) for v in operands)

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append({"text": text.strip(), "x": cm[4] + tm[4] * cm[0], "size": size * tm[0],
                          "colour": colour[0]})

    pypdf.PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_operand_before=before, visitor_text=visit)
    return found


def test_the_translation_is_smaller_and_grey(tagged):
    pdf, doc = tagged["pdf"], tagged["doc"]
    requirement = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]["requirements"][0]
    texts = [squash(t.extract_text()) for t in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    page = next(i for i, t in enumerate(texts) if squash(requirement["text"]["en"]) in t)
    found = runs(pdf, page)
    master = next(r for r in found if squash(requirement["text"]["zh"])[:8] in squash(r["text"]))
    english = next(r for r in found if requirement["text"]["en"][:20] in r["text"])
    assert english["size"] < master["size"] * 0.9
    assert english["colour"] not in (None, master["colour"]) and min(english["colour"]) >= 0.3  # grey, not black


def test_figures_right_aligned_with_their_unit_in_the_head(tagged):
    pdf = tagged["pdf"]
    texts = [squash(t.extract_text()) for t in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    page = next(i for i, t in enumerate(texts) if "4.1理论知识权重表" in t)
    assert "权重（%）/Weight(%)" in texts[page] and not re.search(r"100%|合计/Total.*\n%", texts[page])
    found = runs(pdf, page)
    numbers = [r for r in found if re.fullmatch(r"\d+", r["text"])]
    assert numbers
    # in every column, a shorter number starts further right: the figures end on one line
    columns: dict[int, list[dict]] = defaultdict(list)
    for r in sorted(numbers, key=lambda r: r["x"]):
        key = next((k for k in columns if abs(k - r["x"]) < 25), round(r["x"]))
        columns[key].append(r)
    checked = 0
    for column in columns.values():
        by_length = {len(r["text"]): r["x"] for r in column}
        if 1 in by_length and 2 in by_length:
            assert by_length[1] > by_length[2] + 2, column
            checked += 1
        if 2 in by_length and 3 in by_length:
            assert by_length[2] > by_length[3] + 2, column
            checked += 1
    assert checked >= 3


def test_no_lone_unit_under_the_weight_tables(tagged):
    source = CORPUS_FILE.read_bytes()
    html = render_html(tagged["doc"], lang="zh", status_info=info_for(source))
    part4 = html[html.index('id="part-4"'):]
    assert '<p class="unit">' not in part4 and part4.count("权重（%）") == 2
    assert re.search(r'<th class="num">.*?学时', html)  # the hours, right-aligned under their unit


@pytest.mark.parametrize("status, values, stamp", [
    ("superseded", {"successor_version": "2.0"}, "已被替代/Superseded"),
    ("withdrawn", {"withdrawn_reason": "Replaced by the 2025 occupational classification."}, "已撤销/Withdrawn"),
    ("upcoming", {"effective_from": "2027-06-01"}, "尚未实施/Notyetinforce"),
])
def test_a_version_not_in_force_is_stamped_on_a_cover_of_one_page(status, values, stamp):
    source = SHORT_FILE.read_bytes()
    doc = load_bytes(source).data
    html = render_html(doc, lang="en", status_info=info_for(source, status, **values), standalone=False, for_pdf=True)
    texts = [squash(t.extract_text()) for t in pypdf.PdfReader(io.BytesIO(render_pdf(html))).pages]
    assert texts[0].startswith(stamp)  # the stamp heads the cover
    assert "验证地址" in texts[0] and texts[1].startswith("目次")  # the whole cover on its first page
    assert all(stamp in text for text in texts)  # and the notice is on every page
