"""Safe loading: what comes out is exactly what was typed, with places for every problem."""

from __future__ import annotations

import pytest
import yaml

from registry.loader import Limits, LoadError, load_bytes

from .conftest import STANDARDS


def load(text: str) -> dict:
    return load_bytes(text.encode("utf-8")).data


def issues(data: bytes, **kwargs) -> list[tuple[str, int | None, int | None]]:
    with pytest.raises(LoadError) as info:
        load_bytes(data, **kwargs)
    return [(i.rule, i.line, i.column) for i in info.value.issues]


@pytest.mark.parametrize("word", ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                                  "on", "On", "ON", "off", "Off", "OFF"])
def test_yaml11_boolean_words_stay_the_string_typed(word):
    assert load(f"country: {word}\n") == {"country": word}


@pytest.mark.parametrize("word,value", [("true", True), ("false", False), ("True", True), ("FALSE", False)])
def test_yaml12_booleans(word, value):
    assert load(f"flag: {word}\n")["flag"] is value


def test_dates_stay_strings_and_numbers_keep_their_type():
    doc = load("d: 2024-01-01\nbad: 2024-02-30\nzero: 0000-00-00\ni: 42\nf: 1.5\nv: 1.10\nn: ~\ne:\n")
    assert doc == {"d": "2024-01-01", "bad": "2024-02-30", "zero": "0000-00-00", "i": 42, "f": 1.5,
                   "v": 1.1, "n": None, "e": None}
    assert type(doc["i"]) is int and type(doc["f"]) is float


def test_quoted_values_are_always_strings():
    assert load('a: "0755"\nb: \'1:20\'\nc: "true"\nd: "1.10"\n') == {"a": "0755", "b": "1:20", "c": "true",
                                                                     "d": "1.10"}


@pytest.mark.parametrize("value", ["0755", "0o17", "0x1F", "1:20", "1_000", ".inf", "-.inf", ".nan", "1e3"])
def test_ambiguous_numbers_are_refused(value):
    assert issues(f"code: {value}\n".encode()) == [("yaml-ambiguous-number", 1, 7)]


def test_duplicate_keys_name_both_lines():
    with pytest.raises(LoadError) as info:
        load_bytes(b"title: A\nx:\n  title: ok\ntitle: B\n")
    (issue,) = info.value.issues
    assert (issue.rule, issue.line, issue.path) == ("yaml-duplicate-key", 4, "$.title")
    assert "line 1" in issue.message and "line 4" in issue.message


def test_every_duplicate_and_tag_problem_is_reported_not_only_the_first():
    found = issues(b"a: 1\na: 2\nb: !!binary aGk=\nc:\n  d: 1\n  d: 2\n")
    assert found == [("yaml-duplicate-key", 2, 1), ("yaml-tag", 3, 4), ("yaml-duplicate-key", 6, 3)]


def test_object_tags_construct_nothing(tmp_path):
    canary = tmp_path / "pwned"
    payload = f"a: !!python/object/apply:os.system ['touch {canary}']\n".encode()
    assert issues(payload) == [("yaml-tag", 1, 4)]
    assert not canary.exists()


def test_billion_laughs_is_refused_at_the_first_anchor():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    assert issues("\n".join(lines).encode()) == [("yaml-alias", 1, 4)]


def test_depth_is_capped_without_recursion():
    deep = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 1100))
    rules = [rule for rule, _, _ in issues(deep.encode())]
    assert rules == ["yaml-depth"]
    assert [r for r, _, _ in issues(b"a: " + b"[" * 10000)] == ["yaml-depth"]
    assert [r for r, _, _ in issues(b"a: " + b"[" * 70 + b"]" * 70, limits=Limits(max_depth=64))] == ["yaml-depth"]


def test_size_is_capped_before_parsing():
    assert issues(b"a: " + b"x" * 2000, limits=Limits(max_bytes=1000)) == [("yaml-size", 1, 1)]


@pytest.mark.parametrize("data,rule,line,column", [
    (b"", "yaml-empty", 1, 1),
    (b"# only a comment\n", "yaml-empty", 1, 1),
    (b"just text\n", "yaml-root", 1, 1),
    (b"- a\n- b\n", "yaml-root", 1, 1),
    (b"a: 1\n---\nb: 2\n", "yaml-documents", 2, 1),
    (b"a:\n\tb: 1\n", "yaml-syntax", 2, 1),
    (b"a: [1, 2\n", "yaml-syntax", 2, 1),
    (b"a: x\x00y\n", "yaml-control-character", 1, 5),
    (b'a: "x\\0y"\n', "yaml-control-character", 1, 4),
    (b"a: caf\xe9\n", "yaml-encoding", 1, 7),
    ("a: b\n".encode("utf-16"), "yaml-encoding", 1, 1),
    (b"? [a, b]\n: c\n", "yaml-key", 1, 3),
    (b"1: one\n", "yaml-key", 1, 1),
    (b"<<: {a: 1}\n", "yaml-merge-key", 1, 1),
])
def test_wrong_shapes_and_bytes_get_a_specific_rule_and_place(data, rule, line, column):
    assert issues(data) == [(rule, line, column)]


def test_tab_indentation_says_so():
    with pytest.raises(LoadError) as info:
        load_bytes(b"a:\n\tb: 1\n")
    assert "tabs" in info.value.issues[0].message


def test_file_name_is_carried_into_every_issue():
    with pytest.raises(LoadError) as info:
        load_bytes(b"a: 1\na: 2\n", file="x/1.0.yaml")
    assert info.value.issues[0].location == "x/1.0.yaml:2:1"


def test_locate_points_at_values_and_keys(example_bytes):
    doc = load_bytes(example_bytes)
    lines = example_bytes.decode().splitlines()
    line, column = doc.locate(("weights", "theory", 1, "functions", "F-platform"))
    assert lines[line - 1][column - 1:].startswith("null")
    line, column = doc.locate_key(("weights", "theory", 1, "functions", "F-platform"))
    assert lines[line - 1][column - 1:].startswith("F-platform")
    # a path below an existing node falls back to the nearest ancestor
    assert doc.locate(("levels", 0, "missing", 3)) == doc.locate(("levels", 0))


def test_corpus_loads_to_what_pyyaml_reads():
    """Outside the refused cases, the loader agrees with PyYAML (dates kept as strings)."""

    class StringDates(yaml.SafeLoader):
        pass

    StringDates.add_constructor("tag:yaml.org,2002:timestamp", StringDates.construct_yaml_str)
    files = sorted(STANDARDS.rglob("*.yaml"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert load_bytes(data).data == yaml.load(data, Loader=StringDates), path  # noqa: S506 - a SafeLoader


@pytest.mark.parametrize("digits", [65, 4_301, 100_000])
def test_an_integer_too_long_for_python_is_a_load_error_with_its_place(digits):
    # int() refuses strings over 4,300 digits (ValueError): that was a 500 from the loader
    with pytest.raises(LoadError) as info:
        load_bytes(b"code: X\nedition: " + b"9" * digits + b"\n")
    [issue] = info.value.issues
    assert (issue.rule, issue.line, issue.column) == ("yaml-number", 2, 10)
    assert f"a number of {digits} digits is too long (at most 64); quote it if it is text" == issue.message
