"""A level's display name is computed in one place (``registry.documents.level_names``): a level that
the standard names itself shows that name wherever the level is named (pages, the printed standard,
CSV, CASE, the search index, the diff, generated documents), and the names of the level schemes
(``registry.vocabulary.LEVEL_SCHEMES``) are read nowhere else."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

from registry.db import write_session
from registry.documents import level_name, level_name_map, level_names
from registry.exports import RenderJob, VersionInfo, render
from registry.exports.csv_matrix import plain
from registry.levels import Scope
from registry.lifecycle import IN_FORCE, Standing
from registry.loader import load_bytes

from .conftest import STANDARDS

CODE = "4-04-05-05"
OWN = {"zh": "三级/数据训练高级工", "en": "Level 3 / Senior data trainer"}
REGISTRY = Path(__file__).resolve().parent.parent / "registry"


def renamed_source() -> bytes:
    """Version 3.0 of 4-04-05-05: level L3 named by the standard itself, one L3 skill reworded (so
    that the diff from 2.0 names the level), in force since 2026-01-01."""
    text = (STANDARDS / CODE / "2.0.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^version: .*$", "version: '3.0'", text, count=1)
    text = re.sub(r'effective_from: "[0-9-]+"', 'effective_from: "2026-01-01"', text, count=1)
    text = text.replace("\n  - id: L3\n", f"\n  - id: L3\n    name: {{zh: {OWN['zh']}, en: '{OWN['en']}'}}\n", 1)
    text = text.replace("Can map the business processes", "Can chart the business processes", 1)
    return text.encode("utf-8")


def renamed() -> tuple[dict, bytes, VersionInfo]:
    data = renamed_source()
    doc = load_bytes(data).data
    info = VersionInfo.of_document(doc, source=data, standing=Standing("3.0", IN_FORCE, start=date(2026, 1, 1)),
                                   day=date(2026, 5, 1))
    return doc, data, info


def test_the_names_come_from_the_document_then_its_scheme_then_the_id():
    doc, _data, _info = renamed()
    assert level_names(doc, "L3") == OWN and level_name(doc, "L3", "en") == OWN["en"]
    assert level_name(doc, "L4", "en") == "Level 4 / Intermediate worker" and level_name(doc, "L4", "zh") == "四级/中级工"
    assert level_name(doc, "L4", "fr") == "四级/中级工"  # no French name: the master language's
    assert level_name(None, "intermediate", "en") == "Intermediate"  # a facet's ID alone: its scheme's name
    assert level_name(None, "L9", "en") == "L9" and level_name_map(doc, "L9") == {}
    plain_named = {**doc, "levels": [{"id": "L3", "name": "高级"}]}
    assert level_name_map(plain_named, "L3") == {"zh": "高级"}


def test_every_output_names_the_level_as_the_standard_does():
    doc, data, info = renamed()
    rows = list(csv.DictReader(io.StringIO(render("csv", RenderJob(doc, data, info)).decode("utf-8-sig"),
                                           newline="")))
    assert {(r["level_name_zh"], r["level_name_en"]) for r in rows if plain(r["level_id"]) == "L3"} == \
        {(OWN["zh"], OWN["en"])}
    case = json.loads(render("case.json", RenderJob(doc, data, info)))
    statements = {i["fullStatement"] for i in case["CFItems"]}
    assert OWN["zh"] in statements
    printed = render("html", RenderJob(doc, data, info, "en")).decode("utf-8")
    assert OWN["zh"] in printed and OWN["en"] in printed and "Level 3 / Senior worker" not in printed
    from registry.generated import build
    from registry.render.generated import render_generated_html

    for kind in ("job-description", "assessment-checklist", "training-plan", "level"):
        html = render_generated_html(build(kind, doc, Scope("L3"), info, "en"), for_pdf=False)
        assert OWN["en"] in html and "Senior worker" not in html, kind
    from registry.search.documents import document_from

    class Version:
        code, version, status, document = CODE, "3.0", "published", doc

    indexed = [json.loads(d["data"]) for d in document_from(Version())]
    assert indexed[0]["level_names"]["L3"] == OWN  # the standard's record (facet labels)
    items = [d for d in indexed[1:] if d.get("level") == "L3"]
    assert items and all(d["level_name"] == OWN for d in items)  # each hit of the level


def test_the_pages_name_the_level_as_the_standard_does(engine, client, corpus):
    from registry.services import catalog
    from registry.services.context import SYSTEM

    with write_session(engine) as session:
        catalog.publish(session, catalog.validate_upload(renamed_source()), SYSTEM)
    for url in (f"/standards/{CODE}/3.0?lang=en", f"/standards/{CODE}/3.0/levels/L3?lang=en",
                f"/standards/{CODE}/3.0/levels/L2?lang=en", f"/standards/{CODE}/3.0/items/R-L3-analysis-process-1?lang=en",
                f"/standards/{CODE}/diff?from=2.0&to=3.0&lang=en"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        assert OWN["en"] in text and "Level 3 / Senior worker" not in text, url


def test_the_level_schemes_are_read_in_one_place():
    """Besides the validator (which checks a level's ID against its scheme), only
    ``documents.level_names`` reads the schemes' names."""
    readers = sorted(str(p.relative_to(REGISTRY)) for p in REGISTRY.rglob("*.py")
                     if "LEVEL_SCHEMES" in p.read_text("utf-8") and p.name != "vocabulary.py")
    assert readers == ["documents.py", "rules.py"]
    rules = (REGISTRY / "rules.py").read_text("utf-8")
    assert not re.search(r"LEVEL_SCHEMES\[[^\]]+\]\[[^\]]+\]", rules)  # IDs only, never a name
