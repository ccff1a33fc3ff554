"""The registry's JSON Schemas: loaded once, checked against the metaschema, never fetched remotely.

Documents never choose their schema: the registry picks it from ``schema_version``. References
resolve only inside the schemas shipped in ``schemas/``; any other ``$ref`` fails.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import UnknownSchemaVersion

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker

#: schema_version -> file name in ``schemas/``
SCHEMA_FILES = {"1.0": "standard-1.0.json"}
CURRENT_VERSION = "1.0"


def _refuse(uri: str):
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)


def read_schema(version: str = CURRENT_VERSION) -> dict[str, Any]:
    """Return the JSON Schema of a format version as a dict."""
    try:
        name = SCHEMA_FILES[version]
    except (KeyError, TypeError):
        raise UnknownSchemaVersion(version) from None
    return json.loads((resources.files("registry") / "schemas" / name).read_text(encoding="utf-8"))


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True  # format only constrains strings
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path)) and not any(c.isspace() for c in value)


def format_checker() -> FormatChecker:
    """The draft 2020-12 format checkers, plus ``uri``.

    jsonschema checks ``uri`` only when an optional package is installed (and that package takes
    seconds to import), so the registry brings its own rather than letting the check pass silently.
    """
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("uri")(_is_uri)
    return checker


@cache
def get_gate(version: str = CURRENT_VERSION):
    """The fast yes/no check of a format version (jsonschema-rs, formats asserted).

    Nearly every document the registry sees is valid; for those, this is the whole schema check
    (about 80 times faster than the reference validator). Only a document it rejects goes through
    :func:`get_validator`, whose errors are the ones reported. Both read the same schema file.
    """
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(read_schema(version), validate_formats=True)


def passes_gate(document: Any, version: str = CURRENT_VERSION) -> bool:
    """True when ``document`` is valid for sure, on the fast path.

    The gate, like the JSON Schema spec, counts 40.0 as an integer; the registry does not (see
    :func:`get_validator`), so a document holding a float is left to the reference validator.
    """
    return get_gate(version).is_valid(document) and not _has_float(document)


def _has_float(node: Any) -> bool:
    if isinstance(node, dict):
        return any(_has_float(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_float(value) for value in node)
    return isinstance(node, float)


@cache
def get_validator(version: str = CURRENT_VERSION) -> Draft202012Validator:
    """Build (once per process) the reference validator of a format version, format checking on.

    The schema is checked against its metaschema by the test suite, not here: that check
    costs most of a second and the schemas ship with the code.
    """
    from jsonschema import Draft202012Validator, validators
    from referencing import Registry, Resource

    schema = read_schema(version)
    registry: Registry = Registry(retrieve=_refuse).with_resource(  # type: ignore[call-arg]
        schema["$id"], Resource.from_contents(schema)
    )
    # JSON Schema counts 40.0 as an integer; YAML keeps it a float, and the registry would store
    # and print "40.0", so an integer field takes only what was typed as an integer.
    strict = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
    validator = validators.extend(Draft202012Validator, type_checker=strict)
    return validator(schema, registry=registry, format_checker=format_checker())


def _is_integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)
