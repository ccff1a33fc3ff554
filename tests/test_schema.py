"""The schema itself: valid 2020-12, stable $id, every format checked, patterns safe, engines agree."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from registry.loader import LoadError, load_bytes
from registry.schema import SCHEMA_FILES, format_checker, get_gate, get_validator, passes_gate, read_schema

from .conftest import INVALID, ROOT, STANDARDS, VALID

SCHEMA_PATH = ROOT / "schemas" / "standard-1.0.json"


def _walk(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)


def test_schema_passes_its_metaschema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_id_is_stable_and_versioned():
    assert read_schema("1.0")["$id"] == "https://schemas.occupational-standards-registry.org/standard-1.0.json"
    assert SCHEMA_FILES == {"1.0": "standard-1.0.json"}


def test_every_format_used_has_a_checker():
    used = set(_walk(read_schema(), "format"))
    assert used, "the schema should check dates and URIs"
    assert used <= set(format_checker().checkers), used - set(format_checker().checkers)
    assert get_validator().format_checker is not None


def test_patterns_compile_and_have_no_nested_quantifiers():
    for pattern in _walk(read_schema(), "pattern"):
        re.compile(pattern)
        assert len(pattern) < 512
        # an unbounded quantifier on a group that holds one is the ReDoS shape ((a+)+)
        unbounded = r"(?:[+*]|\{\d+,\})"
        assert not re.search(r"\([^()]*" + unbounded + r"[^()]*\)" + unbounded, pattern), pattern


def test_refs_stay_inside_the_schema():
    for ref in _walk(read_schema(), "$ref"):
        assert ref.startswith("#/$defs/"), ref


def test_a_remote_ref_is_never_fetched(monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("the validator tried to fetch a reference")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    validator = get_validator()
    evil = dict(read_schema(), properties={"x": {"$ref": "http://169.254.169.254/latest"}})
    from referencing.exceptions import Unresolvable

    with pytest.raises(Unresolvable):
        list(validator.evolve(schema=evil).iter_errors({"x": 1}))


def _all_documents():
    files = sorted(STANDARDS.rglob("*.yaml")) + sorted(VALID.glob("*.yaml")) + sorted(INVALID.glob("*.yaml"))
    for path in files:
        try:
            yield path, load_bytes(path.read_bytes()).data
        except LoadError:
            continue


def test_fast_gate_and_reference_validator_agree():
    """The fast check decides alone for valid documents, so it must never be laxer."""
    reference = get_validator()
    checked = 0
    for path, doc in _all_documents():
        assert passes_gate(doc) == reference.is_valid(doc), path
        checked += 1
    assert checked >= 20


def test_an_integer_typed_as_a_float_is_refused():
    """JSON Schema (and the fast gate alone) would take 40.0 for an integer; the registry does not."""
    assert get_gate().is_valid(dict(_first_valid(), edition=2021.0))
    assert not passes_gate(dict(_first_valid(), edition=2021.0))
    assert not get_validator().is_valid(dict(_first_valid(), edition=2021.0))
    assert get_validator().is_valid(dict(_first_valid(), edition=2021))


def _first_valid() -> dict:
    return load_bytes((VALID / "example.yaml").read_bytes()).data
