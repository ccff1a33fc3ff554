"""Safe, line-aware YAML loading.

The document is built straight from libyaml's event stream (PyYAML's C parser), not through
PyYAML's constructors, so that:

* no tag can construct an object: only the core JSON types come out;
* anchors and aliases are refused before anything could expand them (billion laughs);
* duplicate keys, non-string keys and ambiguous YAML 1.1 numbers are errors, not silent rewrites;
* dates stay the strings that were typed (the schema checks them with ``format: date``);
* nesting depth is capped without recursion, so no input can exhaust the stack.

Booleans follow YAML 1.2: only ``true``/``false`` are booleans; ``yes``, ``no``, ``on``, ``off``
stay strings, so ``country: NO`` is the string that was typed.

Positions are not recorded on the fast path. When a problem has to be located, the text is parsed
once more with position tracking (:meth:`LoadedDocument.locate`); valid documents never pay for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events as ev

from .issues import Issue, PathParts, json_path

try:  # the C parser is what makes loading fast; the pure-Python one gives the same events
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]


@dataclass(frozen=True)
class Limits:
    """Bounds on untrusted input; the defaults leave room for the largest real standard (~0.5 MB)."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64


DEFAULT_LIMITS = Limits()

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP}

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
# YAML 1.1 forms that PyYAML would silently turn into something else than what was typed.
_AMBIGUOUS_NUMBER = re.compile(
    r"""[-+]?(?:
        0[0-9_]+                                # 0755: octal in YAML 1.1
      | 0[xob][0-9a-fA-F_]+                     # hex, octal, binary literals
      | [0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?   # 1:20 is sexagesimal 80
      | [0-9]+_[0-9_]*(?:\.[0-9_]*)?           # 1_000
      | \.(?:inf|Inf|INF|nan|NaN|NAN)           # .inf, .nan
      | [0-9]+[eE][-+]?[0-9]+                   # 1e3
    )\Z""",
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class LoadError(Exception):
    """The text is not a loadable standard; ``issues`` says every reason found, with places.

    ``partial`` is the document as far as it could be read when every problem was local (a
    duplicate key, a tag, an ambiguous number): the validator still checks it, so an author
    sees the schema and rule problems of the same file in one pass. It is ``None`` after a
    problem that stops the parse (syntax, encoding, size, depth, aliases).
    """

    def __init__(self, issues: list[Issue], partial: dict[str, Any] | None = None):
        super().__init__("; ".join(f"{i.location}: {i.message}" for i in issues))
        self.issues = issues
        self.partial = partial


class _Fatal(Exception):
    def __init__(self, rule: str, message: str, line: int | None, column: int | None, path: PathParts = ()):
        super().__init__(message)
        self.rule, self.message, self.line, self.column, self.path = rule, message, line, column, path


@dataclass
class LoadedDocument:
    """A parsed document with its exact source bytes; places are looked up lazily."""

    data: dict[str, Any]
    source: bytes
    file: str | None = None
    _positions: dict[PathParts, tuple[int, int]] | None = field(default=None, repr=False)

    def locate(self, path: PathParts) -> tuple[int, int]:
        """Return the 1-based (line, column) of the node at ``path``, or of its nearest ancestor."""
        if self._positions is None:
            positions: dict[PathParts, tuple[int, int]] = {}
            _build(self.source, DEFAULT_LIMITS, positions, [])
            self._positions = positions
        parts = tuple(path)
        while parts not in self._positions and parts:
            parts = parts[:-1]
        return self._positions.get(parts, (1, 1))

    def locate_key(self, path: PathParts) -> tuple[int, int]:
        """Like :meth:`locate`, but the place of the mapping key rather than of its value."""
        self.locate(())
        assert self._positions is not None
        return self._positions.get(tuple(path) + (_KEY,), self.locate(path))


def load_bytes(source: bytes, *, file: str | None = None, limits: Limits = DEFAULT_LIMITS) -> LoadedDocument:
    """Parse one standard from untrusted bytes.

    :raises LoadError: with every loading problem found, each with its line and column.
    """
    issues: list[Issue] = []
    try:
        _check_text(source, limits)
        data = _build(source, limits, None, issues)
    except _Fatal as fatal:
        issues.append(Issue(fatal.rule, fatal.message, json_path(fatal.path), fatal.line, fatal.column))
        data = None
    if issues:
        raise LoadError([_with_file(i, file) for i in sorted(issues, key=Issue.sort_key)],
                        partial=data if isinstance(data, dict) else None)
    assert isinstance(data, dict)
    return LoadedDocument(data=data, source=source, file=file)


def _with_file(issue: Issue, file: str | None) -> Issue:
    return Issue(issue.rule, issue.message, issue.path, issue.line, issue.column, file)


def _check_text(source: bytes, limits: Limits) -> None:
    if len(source) > limits.max_bytes:
        # reported at the start of the file: the whole file is the problem, and nothing is parsed
        raise _Fatal(
            "yaml-size", f"file is {len(source):,} bytes; the limit is {limits.max_bytes:,} bytes", 1, 1
        )
    if source.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Fatal("yaml-encoding", "file is UTF-16; standards must be UTF-8", 1, 1)
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        column = exc.start - (source.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _Fatal("yaml-encoding", f"not valid UTF-8 (byte 0x{source[exc.start]:02x}); save the file as UTF-8",
                     line, column) from None
    bad = _CONTROL.search(text)
    if bad:
        raise _Fatal("yaml-control-character", f"control character U+{ord(bad.group()):04X} is not allowed",
                     *_text_position(text, bad.start()))


def _text_position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _build(source: bytes, limits: Limits, positions: dict | None, issues: list[Issue]) -> Any:
    """Turn the event stream into plain data; record places into ``positions`` when given."""
    parser = _Parser(source)
    try:
        return _walk(parser, limits, positions, issues)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(filter(None, [exc.context, exc.problem]))
        if exc.context_mark is not None and mark is not exc.context_mark:
            message += f" (the construct started at line {exc.context_mark.line + 1}, " \
                       f"column {exc.context_mark.column + 1})"
        rule = "yaml-depth" if "nesting depth" in message else "yaml-syntax"
        if mark is not None and _tab_before(source, mark.line, mark.column):
            message += " (indent with spaces, not tabs)"
        raise _Fatal(rule, message, mark.line + 1 if mark else None,
                     mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise _Fatal("yaml-syntax", str(exc), None, None) from None
    finally:
        parser.dispose()


def _tab_before(source: bytes, line: int, column: int) -> bool:
    lines = source.split(b"\n", line + 1)
    return line < len(lines) and b"\t" in lines[line][: column + 1]


def _walk(parser: Any, limits: Limits, positions: dict | None, issues: list[Issue]) -> Any:
    get_event = parser.get_event
    # Each open container: [container, path, pending key or _NO_KEY, key mark, seen keys]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    document_mark = None  # where the document starts (a DocumentStartEvent always comes first)
    while True:
        event = get_event()
        kind = type(event)
        if kind is ev.ScalarEvent or kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
            if event.anchor is not None:
                raise _Fatal("yaml-alias", f"anchors (&{event.anchor}) and aliases are not allowed",
                             event.start_mark.line + 1, event.start_mark.column + 1, _child_path(stack))
            if stack and stack[-1][2] is _NO_KEY and type(stack[-1][0]) is dict:
                top = stack[-1]
                _accept_key(top, event, issues)
                if positions is not None and type(top[2]) is str:
                    positions[top[1] + (top[2], _KEY)] = top[3]
                continue
            path = _child_path(stack)
            if positions is not None:
                positions[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
            if kind is ev.ScalarEvent:
                if not stack:
                    if event.value == "" and event.implicit[0]:
                        raise _Fatal("yaml-empty", "the document is empty: expected a standard (a YAML mapping)",
                                     document_mark.line + 1, document_mark.column + 1)
                    raise _Fatal("yaml-root", "expected a mapping at the document root, found a single value",
                                 event.start_mark.line + 1, event.start_mark.column + 1)
                _attach(stack, _scalar(event, path, issues))
                continue
            _check_tag(event, path, issues)
            container: Any = {} if kind is ev.MappingStartEvent else []
            if not stack:
                if kind is ev.SequenceStartEvent:
                    raise _Fatal("yaml-root", "expected a mapping at the document root, found a list",
                                 event.start_mark.line + 1, event.start_mark.column + 1)
                root = container
            else:
                _attach(stack, container)
            if len(stack) >= limits.max_depth:
                raise _Fatal("yaml-depth", f"nesting deeper than {limits.max_depth} levels",
                             event.start_mark.line + 1, event.start_mark.column + 1, path)
            stack.append([container, path, _NO_KEY, None, None])
        elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
            stack.pop()
        elif kind is ev.AliasEvent:
            raise _Fatal("yaml-alias", f"aliases (*{event.anchor}) and anchors are not allowed",
                         event.start_mark.line + 1, event.start_mark.column + 1, _child_path(stack))
        elif kind is ev.DocumentStartEvent:
            documents += 1
            document_mark = event.start_mark
            if documents > 1:
                raise _Fatal("yaml-documents", "exactly one YAML document expected; found a second one ('---')",
                             event.start_mark.line + 1, event.start_mark.column + 1)
        elif kind is ev.StreamEndEvent:
            break
    if documents == 0 or root is None:
        raise _Fatal("yaml-empty", "the file is empty: expected a standard (a YAML mapping)", 1, 1)
    return root


_KEY = "\0key"  # path suffix under which the place of a mapping key is recorded


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()


def _child_path(stack: list[list[Any]]) -> PathParts:
    if not stack:
        return ()
    top = stack[-1]
    if type(top[0]) is dict:
        return top[1] + (top[2],)
    return top[1] + (len(top[0]),)


def _attach(stack: list[list[Any]], value: Any) -> None:
    if not stack:
        return
    top = stack[-1]
    container = top[0]
    if type(container) is dict:
        key = top[2]
        if type(key) is not _DuplicateKey:  # a repeated key was reported when read; the first value wins
            container[key] = value
        top[2] = _NO_KEY
    else:
        container.append(value)


def _accept_key(top: list[Any], event: Any, issues: list[Issue]) -> None:
    line, column = event.start_mark.line + 1, event.start_mark.column + 1
    if type(event) is not ev.ScalarEvent:
        raise _Fatal("yaml-key", "mapping keys must be plain strings, not lists or mappings", line, column, top[1])
    key = _scalar(event, top[1], issues)
    if event.tag == "tag:yaml.org,2002:merge" or (event.value == "<<" and event.implicit[0]):
        raise _Fatal("yaml-merge-key", "merge keys ('<<') are not allowed", line, column, top[1])
    if not isinstance(key, str):
        issues.append(Issue("yaml-key", f"mapping key {event.value!r} must be a string; quote it",
                            json_path(top[1]), line, column))
        key = event.value
    seen = top[4]
    if seen is None:
        seen = top[4] = {}
    if key in seen:
        issues.append(Issue("yaml-duplicate-key",
                            f"duplicate key {key!r} (first at line {seen[key]}, again at line {line})",
                            json_path(top[1] + (key,)), line, column))
        # keep the first value: a sentinel key that is never stored
        top[2] = _DuplicateKey()
        return
    seen[key] = line
    top[2] = key
    top[3] = (line, column)


class _DuplicateKey:
    """Stands in for a repeated key so that its value is parsed but dropped."""

    __slots__ = ()


def _check_tag(event: Any, path: PathParts, issues: list[Issue]) -> None:
    tag = event.tag
    if tag is None or tag == "!" or tag in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
        return
    issues.append(Issue("yaml-tag", f"unsupported YAML tag {tag!r}: tags cannot construct objects here",
                        json_path(path), event.start_mark.line + 1, event.start_mark.column + 1))


#: the longest plain integer read as a number (Python's int() refuses over 4,300 digits)
MAX_INT_DIGITS = 64


def _scalar(event: Any, path: PathParts, issues: list[Issue]) -> Any:
    value: str = event.value
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted, literal or folded: always the string typed
            if event.style == '"' and _CONTROL.search(value):  # escapes such as "\0" or "\ud800"
                issues.append(Issue("yaml-control-character", "control characters and lone surrogates are "
                                    "not allowed in text", json_path(path),
                                    event.start_mark.line + 1, event.start_mark.column + 1))
            return value
        return _plain(value, event, path, issues)
    if tag not in _SCALAR_TAGS:
        issues.append(Issue("yaml-tag", f"unsupported YAML tag {tag!r}: tags cannot construct objects here",
                            json_path(path), event.start_mark.line + 1, event.start_mark.column + 1))
        return None
    if tag == _STR or tag == _TIMESTAMP:
        return value
    result = _plain(value, event, path, issues)
    expected = {_INT: int, _FLOAT: float, _BOOL: bool, _NULL: type(None)}[tag]
    if type(result) is int and expected is float:
        return float(result)
    if type(result) is not expected:
        issues.append(Issue("yaml-tag", f"{value!r} is not a valid {tag.rsplit(':', 1)[1]}",
                            json_path(path), event.start_mark.line + 1, event.start_mark.column + 1))
    return result


def _plain(value: str, event: Any, path: PathParts, issues: list[Issue]) -> Any:
    first = value[:1]
    if not value or first in "-+.0123456789tTfFnN~":
        if value in _NULLS:
            return None
        if value in _BOOLS:
            return _BOOLS[value]
        if _DECIMAL_INT.match(value):
            if len(value) > MAX_INT_DIGITS:  # int() refuses over 4,300 digits; no field needs 20
                issues.append(Issue("yaml-number", f"a number of {len(value.lstrip('+-'))} digits is too long "
                                    f"(at most {MAX_INT_DIGITS}); quote it if it is text",
                                    json_path(path), event.start_mark.line + 1, event.start_mark.column + 1))
                return value
            return int(value)
        if _DECIMAL_FLOAT.match(value):
            return float(value)
        if _AMBIGUOUS_NUMBER.match(value):
            issues.append(Issue(
                "yaml-ambiguous-number",
                f"{value!r} would be read differently by YAML 1.1 and 1.2 tools; quote it if it is text "
                "(a code or a version), or write a plain decimal number",
                json_path(path), event.start_mark.line + 1, event.start_mark.column + 1))
            return value
    return value
