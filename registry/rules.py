"""Rules beyond the JSON Schema, each with a stable ID.

A rule is a function ``(doc, context) -> iterable of Finding``. Rules are written against the
shape the schema guarantees; when the schema already failed, a rule that trips over the shape is
skipped (the schema errors explain the document), so every rule that *can* run still reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from .issues import PathParts, json_path
from .vocabulary import LEVEL_SCHEMES


@dataclass(frozen=True)
class Finding:
    rule: str
    path: PathParts
    message: str
    at_key: bool = False  # point at the mapping key rather than its value


@dataclass(frozen=True)
class Context:
    file: str | None = None  # the path the document was read from; None when it came from the network


Rule = Callable[[dict, Context], Iterable[Finding]]

#: rule id -> (function, one-line description); the description is printed by ``registry rules``
RULES: dict[str, tuple[Rule, str]] = {}


def rule(rule_id: str, description: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[rule_id] = (fn, description)
        return fn

    return register


def run_rules(doc: dict, context: Context, *, schema_valid: bool) -> list[Finding]:
    """Run every rule; when the schema failed, a rule that cannot cope with the shape is skipped."""
    findings: list[Finding] = []
    for fn, _ in RULES.values():
        try:
            findings.extend(fn(doc, context))
        except (TypeError, AttributeError, KeyError, ValueError, IndexError):
            if schema_valid:
                raise
    return findings


# --- walking the document -------------------------------------------------------------------

#: keys whose value is a text (a string in the master language, or a language -> text map)
TEXT_KEYS = frozenset({
    "title", "occupation", "note", "name", "description", "text", "definition", "environment",
    "abilities", "education", "method", "duration", "ratio", "venue", "preface",
})
#: keys whose value is a list of texts
TEXT_LIST_KEYS = frozenset({
    "keywords", "issuers", "guiding_bodies", "drafting_bodies", "reviewing_bodies", "legal_basis",
    "conditions", "paragraphs",
})


#: the key of the translation stamps next to texts (registry/translation_stamps.py): not a text itself
STAMP_KEY = "translated_from"


def iter_texts(node: Any, path: PathParts = ()) -> Iterator[tuple[PathParts, Any]]:
    """Yield (path, text) for every text field of a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == STAMP_KEY:
                continue
            if key in TEXT_KEYS:
                yield path + (key,), value
            elif key in TEXT_LIST_KEYS and isinstance(value, list):
                for i, item in enumerate(value):
                    yield path + (key, i), item
            else:
                yield from iter_texts(value, path + (key,))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from iter_texts(item, path + (i,))


def iter_ids(node: Any, path: PathParts = ()) -> Iterator[tuple[PathParts, str]]:
    """Yield (path of the id, id) for every object that carries an ``id``."""
    if isinstance(node, dict):
        ident = node.get("id")
        if isinstance(ident, str):
            yield path + ("id",), ident
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from iter_ids(value, path + (key,))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from iter_ids(item, path + (i,))


def sections(doc: dict) -> Iterator[tuple[PathParts, dict]]:
    for i, section in enumerate(doc["work_requirements"]["sections"]):
        yield ("work_requirements", "sections", i), section


def weight_columns(doc: dict) -> Iterator[tuple[PathParts, str, dict]]:
    weights = doc["weights"]
    for table in ("theory", "skills"):
        for i, column in enumerate(weights.get(table, [])):
            yield ("weights", table, i), table, column


def _declared(doc: dict, key: str) -> set[str]:
    return {entry["id"] for entry in doc.get(key) or [] if isinstance(entry, dict) and "id" in entry}


def _where(level: str, direction: str | None) -> str:
    return f"level {level!r}" + (f", direction {direction!r}" if direction else "")


# --- the rules --------------------------------------------------------------------------------


@rule("unique-ids", "every id is unique in the standard")
def unique_ids(doc: dict, context: Context) -> Iterator[Finding]:
    first: dict[str, PathParts] = {}
    for path, ident in iter_ids(doc):
        if ident in first:
            yield Finding("unique-ids", path, f"id {ident!r} is used twice (first at {json_path(first[ident])})")
        else:
            first[ident] = path


@rule("level-scheme", "declared levels belong to the declared level scheme")
def level_scheme(doc: dict, context: Context) -> Iterator[Finding]:
    scheme = doc["level_scheme"]
    for i, level in enumerate(doc["levels"]):
        if scheme == "custom":
            if "name" not in level:
                yield Finding("level-scheme", ("levels", i), f"level {level['id']!r} of a custom scheme needs a name")
        elif level["id"] not in LEVEL_SCHEMES[scheme]:
            allowed = ", ".join(LEVEL_SCHEMES[scheme])
            yield Finding("level-scheme", ("levels", i, "id"),
                          f"level {level['id']!r} is not in the {scheme} scheme ({allowed})")


@rule("level-order", "levels are declared in order, lowest first")
def level_order(doc: dict, context: Context) -> Iterator[Finding]:
    order = list(LEVEL_SCHEMES.get(doc["level_scheme"], {}))
    if not order:
        return
    ranks = [order.index(level["id"]) for level in doc["levels"] if level["id"] in order]
    for i in range(1, len(ranks)):
        if ranks[i] <= ranks[i - 1]:
            yield Finding("level-order", ("levels", i, "id"),
                          f"levels must be declared lowest first: {order[ranks[i]]!r} comes after "
                          f"{order[ranks[i - 1]]!r} (expected order: {', '.join(order)})")
            return


@rule("unknown-level", "every level referenced is declared in levels")
def unknown_level(doc: dict, context: Context) -> Iterator[Finding]:
    declared = _declared(doc, "levels")
    yield from _unknown_refs(doc, "level", declared, "unknown-level", "levels")


@rule("unknown-direction", "every direction referenced is declared in directions")
def unknown_direction(doc: dict, context: Context) -> Iterator[Finding]:
    declared = _declared(doc, "directions")
    yield from _unknown_refs(doc, "direction", declared, "unknown-direction", "directions")


def _unknown_refs(doc: dict, key: str, declared: set[str], rule_id: str, where: str) -> Iterator[Finding]:
    holders: list[tuple[PathParts, dict]] = list(sections(doc))
    holders += [(path, column) for path, _, column in weight_columns(doc)]
    overview = doc["overview"]
    for list_key in ("training_hours", "eligibility"):
        holders += [(("overview", list_key, i), entry) for i, entry in enumerate(overview.get(list_key, []))]
    for path, holder in holders:
        value = holder.get(key)
        if value is not None and value not in declared:
            yield Finding(rule_id, path + (key,), f"{key} {value!r} is not declared in {where}")


@rule("unknown-function", "every function referenced is declared in functions")
def unknown_function(doc: dict, context: Context) -> Iterator[Finding]:
    declared = _declared(doc, "functions")
    for path, section in sections(doc):
        for i, block in enumerate(section["functions"]):
            if block["function"] not in declared:
                yield Finding("unknown-function", path + ("functions", i, "function"),
                              f"function {block['function']!r} is not declared in functions")
    for path, _, column in weight_columns(doc):
        for key in column["functions"]:
            if key not in declared:
                yield Finding("unknown-function", path + ("functions", key),
                              f"function {key!r} is not declared in functions", at_key=True)


@rule("unknown-work-type", "every work type referenced is declared in work_types")
def unknown_work_type(doc: dict, context: Context) -> Iterator[Finding]:
    declared = _declared(doc, "work_types")
    for path, section in sections(doc):
        for i, block in enumerate(section["functions"]):
            for j, content in enumerate(block["work_contents"]):
                for k, work_type in enumerate(content.get("work_types", [])):
                    if work_type not in declared:
                        yield Finding("unknown-work-type",
                                      path + ("functions", i, "work_contents", j, "work_types", k),
                                      f"work type {work_type!r} is not declared in work_types")


@rule("work-type-code", "a work type's code extends the occupation's code")
def work_type_code(doc: dict, context: Context) -> Iterator[Finding]:
    for i, work_type in enumerate(doc.get("work_types") or []):
        code = work_type.get("code")
        if code is not None and code.rsplit("-", 1)[0] != doc["code"]:
            yield Finding("work-type-code", ("work_types", i, "code"),
                          f"work type code {code!r} does not extend the occupation code {doc['code']!r}")


@rule("level-requirements", "every declared level has work requirements, once per direction")
def level_requirements(doc: dict, context: Context) -> Iterator[Finding]:
    seen: dict[tuple[str, str | None], int] = {}
    for path, section in sections(doc):
        key = (section["level"], section.get("direction"))
        if key in seen:
            yield Finding("level-requirements", path,
                          f"{_where(*key)} already has a section (sections[{seen[key]}]); merge them")
        seen.setdefault(key, path[-1])
    covered = {level for level, _ in seen}
    for i, level in enumerate(doc["levels"]):
        if level["id"] not in covered:
            yield Finding("level-requirements", ("levels", i),
                          f"level {level['id']!r} is declared but has no work requirements")
    # A direction may start at a higher level only, so it need not appear at every level;
    # but one that no level has is a section lost in editing.
    used = {direction for _, direction in seen}
    for i, direction in enumerate(doc.get("directions") or []):
        if direction["id"] not in used:
            yield Finding("level-requirements", ("directions", i),
                          f"direction {direction['id']!r} is declared but no level has work requirements for it")


@rule("weights-sum", "each weight column sums to 100")
def weights_sum(doc: dict, context: Context) -> Iterator[Finding]:
    for path, table, column in weight_columns(doc):
        values = [column.get("ethics"), column.get("basic_knowledge"), *column["functions"].values()]
        total = sum(v for v in values if isinstance(v, int))
        if total != 100:
            yield Finding("weights-sum", path,
                          f"{table} weights for {_where(column['level'], column.get('direction'))} "
                          f"sum to {total}, not 100")


@rule("weights-coverage", "each level (and direction) with requirements has both weight tables, "
      "weighing every function it uses")
def weights_coverage(doc: dict, context: Context) -> Iterator[Finding]:
    columns: dict[tuple[str, str, str | None], dict] = {}
    for _, table, column in weight_columns(doc):
        columns[(table, column["level"], column.get("direction"))] = column
    for path, section in sections(doc):
        level, direction = section["level"], section.get("direction")
        used = [block["function"] for block in section["functions"]]
        for table in ("theory", "skills"):
            column = columns.get((table, level, direction))
            if column is None:
                yield Finding("weights-coverage", path,
                              f"no {table} weight column for {_where(level, direction)}")
                continue
            missing = [f for f in used if f not in column["functions"]]
            if missing:
                yield Finding("weights-coverage", path,
                              f"the {table} weight column for {_where(level, direction)} has no weight for "
                              f"function(s) {', '.join(missing)}")


@rule("numbering", "display numbers follow the nesting: function N, work content N.M, items N.M.K")
def numbering(doc: dict, context: Context) -> Iterator[Finding]:
    for path, section in sections(doc):
        for i, block in enumerate(section["functions"]):
            block_path = path + ("functions", i)
            expected = str(i + 1)
            if block["number"] != expected:
                yield Finding("numbering", block_path + ("number",),
                              f"function number {block['number']!r} should be {expected!r} (position in the section)")
            prefix = block["number"]
            for j, content in enumerate(block["work_contents"]):
                content_path = block_path + ("work_contents", j)
                expected = f"{prefix}.{j + 1}"
                if content["number"] != expected:
                    yield Finding("numbering", content_path + ("number",),
                                  f"work content number {content['number']!r} should be {expected!r}")
                for list_key in ("requirements", "knowledge", "behaviours"):
                    for k, item in enumerate(content.get(list_key, [])):
                        want = f"{content['number']}.{k + 1}"
                        if "number" in item and item["number"] != want:
                            yield Finding("numbering", content_path + (list_key, k, "number"),
                                          f"{list_key[:-1] if list_key != 'knowledge' else 'knowledge item'} "
                                          f"number {item['number']!r} should be {want!r}")


@rule("master-language", "every text has the master language")
def master_language(doc: dict, context: Context) -> Iterator[Finding]:
    master = doc["languages"]["master"]
    for path, text in iter_texts(doc):
        if isinstance(text, dict) and master not in text:
            yield Finding("master-language", path,
                          f"text has no {master!r} (master language) version; it has {', '.join(text)}")


@rule("undeclared-language", "every language used is the master or a declared translation")
def undeclared_language(doc: dict, context: Context) -> Iterator[Finding]:
    languages = doc["languages"]
    declared = {languages["master"], *languages.get("translations", [])}
    for path, text in iter_texts(doc):
        if isinstance(text, dict):
            for lang in text:
                if lang not in declared:
                    yield Finding("undeclared-language", path + (lang,),
                                  f"language {lang!r} is not declared in languages.translations", at_key=True)


@rule("date-order", "effective_until is not before effective_from")
def date_order(doc: dict, context: Context) -> Iterator[Finding]:
    provenance = doc["provenance"]
    start, end = provenance.get("effective_from"), provenance.get("effective_until")
    if start and end and end < start:
        yield Finding("date-order", ("provenance", "effective_until"),
                      f"effective_until {end} is before effective_from {start}")


@rule("path-mismatch", "a file lives at <code>/<version>.yaml")
def path_mismatch(doc: dict, context: Context) -> Iterator[Finding]:
    if context.file is None:
        return
    path = PurePath(context.file)
    expected = f"{doc['code']}/{doc['version']}.yaml"
    if path.parent.name != doc["code"] or path.name != f"{doc['version']}.yaml":
        yield Finding("path-mismatch", ("code",),
                      f"file is at {path.parent.name}/{path.name} but its code and version say {expected}")

