"""Validation of standards: safe loading, the JSON Schema, then the rules. No Flask, no database.

The command line and the server call the same functions, so a file that passes ``registry validate``
on a standards body's machine passes the server's check too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .issues import Issue, json_path
from .loader import LoadedDocument, LoadError, load_bytes
from .rules import Context, run_rules
from .schema import CURRENT_VERSION, SCHEMA_FILES, get_gate, get_validator, passes_gate

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Report:
    """The outcome of checking one document."""

    file: str | None
    issues: list[Issue]
    document: LoadedDocument | None = None

    @property
    def valid(self) -> bool:
        return not self.issues

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "valid": self.valid, "errors": [i.to_dict() for i in self.issues]}


#: the most problems one report lists, and the longest message or path it shows: a report stays
#: small beside its document (1.3 MB of YAML got 17.5 MB of problems, each echoing a value)
MAX_ISSUES = 100
MAX_TEXT = 200


def validate_bytes(source: bytes, *, file: str | None = None, check_path: bool = True) -> Report:
    """Load and check one document given as bytes; ``file`` names it in messages and path checks.
    At most :data:`MAX_ISSUES` problems are listed (the first in the text), then how many more."""
    try:
        loaded = load_bytes(source, file=file)
    except LoadError as exc:
        if exc.partial is None:
            return Report(file, bounded(exc.issues))
        partial = LoadedDocument(data=exc.partial, source=source, file=file)
        found = check_document(partial, check_path=check_path and file is not None)
        return Report(file, bounded(sorted(exc.issues + _outside(found, exc.issues), key=Issue.sort_key)))
    return Report(file, bounded(check_document(loaded, check_path=check_path and file is not None)), loaded)


def bounded(issues: list[Issue]) -> list[Issue]:
    """``issues`` with long messages and paths cut, and past :data:`MAX_ISSUES` one issue saying how
    many more there are."""
    def cut(text: str) -> str:
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"

    shown = [replace(i, message=cut(i.message), path=cut(i.path)) if len(i.message) > MAX_TEXT
             or len(i.path) > MAX_TEXT else i for i in issues[:MAX_ISSUES]]
    if len(issues) > MAX_ISSUES:
        last = issues[MAX_ISSUES]
        shown.append(Issue("too-many-problems", f"{len(issues) - MAX_ISSUES} more problem(s) not listed; "
                           "fix these first", "$", last.line, last.column, last.file))
    return shown


def _outside(found: list[Issue], loading: list[Issue]) -> list[Issue]:
    """The issues of ``found`` that are not at or under a place where loading already failed:
    a value the loader had to drop would otherwise be reported twice (e.g. as a missing field)."""
    places = {issue.path for issue in loading}

    def under(path: str) -> bool:
        return any(path == place or (path.startswith(place) and path[len(place)] in ".[") for place in places)

    return [issue for issue in found if not under(issue.path)]


def check_document(loaded: LoadedDocument, *, check_path: bool = True) -> list[Issue]:
    """Return every schema and rule issue of a loaded document, in the order of the text."""
    doc = loaded.data
    issues = schema_issues(loaded)
    context = Context(file=loaded.file if check_path else None)
    for finding in run_rules(doc, context, schema_valid=not issues):
        locate = loaded.locate_key if finding.at_key else loaded.locate
        line, column = locate(finding.path)
        issues.append(Issue(finding.rule, finding.message, json_path(finding.path), line, column, loaded.file))
    return sorted(issues, key=Issue.sort_key)


def schema_issues(loaded: LoadedDocument) -> list[Issue]:
    """Check a document against the schema its ``schema_version`` names (or the current one)."""
    version = loaded.data.get("schema_version")
    version = version if isinstance(version, str) and version in SCHEMA_FILES else CURRENT_VERSION
    if passes_gate(loaded.data, version):
        return []
    gate = get_gate(version)
    issues = [i for error in get_validator(version).iter_errors(loaded.data) for i in _schema_issues(loaded, error)]
    if not issues:  # the two engines disagree (a format edge case): report the gate's own findings
        for error in gate.iter_errors(loaded.data):
            path = tuple(error.instance_path)
            line, column = loaded.locate(path)
            issues.append(Issue("schema", error.message, json_path(path), line, column, loaded.file))
    return issues


def validate_file(path: str | os.PathLike[str], *, check_path: bool = True) -> Report:
    """Read and check one file."""
    name = os.fspath(path)
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        return Report(name, [Issue("file-unreadable", exc.strerror or str(exc), "$", 1, 1, name)])
    return validate_bytes(source, file=name, check_path=check_path)


def iter_yaml_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """Expand folders into the YAML files under them (sorted); files are yielded as given."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(os.fspath(f) for f in p.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file())
        else:
            yield os.fspath(p)


# --- from jsonschema errors to issues ----------------------------------------------------------


def _schema_issues(loaded: LoadedDocument, error: ValidationError) -> Iterator[Issue]:
    path = tuple(error.absolute_path)
    keyword = str(error.validator)
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        for key in error.instance:
            if key not in allowed:
                line, column = loaded.locate_key(path + (key,))
                yield Issue("schema.additionalProperties", f"unknown field {key!r}",
                            json_path(path + (key,)), line, column, loaded.file)
        return
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        # jsonschema reports a bad key with the inner keyword (pattern) at the mapping's path
        line, column = loaded.locate_key(path + (error.instance,))
        yield Issue("schema.propertyNames", f"key {error.instance!r} is not allowed here: {error.message}",
                    json_path(path + (error.instance,)), line, column, loaded.file)
        return
    line, column = loaded.locate_key(path) if keyword == "required" else loaded.locate(path)
    yield Issue(f"schema.{keyword}", _message(error, path), json_path(path), line, column, loaded.file)


_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping",
               type(None): "null"}


def _message(error: ValidationError, path: tuple) -> str:
    keyword, value, instance = error.validator, error.validator_value, error.instance
    field = next((p for p in reversed(path) if isinstance(p, str)), "document")
    if keyword == "required":
        return error.message.replace("is a required property", f"is required in {field}")
    if keyword == "type":
        expected = " or ".join(value) if isinstance(value, list) else value
        got = _TYPE_NAMES.get(type(instance), type(instance).__name__)
        hint = ""
        if "string" in expected and not isinstance(instance, (dict, list)):
            hint = "; quote the value"
        elif "integer" in expected and isinstance(instance, float) and instance.is_integer():
            hint = f"; write {int(instance)}"
        return f"{field}: expected {expected}, got {got} {_short(instance)}{hint}"
    if keyword == "pattern":
        return f"{field}: {_short(instance)} does not match the required pattern {value}"
    if keyword == "format":
        return f"{field}: {_short(instance)} is not a valid {value}"
    if keyword in ("enum", "const"):
        allowed = value if keyword == "enum" else [value]
        return f"{field}: {_short(instance)} is not one of {', '.join(map(repr, allowed))}"
    return f"{field}: {error.message}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _validate_for_pool(args: tuple[str, bool]) -> Report:
    report = validate_file(args[0], check_path=args[1])
    report.document = None  # only the verdict crosses the process boundary
    return report


def validate_paths(paths: Iterable[str | os.PathLike[str]], *, check_path: bool = True,
                   jobs: int | None = None) -> Iterator[Report]:
    """Check every YAML file under ``paths``, in order; large batches use a process per core."""
    files = list(iter_yaml_files(paths))
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(files) < PARALLEL_THRESHOLD:
        for name in files:
            yield validate_file(name, check_path=check_path)
        return
    from concurrent.futures import ProcessPoolExecutor

    get_gate(CURRENT_VERSION)  # build once before forking, so workers inherit it
    chunk = max(1, min(64, len(files) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_validate_for_pool, [(f, check_path) for f in files], chunksize=chunk)


#: below this many files, starting worker processes costs more than it saves
PARALLEL_THRESHOLD = 48
