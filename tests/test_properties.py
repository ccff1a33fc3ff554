"""Properties that hold for any input (Hypothesis): the loader and the validator never raise on any
bytes, a valid document survives load, dump and load, and the diff is empty from a version to itself
and inverts when its sides swap. No example has a time limit (``deadline=None``): how fast is for
benchmarks/."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.diff import diff_documents
from registry.loader import LoadedDocument, LoadError, load_bytes
from registry.validate import validate_bytes

from .conftest import STANDARDS, VALID

SOURCES = [VALID / "example.yaml", *sorted(STANDARDS.rglob("*.yaml"))[:6]]
PROPERTY = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
#: examples that validate or diff whole standards (each a fraction of a second): fewer, for the suite
WHOLE = settings(PROPERTY, max_examples=60)


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    return [load_bytes(path.read_bytes()).data for path in SOURCES]


# --- any bytes -------------------------------------------------------------------------------------

YAML_PIECES = st.sampled_from([
    b"a: 1\n", b"- x\n", b"  ", b"\t", b"---\n", b"...\n", b"&a ", b"*a ", b"!!python/object:os.system ", b"!!binary ",
    b"{", b"}", b"[", b"]", b": ", b"? ", b"'", b'"', b"\\", b"#", b"|\n", b">-\n", b"\x00", b"\xff", b"\xef\xbb\xbf",
    b"\xfe\xff", b"\xed\xa0\x80", b"9" * 5000, b"1.10", b"0o17", b"2024-02-30", b"yes", b"~", b".inf", b"%YAML 1.1\n",
    b"<<: ", b"code: ", b"levels:\n", "标准".encode(), b"\r\n",
])
ANY_BYTES = st.one_of(st.binary(max_size=2000), st.lists(YAML_PIECES, max_size=60).map(b"".join))


@PROPERTY
@given(ANY_BYTES)
def test_the_loader_gives_a_document_or_errors_for_any_bytes(source):
    try:
        loaded = load_bytes(source)
    except LoadError as error:
        assert error.issues and all(i.rule and i.message for i in error.issues)
    else:
        assert isinstance(loaded, LoadedDocument) and isinstance(loaded.data, dict)


@PROPERTY
@given(ANY_BYTES)
def test_validation_gives_a_report_for_any_bytes(source):
    report = validate_bytes(source)
    assert report.valid is (not report.issues)


@WHOLE
@given(st.integers(0, len(SOURCES) - 1), st.data())
def test_a_standard_cut_or_spliced_anywhere_gives_a_report(index, data):
    source = SOURCES[index].read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    insert = data.draw(ANY_BYTES)
    report = validate_bytes(source[:start] + insert + source[end:])
    assert report.valid is (not report.issues)


# --- load, dump, load --------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=40)


def _string_paths(value, path=()):
    """Every path to a string value in ``value``."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _string_paths(child, path + (key,))
    elif isinstance(value, list):
        for n, child in enumerate(value):
            yield from _string_paths(child, path + (n,))
    elif isinstance(value, str):
        yield path


def _set(doc, path, value):
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def dump(doc: dict) -> bytes:
    return yaml.dump(doc, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=80).encode("utf-8")


@WHOLE
@given(st.integers(0, len(SOURCES) - 1), st.data())
def test_a_valid_document_survives_load_dump_and_load(documents, index, data):
    doc = copy.deepcopy(documents[index])
    paths = list(_string_paths(doc))
    for _ in range(data.draw(st.integers(0, 5))):  # any text where the document has text
        _set(doc, data.draw(st.sampled_from(paths)), data.draw(TEXT))
    again = load_bytes(dump(doc)).data
    assert again == doc
    assert load_bytes(dump(again)).data == doc


# --- the diff ----------------------------------------------------------------------------------------


def _items(doc: dict) -> list[list]:
    """The lists of items with ids that a revision may reword, drop or reorder."""
    lists = []
    for section in doc["work_requirements"]["sections"]:
        for block in section["functions"]:
            lists.append(block["work_contents"])
            for content in block["work_contents"]:
                lists += [content[key] for key in ("requirements", "knowledge", "behaviours") if content.get(key)]
    for group in doc["basic_requirements"]["basic_knowledge"]:
        lists.append(group["items"])
    return [items for items in lists if items]


@st.composite
def revisions(draw, documents):
    """A document and a revision of it: items reworded, removed, reordered; a weight and the title changed."""
    doc = documents[draw(st.integers(0, len(documents) - 1))]
    new = copy.deepcopy(doc)
    for _ in range(draw(st.integers(0, 6))):
        items = draw(st.sampled_from(_items(new)))
        action = draw(st.sampled_from(["reword", "remove", "reorder", "weight", "title"]))
        if action == "reword" and isinstance(items[0].get("text"), (str, dict)):
            item = draw(st.sampled_from(items))
            text = draw(TEXT)
            item["text"] = {**item["text"], "zh": text} if isinstance(item["text"], dict) else text
        elif action == "remove" and len(items) > 1:
            items.pop(draw(st.integers(0, len(items) - 1)))
        elif action == "reorder" and len(items) > 1:
            order = draw(st.permutations(range(len(items))))
            items[:] = [items[n] for n in order]
        elif action == "weight":
            column = new["weights"]["theory"][0]
            column["ethics"] = draw(st.integers(0, 100))
        elif action == "title":
            new["title"] = {**new["title"], "zh": draw(TEXT)}
    return doc, new


def _inverted(diff: dict) -> dict:
    """What the diff from B to A must be, given the diff from A to B."""
    swap = {"added": "removed", "removed": "added"}
    items = []
    for change in diff["items"]:
        kind = swap.get(change["kind"], change["kind"])
        items.append({**change, "kind": kind, "old_location": change["new_location"],
                      "new_location": change["old_location"], "old_text": change["new_text"],
                      "new_text": change["old_text"]})
    counts = dict(diff["counts"])
    counts["added"], counts["removed"] = diff["counts"]["removed"], diff["counts"]["added"]
    return {
        "change_class": diff["change_class"],
        "counts": counts,
        "items": sorted(items, key=_item_key),
        **{key: {"added": diff[key]["removed"], "removed": diff[key]["added"]}
           for key in ("levels", "directions", "functions")},
        "weights": [{**w, "old": w["new"], "new": w["old"]} for w in diff["weights"]],
        "metadata": [{**m, "old": m["new"], "new": m["old"]} for m in diff["metadata"]],
        "release": [{**m, "old": m["new"], "new": m["old"]} for m in diff["release"]],
    }


def _item_key(change: dict) -> tuple:
    return change["item_kind"], change["item_id"]


def _comparable(diff: dict) -> dict:
    out = {key: value for key, value in diff.items() if key != "summary"}
    out["items"] = sorted(diff["items"], key=_item_key)
    return out


@WHOLE
@given(st.data())
def test_the_diff_of_a_version_with_itself_is_empty(documents, data):
    doc, new = data.draw(revisions(documents))
    for version in (doc, new):
        same = diff_documents(version, copy.deepcopy(version))
        assert same.change_class == "none" and same.summary() == "no changes"
        assert not (same.items or same.weights or same.metadata or same.release)


@WHOLE
@given(st.data())
def test_the_diff_from_b_to_a_is_the_inverse_of_a_to_b(documents, data):
    doc, new = data.draw(revisions(documents))
    forward = diff_documents(doc, new).to_dict()
    backward = diff_documents(new, doc).to_dict()
    expected = _inverted(forward)
    actual = _comparable(backward)
    if "reordered" in {f for c in forward["items"] + backward["items"] for f in c["kind"].split("+")}:
        # which items of a reordered list count as moved is the complement of a longest increasing
        # run, and several runs may be longest: the same set of items differs, whichever is marked
        for diff in (expected, actual):
            diff["items"] = sorted((c["item_kind"], c["item_id"], c["kind"].replace("reordered", "")
                                    .strip("+")) for c in diff["items"] if c["kind"] != "reordered")
            diff["counts"].pop("reordered")
    assert actual == expected
