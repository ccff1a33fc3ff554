"""Translation stamps: written next to the text, kept through re-formatting, stale when the master changes."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from registry import translation_stamps as stamps
from registry.cli import main
from registry.loader import load_bytes
from registry.stamp_writer import stamp_source

from .helpers import EXAMPLE, dump, rules_found


def test_stamping_adds_only_stamps_and_keeps_comments_and_layout():
    stamped = stamp_source(EXAMPLE).source.decode("utf-8")
    original = EXAMPLE.decode("utf-8")
    kept = [line for line in stamped.splitlines() if "translated_from" not in line]
    # flow items get the stamp inside their braces; every other line is exactly as written
    assert [line.split(", translated_from")[0] + ("}" if ", translated_from" in line else "") for line in
            stamped.splitlines() if not line.lstrip().startswith("translated_from")] == original.splitlines()
    assert "# Annotated example of format 1.0." in stamped and len(kept) < len(stamped.splitlines())
    doc = load_bytes(stamped.encode()).data
    assert doc["basic_requirements"]["ethics"]["knowledge"][0]["translated_from"]["text"]["en"] == stamps.make_stamp(
        "职业道德基本知识。", "Basics of professional ethics.")


def test_stamps_survive_a_round_trip_through_another_yaml_tool():
    doc = yaml.safe_load(stamp_source(EXAMPLE).source)
    rewritten = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=True, width=60)  # re-folded, re-quoted
    states = stamps.translation_states(load_bytes(rewritten.encode()).data)
    assert states and {s.state for s in states} == {stamps.CURRENT}


def test_a_changed_master_makes_the_translation_stale_until_it_is_revised_and_stamped():
    doc = yaml.safe_load(stamp_source(EXAMPLE).source)
    item = doc["basic_requirements"]["ethics"]["knowledge"][0]
    item["text"]["zh"] = "职业道德基本知识和职业守则。"
    assert stamps.problems(doc) == {("$.basic_requirements.ethics.knowledge[0].text", "en"): "stale"}
    result = stamp_source(dump(doc))  # nobody touched the translation: it stays stale
    assert result.left_stale == 1 and result.refreshed == 0
    item["text"]["en"] = "Basics of professional ethics and the code of conduct."
    (state,) = [s for s in stamps.translation_states(doc) if s.state == stamps.STALE]
    assert state.edited and state.item_id == "E-K1"
    result = stamp_source(dump(doc))  # the translator revised it: stamped again
    assert result.refreshed == 1 and stamps.problems(load_bytes(result.source).data) == {}


def test_accept_stale_restamps_what_nobody_edited():
    doc = yaml.safe_load(stamp_source(EXAMPLE).source)
    doc["title"]["zh"] += "（修订）"
    result = stamp_source(dump(doc), accept_stale=True)
    assert result.refreshed == 1 and "translation-stale" not in rules_found(yaml.safe_load(result.source))


def test_missing_translations_and_orphan_stamps():
    doc = yaml.safe_load(stamp_source(EXAMPLE).source)
    doc["languages"]["translations"] = ["en", "fr"]
    doc["occupation"]["fr"] = "Technicien IoT"
    doc["functions"][0]["translated_from"]["description"] = {"en": "0123abcd"}
    problems = stamps.problems(doc)
    assert problems[("$.title", "fr")] == "missing" and ("$.occupation", "fr") not in problems
    assert list(stamps.orphan_stamps(doc)) == [(("functions", 0, "translated_from", "description", "en"),
                                               "'description' is not a text of this object")]
    result = stamp_source(dump(doc), languages=("fr",))
    again = load_bytes(result.source).data
    assert result.stamped == 1 and result.removed == 1 and list(stamps.orphan_stamps(again)) == []
    occupation = next(s for s in stamps.slots(again) if s.path == ("occupation",))
    assert stamps.state_of(occupation, "fr", "zh").state == "current"


def test_fingerprints_ignore_how_yaml_folded_the_text():
    assert stamps.fingerprint("Can  select\nsensors ") == stamps.fingerprint("Can select sensors")
    assert stamps.fingerprint("Can select sensors") != stamps.fingerprint("Can select sensor")


def test_cli_stamp_and_status(tmp_path):
    path = tmp_path / "draft.yaml"
    path.write_bytes(EXAMPLE)
    runner = CliRunner()
    result = runner.invoke(main, ["translations", "status", str(path), "--list", "unstamped"])
    assert result.exit_code == 0 and "unstamped" in result.output and "E-K1" in result.output
    result = runner.invoke(main, ["translations", "stamp", str(path)])
    assert result.exit_code == 0 and "stamped 30 new" in result.output
    path.write_bytes(path.read_bytes().replace("职业道德基本知识。".encode(), "职业道德知识。".encode()))
    result = runner.invoke(main, ["translations", "status", str(path)])
    assert result.exit_code == 1
    assert "en                30       29      1         0        0    100.0%" in result.output
    assert "stale     en    $.basic_requirements.ethics.knowledge[0].text  E-K1  “职业道德知识。”" in result.output


def test_cli_stamp_refuses_an_invalid_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_bytes(EXAMPLE.replace(b"edition: 2021", b"edition: twenty"))
    result = CliRunner().invoke(main, ["translations", "stamp", str(path)])
    assert result.exit_code == 1 and "not a valid standard" in result.output
    assert path.read_bytes() == EXAMPLE.replace(b"edition: 2021", b"edition: twenty")
