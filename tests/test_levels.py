"""One level of a standard (registry.levels) and the figures of the documents generated from it
(registry.generated.figures): what a trainer or an assessor checks by hand."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest

from registry.generated.builders import checklist_lines, plan_modules
from registry.generated.figures import apportion, shown_weights
from registry.levels import UnknownScope, check_scope, includes_lower_levels, level_view, levels_at_or_above, scopes
from registry.loader import load_bytes

STANDARDS = Path(__file__).resolve().parent.parent / "standards"
CORPUS = sorted(STANDARDS.rglob("*.yaml"))


def load(code: str, version: str) -> dict:
    return load_bytes((STANDARDS / code / f"{version}.yaml").read_bytes()).data


def test_a_higher_level_includes_the_lower_ones_when_the_standard_says_so():
    doc = load("4-04-05-05", "2.0")
    assert includes_lower_levels(doc)  # "…依次递进，高级别涵盖低级别的要求"
    view = level_view(doc, "L3")
    assert [(t.level, t.included) for t in view.tables] == [("L3", False), ("L4", True), ("L5", True)]
    assert view.lower_levels == ["L4", "L5"]
    assert levels_at_or_above(doc, "L4") == ["L4", "L3", "L2", "L1"]
    assert view.total_hours == next(h["hours"] for h in doc["overview"]["training_hours"] if h["level"] == "L3")
    assert view.eligibility == next(e["conditions"] for e in doc["overview"]["eligibility"] if e["level"] == "L3")
    assert view.skills["level"] == view.theory["level"] == "L3"


def test_a_standard_that_does_not_say_so_shows_each_level_alone():
    doc = copy.deepcopy(load("4-04-05-05", "2.0"))
    doc["work_requirements"]["preface"] = {"zh": "本标准对各等级的要求分别规定。", "en": "Each level has its own requirements."}
    assert not includes_lower_levels(doc)
    assert [(t.level, t.included) for t in level_view(doc, "L3").tables] == [("L3", False)]
    assert levels_at_or_above(doc, "L4") == ["L4"]
    del doc["work_requirements"]["preface"]
    assert not includes_lower_levels(doc)


def test_levels_split_by_direction_are_chosen_with_their_direction():
    doc = load("2-02-38-01", "1.0")
    assert [s.key for s in scopes(doc)] == ["junior/cv", "junior/nlp", "intermediate/cv", "intermediate/nlp",
                                            "senior/cv", "senior/nlp"]
    view = level_view(doc, "intermediate", "cv")
    assert [(t.level, t.direction, t.included) for t in view.tables] == [("intermediate", "cv", False),
                                                                         ("junior", "cv", True)]
    assert view.skills["direction"] == "cv" and all(h["direction"] == "cv" for h in view.hours)
    with pytest.raises(UnknownScope) as needs:
        check_scope(doc, "junior")
    assert needs.value.choices == ("cv", "nlp")
    for level, direction in (("L3", None), ("junior", "xx")):
        with pytest.raises(UnknownScope):
            check_scope(doc, level, direction)


def test_apportioned_figures_add_up_exactly():
    shares = {key: Fraction(100, 7) for key in "abcdefg"}
    rounded = apportion(shares, Fraction(100), Fraction(1, 10))
    assert sum(rounded.values()) == 100 and set(rounded.values()) == {Fraction(143, 10), Fraction(142, 10)}
    assert sum(shown_weights({1: Fraction(40, 3), 2: Fraction(40, 3), 3: Fraction(40, 3)}).values()) == 40


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_level_of_the_corpus_adds_up(path):
    """For every level of every sample: the checklist's weights add up to 100 (each function's weight
    shared by its requirements), and the training plan's hours to the level's reference hours."""
    doc = load_bytes(path.read_bytes()).data
    for scope in scopes(doc):
        view = level_view(doc, scope.level, scope.direction)
        lines = checklist_lines(view)
        assert [item["id"] for _b, _c, item, _w in lines] == [i["id"] for *_, i in view.requirements()]
        weights = {item["id"]: weight for _b, _c, item, weight in lines}
        assert sum(weights.values()) == 100, scope
        assert sum(shown_weights(weights).values()) == 100, scope
        for function, value in view.skills["functions"].items():
            assert sum(w for b, _c, _i, w in lines if b["function"] == function) == (value or 0), (scope, function)
        modules = plan_modules(view)
        assert [c["id"] for _b, c, _h in modules] == [c["id"] for t in view.own for _b, c in t.work_contents()]
        assert sum(hours for *_, hours in modules) == view.total_hours, scope
