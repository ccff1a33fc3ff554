"""The competency matrix: one CSV row per requirement, knowledge item and behaviour of a standard.

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

**Columns**, always in this order (``<lang>`` runs over the master language, then the translations
in the order the standard declares them):

``code, version, level_id, level_name_<lang>…, direction_id, direction_name_<lang>…,
function_id, function_number, function_name_<lang>…, work_content_id, work_content_number,
work_content_name_<lang>…, item_id, kind, number, text_<lang>…``

- ``kind`` is ``requirement`` (the third column, whatever its printed label: 技能要求,
  专业能力要求 or performance criteria), ``knowledge`` (相关知识要求) or ``behaviour``.
- Names and texts are given per language exactly as the document has them: a missing translation
  is an empty cell, never the master text, so a trainer can see what is not translated. Level
  names come from the level itself or from its scheme (the fixed schemes name levels in Chinese
  and English).
- Behaviours that apply to the whole occupation (top-level ``behaviours``) come last, with the
  level, direction, function and work-content columns empty.
- Rows follow the document: sections, then functions, work contents, and in each work content the
  requirements, then the knowledge items, then the behaviours.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from ..vocabulary import LEVEL_SCHEMES

__all__ = ["competency_matrix", "columns", "rows", "neutralise"]

BOM = "\ufeff"
#: first characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


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


def columns(doc: dict) -> list[str]:
    langs = languages(doc)

    def per_language(prefix: str) -> list[str]:
        return [f"{prefix}_{lang}" for lang in langs]

    return (["code", "version", "level_id", *per_language("level_name"), "direction_id",
             *per_language("direction_name"), "function_id", "function_number", *per_language("function_name"),
             "work_content_id", "work_content_number", *per_language("work_content_name"),
             "item_id", "kind", "number", *per_language("text")])


def _level_names(doc: dict, level_id: str | None, langs: list[str], master: str) -> list[str]:
    if level_id is None:
        return ["" for _ in langs]
    for level in doc["levels"]:
        if level["id"] == level_id and "name" in level:
            return [exactly_in(level["name"], lang, master) for lang in langs]
    scheme = LEVEL_SCHEMES.get(doc["level_scheme"], {}).get(level_id)
    if scheme:
        return [scheme.get(lang, "") for lang in langs]
    return ["" for _ in langs]


def rows(doc: dict, *, code: str | None = None, version: str | None = None) -> Iterator[list[str]]:
    """The data rows (without the header), as lists of plain (not yet neutralised) strings."""
    langs = languages(doc)
    master = langs[0]
    code = code or doc["code"]
    version = version or doc["version"]
    functions = {f["id"]: f for f in doc["functions"]}
    directions = {d["id"]: d for d in doc.get("directions", [])}
    blank = ["" for _ in langs]

    def names(node: dict | None, key: str = "name") -> list[str]:
        return [exactly_in(node.get(key), lang, master) for lang in langs] if node else list(blank)

    for section in doc["work_requirements"]["sections"]:
        level_id, direction_id = section["level"], section.get("direction")
        head = [code, version, level_id, *_level_names(doc, level_id, langs, master), direction_id or "",
                *names(directions.get(direction_id))]
        for block in section["functions"]:
            function = functions.get(block["function"], {"id": block["function"]})
            function_cells = [block["function"], block.get("number", ""), *names(function)]
            for content in block["work_contents"]:
                content_cells = [content["id"], content.get("number", ""), *names(content)]
                for kind, key in (("requirement", "requirements"), ("knowledge", "knowledge"),
                                  ("behaviour", "behaviours")):
                    for item in content.get(key, []):
                        yield [*head, *function_cells, *content_cells, item["id"], kind, item.get("number", ""),
                               *names(item, "text")]
    for item in doc.get("behaviours", []):
        yield [code, version, "", *blank, "", *blank, "", "", *blank, "", "", *blank, item["id"], "behaviour",
               item.get("number", ""), *names(item, "text")]


def neutralise(cell: str) -> str:
    """Prefix a cell that a spreadsheet would evaluate as a formula with an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def competency_matrix(doc: dict, *, version_info: Any = None) -> bytes:
    """The matrix as bytes: UTF-8 with BOM, CRLF, header row first (see the module docstring).

    ``version_info`` (a :class:`registry.exports.VersionInfo`, or anything with ``code`` and
    ``version``) gives the catalog's code and version; without it the document's own are used.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns(doc))
    code = getattr(version_info, "code", None)
    version = getattr(version_info, "version", None)
    for row in rows(doc, code=code, version=version):
        writer.writerow([neutralise(cell) for cell in row])
    return (BOM + out.getvalue()).encode("utf-8")
