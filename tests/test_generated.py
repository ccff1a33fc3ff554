"""The documents generated for a level, read as their readers read them: the PDFs' text against the
standard's items, figures that add up, no text running out of a table cell; the DOCX and the CSV
opened by LibreOffice (Debian's, headless) as people's office software opens them.

Two standards, as the issue asks: 4-04-05-05 2.0 (a skill standard with five grades) at L3, and
2-02-38-01 1.0 (a technical standard with directions) at intermediate, computer-vision direction.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from registry.exports import RenderJob, VersionInfo, render
from registry.exports.formats import GENERATED
from registry.generated import build
from registry.generated.builders import checklist_lines, plan_modules
from registry.generated.figures import figure, shown_weights
from registry.levels import Scope, level_view
from registry.lifecycle import IN_FORCE, Standing
from registry.loader import load_bytes

STANDARDS = Path(__file__).resolve().parent.parent / "standards"
CASES = {"skill": ("4-04-05-05", "2.0", Scope("L3")), "technical": ("2-02-38-01", "1.0", Scope("intermediate", "cv"))}
LIBREOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


DAY = date(2026, 5, 1)


def source(code: str, version: str) -> tuple[dict, bytes, VersionInfo]:
    """A version as the catalog gives it to a renderer: in force, on :data:`DAY`."""
    data = (STANDARDS / code / f"{version}.yaml").read_bytes()
    doc = load_bytes(data).data
    standing = Standing(version, IN_FORCE, start=date(2025, 1, 1))
    return doc, data, VersionInfo.of_document(doc, source=data, standing=standing, day=DAY)


def squeeze(text: str) -> str:
    """Text without white space: a line broken in a table cell reads the same."""
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    import pypdf

    return "".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def text_of(doc: dict, item: dict, lang: str) -> str:
    text = item["text"]
    return text.get(lang) or text[doc["languages"]["master"]] if isinstance(text, dict) else text


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    code, version, scope = CASES[request.param]
    doc, data, info = source(code, version)
    return doc, data, info, scope


@pytest.fixture(scope="module")
def pdfs(case):
    """Every generated PDF of the case, in Chinese and in English."""
    doc, data, info, scope = case
    return {(kind, lang): render(f"{kind}.pdf", RenderJob(doc, data, info, lang, scope=scope))
            for kind in (*GENERATED, "level") for lang in ("zh", "en")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_checklist_has_every_skill_of_the_level_once_with_weights_adding_to_100(case, pdfs, lang):
    doc, _data, _info, scope = case
    view = level_view(doc, scope.level, scope.direction)
    text = squeeze(pdf_text(pdfs["assessment-checklist", lang]))
    lines = checklist_lines(view)
    assert lines
    for _block, _content, item, _weight in lines:
        assert text.count(squeeze(text_of(doc, item, lang))) == 1, item["id"]
        assert item["id"] in text
    # requirements of the lower levels are not lines of this level's checklist
    for _t, _b, _c, item in view.requirements(included=True)[len(lines):]:
        assert squeeze(text_of(doc, item, lang)) not in text
    shown = shown_weights({item["id"]: w for _b, _c, item, w in lines})
    assert sum(shown.values()) == 100
    printed = [float(x) for x in re.findall(r"(?<![\d.])(\d{1,3}\.\d)(?![\d.])", text)]
    assert sum(float(figure(v)) for v in shown.values()) == pytest.approx(100)
    assert 100.0 in printed  # the total line


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_training_plan_divides_the_levels_hours(case, pdfs, lang):
    doc, _data, _info, scope = case
    view = level_view(doc, scope.level, scope.direction)
    modules = plan_modules(view)
    assert sum(hours for *_, hours in modules) == view.total_hours > 0
    text = pdf_text(pdfs["training-plan", lang])
    flat = squeeze(text)
    for _block, content, _hours in modules:
        assert squeeze(text_of(doc, {"text": content["name"]}, lang)) in flat
        for item in content["knowledge"]:  # the knowledge each module teaches
            assert squeeze(text_of(doc, item, lang)) in flat
    assert str(view.total_hours) in text


def test_the_job_description_lists_the_level_with_the_lower_levels_included(case, pdfs):
    doc, _data, info, scope = case
    view = level_view(doc, scope.level, scope.direction)
    text = squeeze(pdf_text(pdfs["job-description", "zh"]))
    assert squeeze(text_of(doc, {"text": doc["overview"]["definition"]}, "zh")) in text
    for _t, _b, _c, item in view.requirements(included=True):
        assert text.count(squeeze(text_of(doc, item, "zh"))) == 1, item["id"]
    for condition in view.eligibility:
        assert squeeze(text_of(doc, {"text": condition}, "zh")) in text
    assert squeeze(info.item_url("<ID>")) in text


def pdf_links(data: bytes) -> list[str]:
    import pypdf

    uris = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def docx_links(data: bytes) -> list[str]:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE

    part = docx.Document(io.BytesIO(data)).part
    return [r.target_ref for r in part.rels.values() if r.reltype == RELATIONSHIP_TYPE.HYPERLINK]


def test_each_item_leads_to_its_permalink(case, pdfs):
    """In the PDF and in the DOCX, every skill and knowledge item of the job description and every
    line of the checklist is a link to the item's permalink; the training plan's modules too."""
    doc, data, info, scope = case
    view = level_view(doc, scope.level, scope.direction)
    expected = {
        "job-description": {i["id"] for _t, _b, c, _i in view.requirements(included=True)
                            for i in c["requirements"] + c.get("knowledge", [])},
        "assessment-checklist": {item["id"] for _b, _c, item, _w in checklist_lines(view)},
        "training-plan": {content["id"] for _b, content, _h in plan_modules(view)},
    }
    for kind, ids in expected.items():
        wanted = {info.item_url(i) for i in ids}
        assert wanted and wanted <= set(pdf_links(pdfs[kind, "en"])), kind
        docx = render(f"{kind}.docx", RenderJob(doc, data, info, "en", scope=scope))
        assert wanted <= set(docx_links(docx)), kind


def test_each_document_prints_code_version_standing_and_hash(case, pdfs):
    import pikepdf

    doc, source_bytes, info, _scope = case
    for (kind, lang), data in pdfs.items():
        text = squeeze(pdf_text(data))
        assert doc["code"] in text and info.sha256 in text and squeeze(info.verify_url) in text, kind
        standing = "2026-05-01的状态:现行有效" if lang == "zh" else "Standingon2026-05-01:Inforce"
        assert standing in text, (kind, lang)  # the standing on the day it was made
        with pikepdf.open(io.BytesIO(data)) as pdf:  # the exact source attached, as to every registry PDF
            attached = pdf.attachments[f"{doc['code']}-{doc['version']}.yaml"].get_file().read_bytes()
        assert attached == source_bytes, kind


def test_no_text_runs_out_of_a_table_cell(case):
    """Laid out by WeasyPrint as the PDF is: every line of text inside a table cell ends within the cell."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    from registry.render.generated import render_generated_html
    from registry.render.pdf import PrintAssetFetcher, font_config

    doc, _data, info, scope = case
    for kind in (*GENERATED, "level"):
        html = render_generated_html(build(kind, doc, scope, info, "en"), for_pdf=True)
        document = weasyprint.HTML(string=html, base_url="https://print-assets.registry.invalid/print/",
                                   url_fetcher=PrintAssetFetcher()).render(font_config=font_config())
        cells = 0
        for page in document.pages:
            for cell in (b for b in page._page_box.descendants() if isinstance(b, boxes.TableCellBox)):
                cells += 1
                right = cell.content_box_x() + cell.width
                for text in (b for b in cell.descendants() if isinstance(b, boxes.TextBox)):
                    assert text.position_x + text.width <= right + 0.5, (kind, text.text)
        assert cells > 20, kind


def convert(files: list[Path], to: str, out: Path, infilter: str | None = None) -> None:
    """LibreOffice, headless, with a profile of its own (two test processes may convert at once)."""
    profile = out / "profile"
    command = [LIBREOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               *(["--infilter=" + infilter] if infilter else []), "--convert-to", to, "--outdir", str(out),
               *map(str, files)]
    subprocess.run(command, check=True, capture_output=True, timeout=240)


def test_the_docx_files_open_in_libreoffice(case, tmp_path):
    """One conversion per document kind, each with the text a reader checks."""
    doc, data, info, scope = case
    view = level_view(doc, scope.level, scope.direction)
    files = []
    for kind in GENERATED:
        path = tmp_path / f"{kind}.docx"
        path.write_bytes(render(f"{kind}.docx", RenderJob(doc, data, info, "zh", scope=scope)))
        files.append(path)
    convert(files, "pdf", tmp_path)
    texts = {kind: squeeze(pdf_text((tmp_path / f"{kind}.pdf").read_bytes())) for kind in GENERATED}
    for _block, _content, item, _weight in checklist_lines(view):
        assert texts["assessment-checklist"].count(squeeze(text_of(doc, item, "zh"))) == 1, item["id"]
    for kind in GENERATED:
        assert doc["code"] in texts[kind] and info.sha256 in texts[kind], kind
    assert str(view.total_hours) in texts["training-plan"]


def test_codes_versions_and_numbers_stay_text_in_a_spreadsheet(tmp_path):
    """LibreOffice Calc opens the CSV of a level (version "1.10", which a spreadsheet would make 1.1);
    read back from the XLSX it writes, with openpyxl, every code, version and number is the text."""
    import openpyxl

    doc, data, _info = source("4-04-05-05", "2.0")
    info = VersionInfo(code="4-04-05-05", version="1.10")
    for name, job in (("version", RenderJob(doc, data, info)), ("level", RenderJob(doc, data, info, scope=Scope("L3")))):
        (tmp_path / f"{name}.csv").write_bytes(render("csv" if name == "version" else "level.csv", job))
    convert([tmp_path / "version.csv", tmp_path / "level.csv"], "xlsx", tmp_path, "CSV:44,34,76,1")
    for name in ("version", "level"):
        sheet = openpyxl.load_workbook(tmp_path / f"{name}.xlsx", data_only=True).active
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        rows = [dict(zip(header, (c.value for c in r))) for r in sheet.iter_rows(min_row=2)]
        assert {r["version"] for r in rows} == {"1.10"} and {r["code"] for r in rows} == {"4-04-05-05"}
        numbers = [r["number"] for r in rows if r["number"] is not None]
        assert numbers and all(isinstance(n, str) and re.fullmatch(r"\d+(\.\d+)+", n) for n in numbers)
        assert all(isinstance(r["work_content_number"], str) for r in rows if r["work_content_number"] is not None)
        assert {r["part"] for r in rows} == {"basic", "work"}
