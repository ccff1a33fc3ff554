"""Keep docs/format.md honest: everything authors can meet in a message or a file is documented.

When one of these fails, document the new rule, field or value in docs/format.md (the format
reference for standards bodies), not the other way round.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from registry.rules import RULES
from registry.vocabulary import COLUMN_LABELS, LEVEL_SCHEMES, STANDARD_TYPES

ROOT = Path(__file__).resolve().parent.parent
DOC_PATH = ROOT / "docs" / "format.md"
SCHEMA_PATH = ROOT / "schemas" / "standard-1.0.json"
LOADER_PATH = ROOT / "registry" / "loader.py"
EXAMPLE_PATH = ROOT / "tests" / "data" / "valid" / "example.yaml"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _code_spans(doc: str) -> set[str]:
    """Every `inline code` span of the document (what the doc names as an identifier)."""
    return set(re.findall(r"`([^`\n]+)`", doc))


def _missing(names, doc: str, *, as_path_part: bool = False) -> list[str]:
    """The names that no code span of the doc shows; with ``as_path_part``, a span such as
    `assessment.method` or `soc[].code` also documents its last part (`method`, `code`)."""
    spans = _code_spans(doc)
    if as_path_part:
        spans |= {re.split(r"\.|\[\]\.", span)[-1] for span in spans}
    return sorted(name for name in set(names) if name not in spans)


def _loader_rule_ids() -> set[str]:
    source = LOADER_PATH.read_text(encoding="utf-8")
    return set(re.findall(r"""["'](yaml-[a-z0-9-]+)["']""", source))


def _property_names(node) -> set[str]:
    """Every property name declared anywhere in a schema (under any ``properties``)."""
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                names.update(value)
                for sub in value.values():
                    names |= _property_names(sub)
            else:
                names |= _property_names(value)
    elif isinstance(node, list):
        for item in node:
            names |= _property_names(item)
    return names


def _fixed_values(node) -> set[str]:
    """Every ``enum`` and ``const`` string value in a schema."""
    values: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum":
                values.update(v for v in value if isinstance(v, str))
            elif key == "const" and isinstance(value, str):
                values.add(value)
            else:
                values |= _fixed_values(value)
    elif isinstance(node, list):
        for item in node:
            values |= _fixed_values(item)
    return values


# --- what the brief requires ------------------------------------------------------------------


def test_every_rule_id_is_documented(doc):
    assert RULES, "registry.rules.RULES is empty"
    missing = _missing(RULES, doc)
    assert not missing, f"rules of registry.rules.RULES not documented in docs/format.md: {missing}"


def test_every_top_level_property_is_documented(doc, schema):
    missing = _missing(schema["properties"], doc)
    assert not missing, f"top-level schema properties not documented in docs/format.md: {missing}"


def test_every_loader_rule_id_is_documented(doc):
    ids = _loader_rule_ids()
    assert len(ids) >= 10, f"expected the loader's yaml-* rule ids, found only {sorted(ids)}"
    missing = _missing(ids, doc)
    assert not missing, f"yaml-* rule ids of registry/loader.py not documented in docs/format.md: {missing}"


# --- beyond the brief: the rest of the schema and the vocabularies -----------------------------


def test_every_schema_property_at_any_depth_is_documented(doc, schema):
    missing = _missing(_property_names(schema), doc, as_path_part=True)
    assert not missing, f"schema properties not documented in docs/format.md: {missing}"


def test_every_fixed_value_of_the_schema_is_documented(doc, schema):
    missing = _missing(_fixed_values(schema), doc)
    assert not missing, f"enum/const values of the schema not documented in docs/format.md: {missing}"


def test_schema_identity_is_documented(doc, schema):
    assert schema["$id"] in doc
    assert "2020-12" in schema["$schema"] and "2020-12" in doc
    assert 'schema_version: "1.0"' in doc


def test_level_ids_and_names_are_documented(doc):
    for scheme, levels in LEVEL_SCHEMES.items():
        assert f"`{scheme}`" in doc
        for level_id, names in levels.items():
            assert f"`{level_id}`" in doc, f"level {level_id!r} of {scheme} not documented"
            assert names["zh"] in doc, f"Chinese name {names['zh']!r} of level {level_id!r} not documented"


def test_vocabularies_are_documented(doc):
    for label, names in COLUMN_LABELS.items():
        assert f"`{label}`" in doc
        if label != "performance-criteria":  # the NOS label has no printed Chinese original
            assert names["zh"] in doc
    for standard_type, names in STANDARD_TYPES.items():
        assert f"`{standard_type}`" in doc
        assert names["zh"] in doc


def test_validate_options_are_documented(doc):
    from registry.cli import validate

    for param in validate.params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert f"`{opt}" in doc, f"option {opt} of `registry validate` not documented"
    for code in ("`0`", "`1`", "`2`"):
        assert code in doc
    assert "validate-standards" in doc and ".pre-commit-config.yaml" in doc


def test_quoted_example_is_the_example_file(doc):
    """The annotated example in the doc is tests/data/valid/example.yaml, whole and unchanged."""
    example = EXAMPLE_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    assert example in blocks, (
        "docs/format.md §10 no longer quotes tests/data/valid/example.yaml exactly; copy the file into it again"
    )
