"""What the render tests share: sample documents, PDF readers and the rendered files."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest

from registry.exports import VersionInfo
from registry.loader import load_bytes
from registry.render import render_html, source_attachment_name

ROOT = Path(__file__).resolve().parent.parent.parent
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


@pytest.fixture(scope="module")
def worker():
    from registry.render.worker import RenderWorker

    w = RenderWorker(timeout=120, warm=True).start()
    yield w
    w.close()
