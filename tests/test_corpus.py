"""The sample corpus in standards/: valid, honest about being illustrative, deep enough to use."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from registry.loader import load_bytes
from registry.validate import validate_file

from .conftest import ROOT, STANDARDS

FILES = sorted(STANDARDS.rglob("*.yaml"))
SCHEMA_COMMENT = "# yaml-language-server: $schema="


def _doc(path: Path) -> dict:
    return load_bytes(path.read_bytes()).data


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(STANDARDS)) for p in FILES])
def test_every_standard_validates(path):
    report = validate_file(path)
    assert report.valid, "\n".join(f"{i.location}: {i.rule}: {i.message}" for i in report.issues)


def test_every_yaml_file_in_the_repository_names_its_schema():
    tracked = [p for p in ROOT.rglob("*.y*ml") if ".venv" not in p.parts and "node_modules" not in p.parts
               and p.suffix in (".yaml", ".yml")]
    assert len(tracked) > 20
    for path in tracked:
        first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
        if path.parent.name == "invalid" and not first.startswith("#"):
            continue  # invalid examples that test unreadable bytes cannot carry a comment
        assert first.startswith(SCHEMA_COMMENT), path


def test_corpus_size_and_required_occupations():
    codes = {p.parent.name for p in FILES}
    assert len(codes) >= 14
    required = {"4-04-05-05", "4-04-04-02", "2-06-07-13", "4-01-06-01"}
    assert required <= codes
    assert len({c for c in codes if c.startswith("2-02-38-")}) >= 8


def test_every_file_says_it_is_an_illustrative_sample():
    for path in FILES:
        provenance = _doc(path)["provenance"]
        assert provenance["document_status"] == "illustrative-sample", path
        note = provenance["note"]
        assert "illustrative" in note["en"].lower() and "示例" in note["zh"], path


def test_chinese_master_with_english_and_some_french():
    french = 0
    for path in FILES:
        doc = _doc(path)
        assert doc["languages"]["master"] == "zh"
        assert "en" in doc["languages"]["translations"]
        assert set(doc["title"]) >= {"zh", "en"} and set(doc["overview"]["definition"]) >= {"zh", "en"}
        if "fr" in doc["title"] and "fr" in doc["overview"]["definition"]:
            french += 1
    assert french >= 5


def test_ai_trainer_has_five_grades_and_two_work_types():
    doc = _doc(STANDARDS / "4-04-05-05" / "1.0.yaml")
    assert [level["id"] for level in doc["levels"]] == ["L5", "L4", "L3", "L2", "L1"]
    assert len(doc["work_types"]) == 2
    assert doc["standard_type"] == "skill"


def test_realistic_depth():
    for path in FILES:
        doc = _doc(path)
        for section in doc["work_requirements"]["sections"]:
            assert len(section["functions"]) >= 3, (path, section["level"])
            for block in section["functions"]:
                assert len(block["work_contents"]) >= 2, (path, block["function"])
                for content in block["work_contents"]:
                    assert len(content["requirements"]) >= 3, (path, content["id"])
                    assert len(content["knowledge"]) >= 2, (path, content["id"])
        assert doc["overview"]["training_hours"], path
        assert len(doc["basic_requirements"]["basic_knowledge"]) >= 3, path


def _items(doc: dict) -> dict[str, tuple[str, str]]:
    """item id -> (work content id, text) for every requirement and knowledge item."""
    items = {}
    for section in doc["work_requirements"]["sections"]:
        for block in section["functions"]:
            for content in block["work_contents"]:
                for key in ("requirements", "knowledge"):
                    for item in content[key]:
                        items[item["id"]] = (content["id"], repr(item["text"]))
    return items


def _revision_kinds(old_path: Path, new_path: Path) -> set[str]:
    """What one revision does to the requirement and knowledge items, by stable ID."""
    old, new = _items(_doc(old_path)), _items(_doc(new_path))
    common = set(old) & set(new)
    kinds = set()
    if set(new) - set(old):
        kinds.add("added")
    if set(old) - set(new):
        kinds.add("removed")
    if any(old[i][1] != new[i][1] for i in common):
        kinds.add("reworded")
    if any(old[i][0] != new[i][0] for i in common):
        kinds.add("moved")
    return kinds


def test_at_least_three_standards_have_a_revision_with_realistic_changes():
    """Each of them has two consecutive versions between which items are added, removed, reworded
    and moved: a revision as a standards body really makes one, not one kind of change alone."""
    versions = defaultdict(list)
    for path in FILES:
        versions[path.parent.name].append(path)
    realistic = set()
    for code, paths in versions.items():
        paths.sort(key=lambda p: tuple(int(n) for n in p.stem.split(".")))
        for old, new in zip(paths, paths[1:]):
            if _revision_kinds(old, new) == {"added", "removed", "reworded", "moved"}:
                realistic.add(code)
    assert len(realistic) >= 3, realistic
