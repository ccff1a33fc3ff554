"""The bases of the declared contract: pydantic models of what clients send and what they get back.

:class:`Query` and :class:`Body` parse query parameters and JSON bodies into values, or into the 400
that names the field at fault (``details.field``); :class:`Reply` is an answer, closed and with every
field present. A model's JSON Schema is what the OpenAPI document says (:mod:`registry.api.openapi`),
so what is enforced is what is declared. Nothing here knows Flask: a query model parses any mapping
of strings (``request.args``), a body model any bytes. The API (``registry.api``) and the search
package's contract (``registry.search.contract``) declare their models on these bases.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from .errors import BadRequest

#: the highest integer a query parameter or a path takes (catalog ids are 32-bit on every backend)
MAX_ID = 2**31 - 1


class Reply(BaseModel):
    """An object the API answers: closed (``additionalProperties: false``), every field always present."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Query(BaseModel):
    """The query parameters of an operation: one field each (its alias is the parameter's name).

    Parameters the model does not name are ignored; a declared one that breaks its schema is a 400.
    """

    model_config = ConfigDict(extra="ignore", regex_engine="python-re", populate_by_name=True)

    @classmethod
    def parse(cls, args: Mapping[str, str]):
        raw = {}
        for name, info in cls.model_fields.items():
            key = info.alias or name
            if key in args:
                raw[key] = args.get(key)
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise bad_request(exc, cls) from None


class Body(BaseModel):
    """A JSON object sent as a request body. Fields it does not name are ignored."""

    model_config = ConfigDict(extra="ignore", regex_engine="python-re")

    @classmethod
    def parse(cls, raw: bytes):
        """The body from its bytes (``{}`` when there are none): invalid JSON, JSON nested deeper than
        the parser allows, anything but an object, or a field breaking its schema is a 400."""
        try:
            return cls.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            raise bad_request(exc, cls) from None


def _ascii_digits(value: Any) -> Any:
    """A query parameter's text as an integer: ASCII digits only (``²`` and ``٣`` are digits to
    ``str.isdigit`` but not a number anyone typed), and not more of them than any limit needs."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError("must be a whole number written with the digits 0-9")
        if len(value) > 12:  # past every limit: int() of a huge string is work for nothing
            raise ValueError("is far too large")
        return int(value)
    return value


#: an integer query parameter (``type: integer`` in the document; bounds with ``Field(ge=, le=)``)
Whole = Annotated[int, BeforeValidator(_ascii_digits)]

#: a string with something other than whitespace in it (what ``str.strip`` leaves non-empty)
NOT_BLANK = r"\S"


# --- errors ---------------------------------------------------------------------------------------


def _describe(error: dict, name: str) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return f"{name} is required"
    if kind in ("literal_error", "enum"):
        return f"{name} is not a valid value: it must be one of {ctx.get('expected', '').replace(chr(39), '')}"
    if kind == "string_too_long":
        return f"{name} is not a valid value: at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        if pattern == NOT_BLANK:
            return f"{name} must be a non-empty string"
        return f"{name} contains control characters" if pattern.startswith(r"^[^\x00") else \
            f"{name} is not a valid value"
    if kind == "string_too_short":
        return f"{name} must be a non-empty string"
    if kind in ("string_type",):
        return f"{name} must be a string"
    if kind in ("greater_than_equal", "less_than_equal", "int_parsing", "value_error", "int_type"):
        return f"{name} {error['msg'].removeprefix('Value error, ').lower()}" if kind == "value_error" else \
            f"{name} is out of range or not a whole number ({error['msg'].lower()})"
    return f"{name}: {error['msg']}"


def bad_request(exc: ValidationError, model: type[BaseModel]) -> BadRequest:
    """The first problem pydantic found, as the API's 400 naming the field (``details.field``)."""
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = [part for part in error["loc"] if isinstance(part, str)]
    if error["type"] in ("json_invalid", "json_type"):
        return BadRequest("the body is not valid JSON" + (" (nested too deeply)" if "recursion" in error["msg"]
                                                          else ""))
    if error["type"] in ("model_type", "model_attributes_type") or not loc:
        return BadRequest("the body must be a JSON object")
    name = loc[0]
    return BadRequest(_describe(error, name), details={"field": name})


