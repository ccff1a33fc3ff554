"""Every lint rule has a document that triggers it and one that does not (docs/lint.md)."""

from __future__ import annotations

import pytest

from registry.lint.catalog import all_rules
from registry.lint.similarity import CorpusIndex

from .helpers import add_requirement, add_senior_level, findings, requirement, rules_found, stamped_example


def _text(doc, section, function, zh, en=None, item=0):
    requirement(doc, section, function, item=item)["text"] = {"zh": zh, "en": en} if en else zh


# Each case: (change that triggers the rule, change that comes close and does not). Both start
# from the stamped example, in which the linter finds nothing.
CASES = {
    "ability-wording": (
        lambda d: _text(d, 0, 0, "传感器选型方法。", "Sensor selection."),
        lambda d: _text(d, 0, 0, "能够根据需求选择传感器。", "Select sensors for a requirement."),
    ),
    "ability-unobservable": (
        lambda d: _text(d, 0, 0, "能理解传感器的工作原理。", "Can understand how sensors work."),
        lambda d: _text(d, 0, 0, "能说明传感器的工作原理。", "Can explain how sensors work."),
    ),
    "duplicate-in-standard": (
        lambda d: add_requirement(d, 0, 0, "能根据需求，选择传感器！"),
        lambda d: add_requirement(d, 0, 0, "能校准传感器的零点和量程。"),
    ),
    "level-repeat": (
        lambda d: _text(d, 1, 0, "能根据需求选择传感器。"),
        lambda d: _text(d, 1, 0, "能根据复杂工况选择和组合多种传感器。"),
    ),
    "level-thin": (
        lambda d: [add_requirement(d, 0, 0, f"能完成第{n}类传感器的安装与调试。") for n in "一二三四五"],
        lambda d: add_requirement(d, 1, 0, "能完成传感器驱动的移植与调试。"),
    ),
    "hours-missing": (
        lambda d: d["overview"]["training_hours"].pop(),
        lambda d: d["overview"]["training_hours"][1].update(hours=64),
    ),
    "hours-progression": (
        lambda d: (d["overview"]["training_hours"][1].update(hours=200), add_senior_level(d, 150)),
        lambda d: (d["overview"]["training_hours"][1].update(hours=100), add_senior_level(d, 80)),
    ),
    "weight-zero": (
        lambda d: d["weights"]["skills"][0]["functions"].update({"F-sensing": 100, "F-platform": 0}),
        lambda d: d["weights"]["skills"][0]["functions"].update({"F-sensing": 90, "F-platform": 10}),
    ),
    "weight-orphan": (
        lambda d: d["weights"]["theory"][1]["functions"].update({"F-sensing": 70, "F-platform": 10}),
        lambda d: d["weights"]["theory"][1]["functions"].update({"F-sensing": 80, "F-platform": 0}),
    ),
    "function-unused": (
        lambda d: d["functions"].append({"id": "F-extra", "name": "系统集成"}),
        lambda d: d["functions"][1].update(name={"zh": "平台接入开发", "en": "Platform onboarding"}),
    ),
    "keyword-unused": (
        lambda d: d["keywords"].append("区块链"),
        lambda d: d["keywords"].append("传感器"),
    ),
    "translation-missing": (
        lambda d: requirement(d, 0, 0).update(text="能根据需求选择传感器。"),
        lambda d: requirement(d, 0, 0)["text"].update(en="Can choose sensors for a requirement."),
    ),
    "translation-stale": (
        lambda d: requirement(d, 0, 0)["text"].update(zh="能根据监测需求选择传感器型号。"),
        lambda d: requirement(d, 0, 0)["text"].update(en="Can choose sensors for a requirement."),
    ),
    "translation-unstamped": (
        lambda d: requirement(d, 0, 0).pop("translated_from"),
        lambda d: requirement(d, 0, 0).pop("number"),
    ),
    "translation-stamp-orphan": (
        lambda d: requirement(d, 0, 0)["translated_from"].update(name={"en": "0123abcd"}),
        lambda d: requirement(d, 0, 0)["translated_from"]["text"].update(en="0123abcd"),
    ),
}


def test_the_stamped_example_is_clean():
    assert findings(stamped_example()) == []


def test_every_rule_has_a_case():
    assert set(CASES) | {"duplicate-in-registry"} == set(all_rules())


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_triggers(rule_id):
    doc = stamped_example()
    CASES[rule_id][0](doc)
    found = [i for i in findings(doc) if i.rule == rule_id]
    assert found, f"{rule_id} did not fire"
    rule = all_rules()[rule_id]
    assert all(i.severity == rule.severity and i.hint == rule.hint and i.line and i.column for i in found)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_stays_quiet_on_a_near_miss(rule_id):
    doc = stamped_example()
    CASES[rule_id][1](doc)
    assert rule_id not in rules_found(doc)


def _other_standard(text: str, code: str = "2-02-38-09") -> dict:
    """Another standard whose only requirement like the example's is ``text``."""
    other = stamped_example()
    other["code"] = code
    unrelated = iter(["能编制年度预算并跟踪执行。", "能组织消防演练并记录过程。", "能审核合同条款的合规性。"])
    for section in range(2):
        for function, _ in enumerate(other["work_requirements"]["sections"][section]["functions"]):
            requirement(other, section, function)["text"] = next(unrelated)
    requirement(other, 0, 1)["text"] = text
    return other


def test_duplicate_in_registry_names_the_published_item_and_its_score():
    corpus = CorpusIndex.build([(_other_standard("能将设备接入到物联网平台。"), "other.yaml")])
    (found,) = [i for i in findings(stamped_example(), corpus=corpus) if i.rule == "duplicate-in-registry"]
    assert found.severity == "info" and found.path.endswith("requirements[0]")
    related = found.related
    assert (related["code"], related["version"], related["item_id"]) == ("2-02-38-09", "1.0", "R-J-platform-1")
    assert related["text"] == "能将设备接入到物联网平台。" and 90 <= related["score"] < 100
    assert related["file"] == "other.yaml"


def test_duplicate_in_registry_leaves_out_the_same_standard_and_unlike_texts():
    same_code = _other_standard("能将设备接入物联网平台。", code="2-02-38-02")
    unlike = _other_standard("能编写物联网平台的数据分析报告。")
    corpus = CorpusIndex.build([(same_code, None), (unlike, None)])
    assert "duplicate-in-registry" not in rules_found(stamped_example(), corpus=corpus)


def test_duplicate_in_standard_points_at_both_items():
    doc = stamped_example()
    add_requirement(doc, 0, 0, "能根据需求，选择传感器！")
    (found,) = [i for i in findings(doc) if i.rule == "duplicate-in-standard"]
    assert found.path == "$.work_requirements.sections[0].functions[0].work_contents[0].requirements[1]"
    assert found.related["item_id"] == "R-J-sensor-1" and found.related["score"] == 100.0
    assert found.related["line"] < found.line


def test_two_directions_may_share_a_requirement():
    doc = stamped_example()
    doc["directions"].append({"id": "platform", "name": "平台方向"})
    second = __import__("copy").deepcopy(doc["work_requirements"]["sections"][0])
    second["direction"] = "platform"
    for block in second["functions"]:
        for content in block["work_contents"]:
            content["id"] += "-p"
            for key in ("requirements", "knowledge"):
                for item in content[key]:
                    item["id"] += "-p"
    doc["work_requirements"]["sections"].append(second)
    for table in ("theory", "skills"):
        doc["weights"][table].append({**doc["weights"][table][0], "direction": "platform"})
    assert not {"duplicate-in-standard", "level-repeat"} & rules_found(doc)


def test_wording_knows_nouns_that_start_like_abilities():
    doc = stamped_example()
    _text(doc, 0, 0, "能源数据采集。")
    _text(doc, 0, 1, "能量化评估平台接入效果。")
    (found,) = [i for i in findings(doc) if i.rule == "ability-wording"]
    assert "能源数据采集" in found.message and found.path.endswith("requirements[0].text")


def test_declared_openings_replace_the_defaults():
    doc = stamped_example()
    doc["work_requirements"]["ability_verbs"] = {"zh": ["具备"], "en": ["be able to"]}
    _text(doc, 0, 0, "具备根据需求选择传感器的能力。", "Be able to select sensors.")
    found = [i for i in findings(doc) if i.rule == "ability-wording"]
    assert {i.path.rsplit(".", 1)[-1] for i in found} == {"zh", "en"}  # the other requirements say 能 / Can
    assert not any(i.path.startswith("$.work_requirements.sections[0].functions[0]") for i in found)


def test_english_noun_phrases_and_knowing_are_told_apart():
    doc = stamped_example()
    _text(doc, 0, 0, "能选择传感器。", "Use of sensors.")
    _text(doc, 0, 1, "能将设备接入物联网平台。", "Understand IoT platforms.")
    messages = {i.message for i in findings(doc) if i.rule == "ability-wording"}
    assert any("Use of sensors" in m and "imperative" in m for m in messages)
    assert any("states knowledge (understand)" in m for m in messages)


def test_validation_problems_are_errors_and_the_rules_still_run():
    doc = stamped_example()
    doc["weights"]["theory"][0]["functions"]["F-sensing"] = 41
    _text(doc, 0, 0, "传感器选型方法。")
    found = {(i.rule, i.severity) for i in findings(doc)}
    assert ("weights-sum", "error") in found and ("ability-wording", "warning") in found
