"""The competency matrix: one CSV row per item of a standard (or of one level of it): requirements,
knowledge items and behaviours of the work requirements, and the basic requirements every level has.

For trainers who take requirements into their curricula, in a spreadsheet.

**Encoding: UTF-8 with a byte-order mark, CRLF line ends.** Excel (Windows and macOS) and WPS
Office open a ``.csv`` file in the user's legacy code page (GBK on a Chinese Windows, Windows-1252
on a Western one) unless the file starts with the UTF-8 BOM; with the BOM they read it as UTF-8,
so Chinese, French and English text all survive a double-click. LibreOffice, pandas
(``encoding="utf-8-sig"``) and Python's :mod:`csv` (after ``decode("utf-8-sig")``) read it too.
Lines end with CRLF as RFC 4180 says; fields are quoted only when needed (a comma, a quote or a
line break inside), and a line break inside a text stays inside its quoted cell.

**Formula injection.** Document text is untrusted: a cell that begins with ``=``, ``+``, ``-`` or
``@`` (or a tab or carriage return, which some spreadsheets skip before looking for one of those)
would be run as a formula by a spreadsheet (``=HYPERLINK(...)``, ``=cmd|...``). Such cells get a
leading apostrophe, which spreadsheets display as plain text and do not show. This applies to every
cell, so the value read back by a program is the text with ``'`` in front; nothing else is changed.

**Codes, versions and numbers stay text.** A spreadsheet reads ``1.10`` as the number 1.1 and
``1.1.1`` as a date in some locales. The cells of :data:`TEXT_COLUMNS` are therefore written as
text formulas, ``="1.10"``: Excel, WPS, LibreOffice and Google Sheets show ``1.10`` and keep it as
text (a program reading the file strips ``="`` and ``"``: :func:`plain`). Their values come from
the schema's patterns (digits, dots and hyphens), never from free text, so this is no door for a
formula of a document's author.

**Columns**, always in this order (``<lang>`` runs over the master language, then the translations
in the order the standard declares them):

``code, version, standing, part, [included_from,] level_id, level_name_<lang>…, direction_id,
direction_name_<lang>…, function_id, function_number, function_name_<lang>…, work_content_id,
work_content_number, work_content_name_<lang>…, group_id, group_number, group_name_<lang>…,
item_id, kind, number, text_<lang>…, permalink``

- ``standing`` is the version's standing on the day the file was made (``in-force``, ``upcoming``,
  ``superseded``, ``expired``, ``withdrawn``; docs/lifecycle.md), empty when made outside the
  catalog. The file is therefore cached per standing, like the PDF with its status stamp.
- ``part`` is ``basic`` (2 基本要求: 职业道德, 基础知识; for every level) or ``work`` (3 工作要求).
- ``included_from`` (the CSV of one level only): empty for the level's own items and the basic
  requirements, else the lower level whose requirements the level includes (docs: registry.levels).
- ``group_*`` name the part of the basic requirements an item belongs to: ``ethics.knowledge``
  (2.1.1 职业道德基本知识), ``ethics.code_of_conduct`` (2.1.2 职业守则) or a basic-knowledge group.
- ``kind`` is ``requirement`` (the third column, whatever its printed label: 技能要求,
  专业能力要求 or performance criteria), ``knowledge`` (相关知识要求, and the knowledge items of the
  basic requirements), ``conduct`` (an item of the code of conduct) or ``behaviour``.
- ``permalink`` is the item's address (``/standards/{code}/{version}/items/{id}``).
- Names and texts are given per language exactly as the document has them: a missing translation
  is an empty cell, never the master text, so a trainer can see what is not translated. Level
  names come from the level itself or from its scheme (the fixed schemes name levels in Chinese
  and English).
- Behaviours that apply to the whole occupation (top-level ``behaviours``) come last, with the
  level, direction, function and work-content columns empty.
- Rows follow the document: the basic requirements first, then the sections, functions, work
  contents, and in each work content the requirements, then the knowledge items, then the
  behaviours. The CSV of a level has the level's own tables, then those it includes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from ..documents import level_name_map
from ..vocabulary import PRINT_LABELS
from .info import DEFAULT_BASE_URL

__all__ = ["competency_matrix", "level_matrix", "columns", "rows", "neutralise", "as_text", "plain", "TEXT_COLUMNS"]

BOM = "\ufeff"
#: first characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: columns whose values a spreadsheet would turn into numbers or dates: written as ``="…"``
TEXT_COLUMNS = ("code", "version", "function_number", "work_content_number", "group_number", "number")
#: the parts of the basic requirements that are not basic-knowledge groups: (group id, printed number, label key)
ETHICS_GROUPS = (("ethics.knowledge", "2.1.1", "ethics_knowledge", "knowledge"),
                 ("ethics.code_of_conduct", "2.1.2", "code_of_conduct", "conduct"))


def languages(doc: dict) -> list[str]:
    """The master language, then the declared translations, in order."""
    master = doc["languages"]["master"]
    return [master] + [lang for lang in doc["languages"].get("translations", []) if lang != master]


def exactly_in(text: Any, lang: str, master: str) -> str:
    """The text in ``lang`` if the document has it in that language, else ``""`` (no fallback)."""
    if isinstance(text, dict):
        return str(text.get(lang, ""))
    if text is None:
        return ""
    return str(text) if lang == master else ""


def columns(doc: dict, *, level: bool = False) -> list[str]:
    """The header; ``level``: of the CSV of one level (with ``included_from``)."""
    langs = languages(doc)

    def per_language(prefix: str) -> list[str]:
        return [f"{prefix}_{lang}" for lang in langs]

    return (["code", "version", "standing", "part", *(["included_from"] if level else []), "level_id",
             *per_language("level_name"), "direction_id", *per_language("direction_name"), "function_id",
             "function_number", *per_language("function_name"), "work_content_id", "work_content_number",
             *per_language("work_content_name"), "group_id", "group_number", *per_language("group_name"),
             "item_id", "kind", "number", *per_language("text"), "permalink"])


def _level_names(doc: dict, level_id: str | None, langs: list[str]) -> list[str]:
    names = level_name_map(doc, level_id) if level_id else {}
    return [names.get(lang, "") for lang in langs]


def rows(doc: dict, *, code: str | None = None, version: str | None = None, base_url: str = DEFAULT_BASE_URL,
         sections: Iterable[tuple[dict, str]] | None = None, level: bool = False,
         standing: str = "") -> Iterator[list[str]]:
    """The data rows (without the header), as lists of plain (not yet neutralised) strings.
    ``sections``: (section, included from) pairs to write instead of every section (the CSV of a level);
    ``standing``: the version's standing on the day the file is made (``in-force``, ``superseded`` ...),
    so that a spreadsheet kept for years still says which text it was taken from."""
    langs = languages(doc)
    master = langs[0]
    code = code or doc["code"]
    version = version or doc["version"]
    functions = {f["id"]: f for f in doc["functions"]}
    directions = {d["id"]: d for d in doc.get("directions", [])}
    blank = ["" for _ in langs]
    permalink = f"{base_url.rstrip('/')}/standards/{code}/{version}/items/"

    def names(node: dict | None, key: str = "name") -> list[str]:
        return [exactly_in(node.get(key), lang, master) for lang in langs] if node else list(blank)

    def row(part: str, included: str, place: list[str], group: list[str], item: dict, kind: str) -> list[str]:
        return [code, version, standing, part, *([included] if level else []), *place, *group, item["id"], kind,
                item.get("number", ""), *names(item, "text"), permalink + item["id"]]

    no_place = ["", *blank, "", *blank, "", "", *blank, "", "", *blank]
    no_group = ["", "", *blank]
    basic = doc["basic_requirements"]
    for group_id, number, label_key, kind in ETHICS_GROUPS:
        group = [group_id, number, *(PRINT_LABELS[label_key].get(lang, "") for lang in langs)]
        for item in basic["ethics"].get(group_id.split(".", 1)[1], []):
            yield row("basic", "", no_place, group, item, kind)
    for knowledge_group in basic["basic_knowledge"]:
        group = [knowledge_group["id"], knowledge_group.get("number", ""), *names(knowledge_group, "title")]
        for item in knowledge_group["items"]:
            yield row("basic", "", no_place, group, item, "knowledge")
    chosen = sections if sections is not None else ((s, "") for s in doc["work_requirements"]["sections"])
    for section, included in chosen:
        level_id, direction_id = section["level"], section.get("direction")
        head = [level_id, *_level_names(doc, level_id, langs), direction_id or "",
                *names(directions.get(direction_id))]
        for block in section["functions"]:
            function = functions.get(block["function"], {"id": block["function"]})
            function_cells = [block["function"], block.get("number", ""), *names(function)]
            for content in block["work_contents"]:
                content_cells = [content["id"], content.get("number", ""), *names(content)]
                for kind, key in (("requirement", "requirements"), ("knowledge", "knowledge"),
                                  ("behaviour", "behaviours")):
                    for item in content.get(key, []):
                        yield row("work", included, [*head, *function_cells, *content_cells], no_group, item, kind)
    for item in doc.get("behaviours", []):
        yield row("work", "", no_place, no_group, item, "behaviour")


def neutralise(cell: str) -> str:
    """Prefix a cell that a spreadsheet would evaluate as a formula with an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def as_text(cell: str) -> str:
    """A value a spreadsheet must keep as text (``1.10``, ``1.1.1``), as the formula ``="1.10"``."""
    return '="' + cell.replace('"', '""') + '"' if cell else cell


def plain(cell: str) -> str:
    """A cell as its value: ``="1.10"`` -> ``1.10`` (for programs reading the file)."""
    return cell[2:-1].replace('""', '"') if cell.startswith('="') and cell.endswith('"') else cell


def write_rows(header: list[str], data: Iterable[list[str]]) -> bytes:
    """A CSV file of these conventions: BOM, CRLF, formulas neutralised, :data:`TEXT_COLUMNS` as text."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    text = [header.index(name) for name in TEXT_COLUMNS if name in header]
    for row in data:
        writer.writerow([as_text(cell) if i in text else neutralise(cell) for i, cell in enumerate(row)])
    return (BOM + out.getvalue()).encode("utf-8")


def competency_matrix(doc: dict, *, version_info: Any = None) -> bytes:
    """The matrix as bytes: UTF-8 with BOM, CRLF, header row first (see the module docstring).

    ``version_info`` (a :class:`registry.exports.VersionInfo`, or anything with ``code`` and
    ``version``) gives the catalog's code and version and the permalinks' address; without it the
    document's own are used.
    """
    return write_rows(columns(doc), rows(doc, **_facts(version_info)))


def _facts(version_info: Any) -> dict[str, Any]:
    """What the rows print of the catalog's facts: code, version, permalinks' address, standing."""
    return {"code": getattr(version_info, "code", None), "version": getattr(version_info, "version", None),
            "base_url": getattr(version_info, "base_url", DEFAULT_BASE_URL),
            "standing": getattr(version_info, "status", "") if version_info is not None else ""}


def level_matrix(doc: dict, scope: Any, *, version_info: Any = None) -> bytes:
    """The matrix of one level (``scope``, a :class:`registry.levels.Scope`): the basic requirements,
    the level's own tables, then the tables it includes, ``included_from`` naming their level."""
    from ..levels import level_view

    view = level_view(doc, scope.level, scope.direction)
    sections = [(t.section, t.level if t.included else "") for t in view.tables]
    return write_rows(columns(doc, level=True), rows(doc, sections=sections, level=True, **_facts(version_info)))
