"""The text of a standard's next version: a published version's exact YAML with a new number and edition.

Only the values of the top-level ``version`` and ``edition`` change, in the text itself: comments,
key order, quoting and layout stay as the author wrote them (a re-dump would lose them). The result is
loaded again and must hold exactly the same document apart from those two fields, or nothing is made.
Pure functions over bytes: no I/O, no catalog.
"""

from __future__ import annotations

import yaml
from yaml import events as ev

from .diff import parse_version

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAJOR, MINOR = "major", "minor"
BUMPS = (MINOR, MAJOR)
#: the fields a new version changes (the rest of the text is the version it starts from)
FIELDS = ("version", "edition")


class NextEditionError(ValueError):
    """The text cannot be given a new number and edition (it is not a standard whose fields can be found)."""


def next_number(version: str, bump: str = MINOR) -> str:
    """``2.3`` -> ``2.4`` (minor) or ``3.0`` (major)."""
    if bump not in BUMPS:
        raise ValueError(f"bump must be one of {', '.join(BUMPS)}, not {bump!r}")
    major, minor = parse_version(version)
    return f"{major + 1}.0" if bump == MAJOR else f"{major}.{minor + 1}"


def with_release(source: bytes, version: str, edition: int) -> bytes:
    """``source`` with its top-level ``version`` and ``edition`` values replaced, nothing else touched.

    The version keeps the quote the text used (double quotes when it had none: a version is a
    string); the edition is a plain integer, as the format wants it.
    """
    text = source.decode("utf-8")
    places = _top_level_values(text)
    missing = [name for name in FIELDS if name not in places]
    if missing:
        raise NextEditionError(f"the text has no top-level {' or '.join(missing)}")
    quote = places["version"][2] if places["version"][2] in ("'", '"') else '"'
    replacements = {"version": f"{quote}{version}{quote}", "edition": str(int(edition))}
    for name in sorted(FIELDS, key=lambda n: places[n][0], reverse=True):
        start, end, _ = places[name]
        text = text[:start] + replacements[name] + text[end:]
    result = text.encode("utf-8")
    _check(source, result, {"version": version, "edition": int(edition)})
    return result


def _top_level_values(text: str) -> dict[str, tuple[int, int, str | None]]:
    """Top-level key -> (start, end, quote style) of its value, for the keys whose value is a scalar."""
    found: dict[str, tuple[int, int, str | None]] = {}
    depth, key = 0, None
    try:
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if kind in (ev.MappingStartEvent, ev.SequenceStartEvent):
                if depth == 1 and key is not None:
                    key = None  # a top-level key whose value is a collection
                elif depth == 1:
                    raise NextEditionError("the top level has a key that is not a scalar")
                depth += 1
            elif kind in (ev.MappingEndEvent, ev.SequenceEndEvent):
                depth -= 1
            elif kind is ev.AliasEvent and depth == 1:
                key = None if key is not None else "*"  # an alias as a key or a value: not ours
            elif kind is ev.ScalarEvent and depth == 1:
                if key is None:
                    key = event.value
                else:
                    if key in FIELDS:
                        found[key] = (event.start_mark.index, event.end_mark.index, event.style)
                    key = None
    except yaml.YAMLError as error:
        raise NextEditionError(f"the text is not YAML: {error}") from None
    return found


def _check(old: bytes, new: bytes, fields: dict) -> None:
    """The edited text loads to the same document, with the new values in those fields."""
    from .loader import LoadError, load_bytes

    try:
        before, after = load_bytes(old).data, load_bytes(new).data
    except LoadError as error:
        raise NextEditionError(f"the text cannot be given a new version ({error})") from None
    if after != {**before, **fields}:
        raise NextEditionError("changing the version and edition would change other parts of the text")
