"""Item-level diff between two versions of a standard, and the version bump it requires."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from registry.diff import (
    Diff,
    ItemChange,
    MetadataChange,
    WeightChange,
    bump_is_sufficient,
    diff_documents,
    parse_version,
    required_bump,
)
from registry.loader import load_bytes

from .conftest import STANDARDS, VALID

CORPUS = sorted(STANDARDS.rglob("*.yaml"))


def _load(path: Path) -> dict:
    return load_bytes(path.read_bytes()).data


def _version(code: str, version: str) -> dict:
    return _load(STANDARDS / code / f"{version}.yaml")


@pytest.fixture
def example() -> dict:
    return _load(VALID / "example.yaml")


def _ids(diff: Diff, flag: str) -> set[str]:
    return {c.item_id for c in diff.by_kind(flag)}


def _work_content(doc: dict, content_id: str) -> dict:
    for section in doc["work_requirements"]["sections"]:
        for block in section["functions"]:
            for content in block["work_contents"]:
                if content["id"] == content_id:
                    return content
    raise KeyError(content_id)


def _requirement(item_id: str, number: str, zh: str) -> dict:
    return {"id": item_id, "number": number, "text": {"zh": zh, "en": "English " + zh}}


def _with_second_sensor_requirement(doc: dict) -> dict:
    """The example with a second requirement in WC-J-sensor, so one can leave without emptying it."""
    doc = copy.deepcopy(doc)
    _work_content(doc, "WC-J-sensor")["requirements"].append(_requirement("R-J-sensor-2", "1.1.2", "第二条。"))
    return doc


# --- the corpus ------------------------------------------------------------------------------


def test_ai_trainer_revision_is_major_with_every_kind_of_change():
    diff = diff_documents(_version("4-04-05-05", "1.0"), _version("4-04-05-05", "2.0"))

    assert diff.change_class == "major"
    assert {"R-L5-ops-maint-update", "WC-L3-training-llm", "R-L3-training-llm-1", "BK-law-7",
            "R-L3-guidance-train-blended"} <= _ids(diff, "added")
    assert {"K-L5-annotate-stat-3", "R-L3-guidance-train-3", "R-L2-design-ux-3"} <= _ids(diff, "removed")
    assert {"R-L5-collect-acq-1", "E-C4", "BK-ai-3"} <= _ids(diff, "reworded")
    assert _ids(diff, "moved") == {"R-L5-ops-maint-3", "R-L3-design-monitor-2", "K-L3-design-monitor-2"}

    moved = next(c for c in diff.items if c.item_id == "R-L5-ops-maint-3")
    assert moved.kind == "moved" and moved.item_kind == "requirement"
    assert moved.old_location.work_content == "WC-L5-ops-maint"
    assert moved.new_location.work_content == "WC-L5-collect-acq"
    assert moved.old_text == moved.new_text

    # Pushed from 3.2.3 to 3.2.4 by an insertion before it: renumbered, not moved.
    assert "R-L4-ops-optimize-2" not in {c.item_id for c in diff.items}

    assert WeightChange("theory", "L3", None, "F-analysis", 20, 15) in diff.weights
    assert {m.path for m in diff.metadata} >= {"$.keywords", "$.provenance.revision",
                                               "$.overview.training_hours[level=L5].hours"}
    assert MetadataChange("$.version", "1.0", "2.0") in diff.release
    assert not diff.levels_added and not diff.levels_removed and not diff.functions_added
    assert required_bump("1.0", diff) == "2.0"
    assert bump_is_sufficient("1.0", "2.0", diff)
    assert not bump_is_sufficient("1.0", "1.1", diff)


def test_data_security_revision_is_major():
    diff = diff_documents(_version("4-04-04-02", "1.0"), _version("4-04-04-02", "2.0"))
    assert diff.change_class == "major"
    assert "WC-L3-api" in _ids(diff, "added")
    assert diff.weights


def test_big_data_wording_revision_is_minor_with_rewordings_only():
    diff = diff_documents(_version("2-02-38-03", "1.0"), _version("2-02-38-03", "1.1"))

    assert diff.change_class == "minor"
    assert diff.items and all(c.kind == "reworded" for c in diff.items)
    assert {"R-J-gather-4", "WC-J-clean", "F-visual", "E-C2", "BK-bigdata-4"} <= _ids(diff, "reworded")
    assert not diff.weights
    assert {m.path for m in diff.metadata} == {"$.keywords", "$.provenance.note", "$.provenance.revision"}
    assert {m.path for m in diff.release} == {"$.version", "$.edition", "$.provenance.effective_from"}
    assert diff.summary() == f"{len(diff.items)} reworded; metadata: 3 fields"
    assert required_bump("1.0", diff) == "1.1"
    assert bump_is_sufficient("1.0", "1.1", diff)


@pytest.mark.parametrize("path", CORPUS, ids=[str(p.relative_to(STANDARDS)) for p in CORPUS])
def test_a_document_diffed_with_itself_is_empty(path):
    doc = _load(path)
    diff = diff_documents(doc, copy.deepcopy(doc))
    assert diff == Diff()
    assert diff.change_class == "none"
    assert diff.summary() == "no changes"


def test_the_diff_is_json_for_the_api():
    diff = diff_documents(_version("4-04-05-05", "1.0"), _version("4-04-05-05", "2.0"))
    data = json.loads(json.dumps(diff.to_dict(), ensure_ascii=False))
    assert data["change_class"] == "major"
    assert data["counts"]["moved"] == 3
    assert data["summary"] == diff.summary()
    item = next(i for i in data["items"] if i["item_id"] == "R-L5-ops-maint-3")
    assert item["old_location"]["work_content"] == "WC-L5-ops-maint"
    assert item["new_text"]["zh"]
    assert {"table", "level", "direction", "row", "old", "new"} == set(data["weights"][0])


# --- synthetic edits of the annotated example ------------------------------------------------


def test_rewording_one_requirement_is_minor(example):
    new = copy.deepcopy(example)
    _work_content(new, "WC-J-sensor")["requirements"][0]["text"]["en"] = "Can choose sensors for a need."

    diff = diff_documents(example, new)

    assert diff.change_class == "minor"
    assert len(diff.items) == 1
    change = diff.items[0]
    assert (change.kind, change.item_id, change.item_kind) == ("reworded", "R-J-sensor-1", "requirement")
    assert change.old_text["en"] == "Can select sensors for a requirement."
    assert change.new_text == {"zh": "能根据需求选择传感器。", "en": "Can choose sensors for a need."}
    assert change.old_location == change.new_location
    assert change.new_location.level == "junior" and change.new_location.direction == "embedded"
    assert change.new_location.function == "F-sensing" and change.new_location.number == "1.1.1"
    assert not diff.metadata and not diff.weights
    assert diff.summary() == "1 reworded"


def test_adding_a_requirement_is_major(example):
    new = copy.deepcopy(example)
    _work_content(new, "WC-J-sensor")["requirements"].append(_requirement("R-J-sensor-2", "1.1.2", "新要求。"))

    diff = diff_documents(example, new)

    assert diff.change_class == "major"
    assert [(c.kind, c.item_id) for c in diff.items] == [("added", "R-J-sensor-2")]
    assert diff.items[0].old_location is None and diff.items[0].new_location.work_content == "WC-J-sensor"
    assert diff.summary() == "1 added"


def test_removing_a_requirement_is_major(example):
    diff = diff_documents(_with_second_sensor_requirement(example), example)
    assert diff.change_class == "major"
    assert [(c.kind, c.item_id) for c in diff.items] == [("removed", "R-J-sensor-2")]


def test_removing_a_level_is_major(example):
    new = copy.deepcopy(example)
    new["levels"] = [level for level in new["levels"] if level["id"] != "intermediate"]
    new["work_requirements"]["sections"] = [s for s in new["work_requirements"]["sections"]
                                            if s["level"] != "intermediate"]

    diff = diff_documents(example, new)

    assert diff.change_class == "major"
    assert diff.levels_removed == ("intermediate",)
    assert {"intermediate", "WC-I-sensor", "R-I-sensor-1", "K-I-sensor-1"} == _ids(diff, "removed")
    assert not _ids(diff, "added")
    assert "levels removed: intermediate" in diff.summary()


def test_changing_one_weight_is_major(example):
    new = copy.deepcopy(example)
    new["weights"]["skills"][0]["functions"]["F-sensing"] = 55

    diff = diff_documents(example, new)

    assert diff.change_class == "major"
    assert diff.weights == (WeightChange("skills", "junior", "embedded", "F-sensing", 60, 55),)
    assert not diff.items and not diff.metadata
    assert diff.summary() == "weights changed (1 cell)"


def test_weight_dash_to_number_is_a_change(example):
    new = copy.deepcopy(example)
    new["weights"]["theory"][1]["functions"]["F-platform"] = 0
    diff = diff_documents(example, new)
    assert diff.weights == (WeightChange("theory", "intermediate", "embedded", "F-platform", None, 0),)


def test_moving_a_requirement_to_another_work_content_is_a_move(example):
    old = _with_second_sensor_requirement(example)
    new = copy.deepcopy(old)
    item = _work_content(new, "WC-J-sensor")["requirements"].pop()
    _work_content(new, "WC-J-platform")["requirements"].append(dict(item, number="2.1.2"))

    diff = diff_documents(old, new)

    assert diff.change_class == "minor"
    assert len(diff.items) == 1
    change = diff.items[0]
    assert (change.kind, change.item_id) == ("moved", "R-J-sensor-2")
    assert (change.old_location.function, change.old_location.work_content) == ("F-sensing", "WC-J-sensor")
    assert (change.new_location.function, change.new_location.work_content) == ("F-platform", "WC-J-platform")
    assert change.new_location.number == "2.1.2"
    assert diff.summary() == "1 moved"


def test_a_move_with_new_wording_is_both(example):
    old = _with_second_sensor_requirement(example)
    new = copy.deepcopy(old)
    item = _work_content(new, "WC-J-sensor")["requirements"].pop()
    _work_content(new, "WC-J-platform")["requirements"].append(dict(item, number="2.1.2", text="改写后的要求。"))

    diff = diff_documents(old, new)

    assert [c.kind for c in diff.items] == ["moved+reworded"]
    assert diff.items[0].flags == {"moved", "reworded"}
    assert diff.summary() == "1 reworded, 1 moved"


def test_moving_a_work_content_moves_it_alone(example):
    new = copy.deepcopy(example)
    junior = new["work_requirements"]["sections"][0]
    content = junior["functions"][1]["work_contents"].pop()
    junior["functions"][0]["work_contents"].append(dict(content, number="1.2"))

    diff = diff_documents(example, new)

    # Its requirements and knowledge stay in the same work content: not moved themselves.
    assert [(c.kind, c.item_id) for c in diff.items] == [("moved", "WC-J-platform")]
    assert diff.items[0].old_location.function == "F-platform"
    assert diff.items[0].new_location.function == "F-sensing"


def test_renumbering_after_an_insertion_is_not_a_move(example):
    new = copy.deepcopy(example)
    requirements = _work_content(new, "WC-J-sensor")["requirements"]
    requirements[0]["number"] = "1.1.2"
    requirements.insert(0, _requirement("R-J-sensor-0", "1.1.1", "插在前面。"))

    diff = diff_documents(example, new)

    assert [(c.kind, c.item_id) for c in diff.items] == [("added", "R-J-sensor-0")]


def test_swapping_two_items_in_place_is_a_reorder(example):
    old = _with_second_sensor_requirement(example)
    new = copy.deepcopy(old)
    first, second = _work_content(new, "WC-J-sensor")["requirements"]
    _work_content(new, "WC-J-sensor")["requirements"] = [dict(second, number="1.1.1"), dict(first, number="1.1.2")]

    diff = diff_documents(old, new)

    assert diff.change_class == "minor"
    assert [c.kind for c in diff.items] == ["reordered"]  # one of the two changed its relative place


def test_a_requirement_that_became_knowledge_is_removed_and_added(example):
    new = copy.deepcopy(example)
    content = _work_content(new, "WC-J-sensor")
    content["knowledge"].append(dict(content["requirements"][0], number="1.1.2"))
    content["requirements"] = [_requirement("R-J-sensor-new", "1.1.1", "替代要求。")]

    diff = diff_documents(example, new)

    assert diff.change_class == "major"
    assert ("removed", "requirement") in {(c.kind, c.item_kind) for c in diff.items if c.item_id == "R-J-sensor-1"}
    assert ("added", "knowledge") in {(c.kind, c.item_kind) for c in diff.items if c.item_id == "R-J-sensor-1"}


def test_changing_the_title_is_metadata_only(example):
    new = copy.deepcopy(example)
    new["title"] = dict(new["title"], en="A new title")

    diff = diff_documents(example, new)

    assert diff.change_class == "minor"
    assert not diff.items and not diff.weights
    assert diff.metadata == (MetadataChange("$.title", example["title"], new["title"]),)
    assert diff.summary() == "metadata: 1 field"


def test_metadata_paths_use_keys_not_positions(example):
    new = copy.deepcopy(example)
    new["overview"]["training_hours"].insert(0, {"level": "junior", "direction": "embedded", "hours": 64})
    new["overview"]["training_hours"][2]["hours"] = 160
    new["functions"][0]["description"] = {"zh": "说明。"}
    _work_content(new, "WC-J-sensor")["work_types"] = ["wt-x"]

    paths = {m.path: (m.old, m.new) for m in diff_documents(example, new).metadata}

    assert paths == {
        "$.overview.training_hours[level=intermediate].hours": (128, 160),
        "$.overview.training_hours[level=junior,direction=embedded]": (None, new["overview"]["training_hours"][0]),
        "$.functions[F-sensing].description": (None, {"zh": "说明。"}),
        "$.work_contents[WC-J-sensor].work_types": (None, ["wt-x"]),
    }


def test_only_release_fields_changed_is_none(example):
    new = copy.deepcopy(example)
    new["version"], new["edition"] = "1.1", 2022
    new["provenance"]["effective_from"] = "2022-01-01"
    new["provenance"]["effective_until"] = "2030-01-01"

    diff = diff_documents(example, new)

    assert diff.change_class == "none"
    assert not diff.items and not diff.metadata and not diff.weights
    assert [m.path for m in diff.release] == ["$.version", "$.edition", "$.provenance.effective_from",
                                              "$.provenance.effective_until"]
    assert diff.summary() == "no changes"


def test_a_plain_string_is_its_master_language_entry(example):
    layout_only = copy.deepcopy(example)
    layout_only["occupation"] = {"zh": example["occupation"]["zh"]}
    master_only = copy.deepcopy(layout_only)
    master_only["occupation"] = example["occupation"]["zh"]
    assert diff_documents(layout_only, master_only).change_class == "none"

    # Dropping a translation is a change of wording, though.
    new = copy.deepcopy(example)
    _work_content(new, "WC-J-sensor")["requirements"][0]["text"] = "能根据需求选择传感器。"
    assert [(c.kind, c.item_id) for c in diff_documents(example, new).items] == [("reworded", "R-J-sensor-1")]


def test_adding_a_direction_and_a_function_is_major(example):
    new = copy.deepcopy(example)
    new["directions"].append({"id": "platform", "name": {"zh": "平台方向"}})
    new["functions"].append({"id": "F-ops", "name": {"zh": "运维"}})

    diff = diff_documents(example, new)

    assert diff.change_class == "major"
    assert diff.directions_added == ("platform",) and diff.functions_added == ("F-ops",)
    assert "directions added: platform" in diff.summary() and "functions added: F-ops" in diff.summary()


# --- versions --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, parsed", [("1.0", (1, 0)), ("0.9", (0, 9)), ("12.10", (12, 10))])
def test_parse_version(text, parsed):
    assert parse_version(text) == parsed


@pytest.mark.parametrize("text", ["1", "1.0.0", "01.0", "1.01", "v1.0", "", "1.x", None])
def test_parse_version_refuses_other_forms(text):
    with pytest.raises(ValueError):
        parse_version(text)


MAJOR = Diff(items=(ItemChange("added", "R-x", "requirement"),))
MINOR = Diff(items=(ItemChange("reworded", "R-x", "requirement"),))
NONE = Diff()


def test_the_classes_used_below():
    assert (MAJOR.change_class, MINOR.change_class, NONE.change_class) == ("major", "minor", "none")


@pytest.mark.parametrize("old, diff, expected", [
    ("1.3", MAJOR, "2.0"), ("1.3", MINOR, "1.4"), ("1.3", NONE, "1.4"), ("0.9", MINOR, "0.10"),
])
def test_required_bump(old, diff, expected):
    assert required_bump(old, diff) == expected


@pytest.mark.parametrize("old, new, diff, ok", [
    ("1.0", "1.1", MINOR, True),
    ("1.0", "1.1", MAJOR, False),
    ("1.0", "2.0", MAJOR, True),
    ("1.0", "2.0", MINOR, True),
    ("1.0", "3.0", MAJOR, True),
    ("1.0", "1.0", MINOR, False),
    ("1.0", "1.0", NONE, False),
    ("1.9", "1.10", MINOR, True),
    ("2.0", "1.5", MINOR, False),
    ("2.0", "1.5", MAJOR, False),
    ("2.0", "1.5", NONE, False),
])
def test_bump_is_sufficient(old, new, diff, ok):
    assert bump_is_sufficient(old, new, diff) is ok
