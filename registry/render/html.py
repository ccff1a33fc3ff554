"""HTML of a standard, faithful to the printed national standard.

The document (format 1.0) is turned into a small view model here, and the Jinja templates in
``registry/templates/print/`` lay it out: cover, 目次 (contents), 说明 (foreword), 1 职业概况,
2 基本要求, 3 工作要求 (one four-column table per level and direction, nested as the original
nests them), 4 权重表 and 5 附录, then a verification block.

Text is shown in the master language; when ``lang`` names a translation, each text is followed
by its translation where one exists, and by nothing where it does not (the master text is the
fallback). Headings and labels follow the same rule.

Safety: the Jinja environment autoescapes everything, and no document text ever reaches an
attribute that names a URL, a style or a CSS string. The only markup inserted unescaped is the
QR code SVG that segno generates from the verify URL and the CSS of this package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..documents import level_names, text_in
from ..exports.info import VersionInfo
from ..lifecycle import DRAFT_STANDING, EXPIRED, IN_FORCE, START_PUBLICATION, SUPERSEDED, UPCOMING, WITHDRAWN
from ..vocabulary import COLUMN_LABELS, STANDARD_TYPES
from ..vocabulary import PRINT_LABELS as LABELS
from . import STATIC_DIR, TEMPLATES_DIR, template_version
from . import fonts as _fonts

#: Base URL of the print assets inside a PDF render; only the render fetcher knows this origin.
ASSET_BASE = "https://print-assets.registry.invalid/print/"
STYLESHEETS = ("standard.css",)
#: Id of the last element of the body: its page number is the count of the body's pages.
END_OF_BODY = "end-of-body"
#: Longest withdrawal reason printed in the margin of every page (the full text is on the cover).
MARGIN_REASON_CHARS = 160

#: A run of characters with no line-break opportunity (no space; ideographs, kana and hangul break
#: anywhere by themselves) that is longer than any word or address of real text. The stylesheet
#: breaks such a run anywhere (``overflow-wrap: anywhere``), but WeasyPrint lays out each of those
#: breaks again from the start of the run: a 20,000-letter word in a narrow cell takes minutes.
UNBREAKABLE_RUN = re.compile(r"[^\s\u3040-\u9fff\uac00-\ud7af\uf900-\ufaff]{200,}")
#: In the PDF such a run gets a zero-width space every this many characters: invisible, not in
#: the PDF's text, and narrower than the narrowest column at the widest letter (W).
SOFT_BREAK_EVERY = 6


def soft_breaks(text: str) -> str:
    """``text`` with break opportunities inside runs of :data:`UNBREAKABLE_RUN` (PDF only)."""
    if len(text) < 200:
        return text

    def chunked(match: re.Match) -> str:
        run = match.group(0)
        return "\u200b".join(run[i:i + SOFT_BREAK_EVERY] for i in range(0, len(run), SOFT_BREAK_EVERY))

    return UNBREAKABLE_RUN.sub(chunked, text)

def label(key: str, lang: str) -> str:
    names = LABELS[key]
    return names.get(lang) or names["en"]


# --- the view model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class T:
    """A text to show: the master text and, when asked for and present, one translation."""

    master: str
    master_lang: str
    tr: str | None = None
    tr_lang: str | None = None

    def __str__(self) -> str:  # plain contexts (<title>, meta): the master text
        return self.master

    def __bool__(self) -> bool:
        return bool(self.master)


class Texts:
    """Makes :class:`T` values for one document and one display language."""

    def __init__(self, master: str, lang: str | None, languages: Iterable[str], breaks: bool = False):
        self.master = master
        self.lang = lang if lang and lang != master and lang in set(languages) else None
        self.breaks = breaks

    def plain(self, text: str) -> str:
        """Document text that is not a language map (codes, reasons), prepared like the others."""
        return soft_breaks(text) if self.breaks else text

    def __call__(self, text: Any) -> T | None:
        if text is None:
            return None
        master_text = self.plain(text_in(text, self.master, self.master))
        translated = None
        if self.lang and isinstance(text, dict):
            translated = self.plain(text.get(self.lang) or "") or None
        return T(master_text, self.master, translated, self.lang if translated else None)

    def fixed(self, key: str, **fmt: Any) -> T:
        """A label of :data:`LABELS` (formatted) in the master language and the display language."""
        master_text = label(key, self.master).format(**fmt)
        translated = label(key, self.lang).format(**fmt) if self.lang else None
        if translated == master_text:
            translated = None
        return T(master_text, self.master, translated, self.lang if translated else None)

    def vocab(self, names: dict | None, fallback: str) -> T:
        """A name from the fixed vocabularies (level names, column labels, standard types)."""
        if not names:
            return T(fallback, self.master)
        master_text = names.get(self.master) or names.get("en") or fallback
        translated = names.get(self.lang) if self.lang else None
        if translated == master_text:
            translated = None
        return T(master_text, self.master, translated, self.lang if translated else None)


def _level_text(doc: dict, texts: Texts, level_id: str) -> T:
    names = level_names(doc, level_id)
    return texts(names) if names is not None else T(level_id, texts.master)


class _Numbering:
    """Part numbers as printed: 1, 1.1, 1.9.1 …, assigned in order of appearance."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"{self.prefix}.{self.count}"


def _heading(number: str, title: T, anchor: str, level: int, front: bool = False) -> dict:
    """An entry of the contents; ``front``: in the front matter (its page number in Roman numerals)."""
    return {"number": number, "title": title, "anchor": anchor, "level": level, "front": front}


def build_view(doc: dict, *, lang: str | None, status_info: VersionInfo, for_pdf: bool = False) -> dict:
    """The view model of ``doc``: everything the templates show, in printed order.

    ``for_pdf``: overlong unbreakable runs of document text get :func:`soft_breaks`.
    """
    master = doc["languages"]["master"]
    texts = Texts(master, lang, [master, *doc["languages"].get("translations", [])], breaks=for_pdf)
    technical = doc["standard_type"] == "technical-skill" or doc["level_scheme"] == "technical-levels"
    column_label = doc["work_requirements"]["column_label"]
    levels = {level["id"]: _level_text(doc, texts, level["id"]) for level in doc["levels"]}
    level_order = [level["id"] for level in doc["levels"]]
    directions = {d["id"]: texts(d["name"]) for d in doc.get("directions", [])}
    direction_order = [d["id"] for d in doc.get("directions", [])]
    functions = {f["id"]: texts(f["name"]) for f in doc["functions"]}
    work_types = {w["id"]: texts(w["name"]) for w in doc.get("work_types", [])}
    toc: list[dict] = []

    def item(entry: dict) -> dict:
        return {"number": entry.get("number"), "text": texts(entry["text"])}

    # --- cover and foreword
    prov = doc["provenance"]
    status = status_info.status
    permalink = status_info.permalink
    successor_label = _successor_label(status_info, texts)
    reason = texts.plain((status_info.withdrawn_reason or "").strip()) if status == WITHDRAWN else ""
    notice = _status_notice(texts, status_info, successor_label, reason)
    notices = [{"number": n["number"], "date": n.get("date"), "role": texts.fixed(f"notice.{n['role']}")}
               for n in prov.get("notices", [])]
    crosswalks = []
    cw = doc.get("crosswalks", {})
    crosswalks += [("ISCO-08", code) for code in cw.get("isco08", [])]
    crosswalks += [(soc["system"], soc["code"]) for soc in cw.get("soc", [])]
    crosswalks += [("ESCO", uri) for uri in cw.get("esco", [])]
    crosswalks += [("NOS", nos["urn"] + (f" {text_in(nos['title'], master, master)}" if nos.get("title") else ""))
                   for nos in cw.get("nos", [])]
    crosswalks += [("RNCP", code) for code in cw.get("rncp", [])]
    crosswalks = [(system, texts.plain(value)) for system, value in crosswalks]

    foreword = {
        "document_status": texts.fixed(f"document_status.{prov['document_status']}"),
        "note": texts(prov.get("note")),
        "legal_basis": [texts(x) for x in prov.get("legal_basis", [])],
        "notices": notices,
        "revision": texts.fixed(f"revision.{prov['revision']}") if prov.get("revision") else None,
        "structure": texts.fixed("structure", appendix="{appendix}"),
        "levels": [levels[i] for i in level_order],
        "directions": [directions[i] for i in direction_order],
        "issuers": [texts(x) for x in prov["issuers"]],
        "guiding_bodies": [texts(x) for x in prov.get("guiding_bodies", [])],
        "drafting_bodies": [texts(x) for x in prov.get("drafting_bodies", [])],
        "reviewing_bodies": [texts(x) for x in prov.get("reviewing_bodies", [])],
        "markers": [texts.fixed(f"marker.{m}") for m in doc.get("markers", [])],
        "crosswalks": crosswalks,
        "keywords": [texts(k) for k in doc.get("keywords", [])],
        "aliases": [{"code": a["code"], "classification": a.get("classification"), "note": texts(a.get("note"))}
                    for a in doc.get("aliases", [])],
    }
    appendix_suffix = label("structure.appendix", master) if doc.get("appendix") else ""
    foreword["structure"] = T(
        label("structure", master).format(appendix=appendix_suffix), master,
        label("structure", texts.lang).format(appendix=label("structure.appendix", texts.lang) if doc.get("appendix")
                                              else "") if texts.lang else None,
        texts.lang)
    toc.append(_heading("", texts.fixed("foreword"), "foreword", 1, front=True))

    # --- 1 overview
    ov = doc["overview"]
    n1 = _Numbering("1")
    overview: list[dict] = []

    def add(kind: str, title_key: str, **values: Any) -> dict:
        entry = {"kind": kind, "number": n1.next(), "title": texts.fixed(title_key), **values}
        overview.append(entry)
        return entry

    add("text", "occupation_name", text=texts(doc["occupation"]))
    add("code", "occupation_code", code=doc["code"], aliases=foreword["aliases"])
    add("definition", "definition", text=texts(ov["definition"]),
        work_types=[work_types[w["id"]] for w in doc.get("work_types", [])])
    scheme_key = doc["level_scheme"] if doc["level_scheme"] in ("skill-grades", "technical-levels") else "custom"
    add("levels", f"levels.{scheme_key}", levels=[levels[i] for i in level_order],
        directions=[{"name": directions[d["id"]], "description": texts(d.get("description"))}
                    for d in doc.get("directions", [])])
    add("text", "environment", text=texts(ov["environment"]))
    add("text", "abilities", text=texts(ov["abilities"]))
    add("text", "education", text=texts(ov["education"]))
    hours = ov["training_hours"]
    add("hours", "training.technical" if technical else "training.skill",
        has_direction=any(h.get("direction") for h in hours),
        rows=[{"level": levels.get(h["level"], T(h["level"], master)),
               "direction": directions.get(h.get("direction")) if h.get("direction") else None,
               "hours": h["hours"], "note": texts(h.get("note"))} for h in hours])
    assessment = ov["assessment"]
    n19 = _Numbering(overview[-1]["number"].rsplit(".", 1)[0] + "." + str(n1.count + 1))
    sub = [{"number": n19.next(), "title": texts.fixed("eligibility"), "kind": "eligibility",
            "levels": [{"level": levels.get(e["level"], T(e["level"], master)),
                        "conditions": [texts(c) for c in e["conditions"]]} for e in ov["eligibility"]],
            "any_of": texts.fixed("any_of")}]
    sub.append({"number": n19.next(), "title": texts.fixed("method"), "kind": "method",
                "text": texts(assessment["method"]), "pass_mark": assessment.get("pass_mark"),
                "pass_mark_label": texts.fixed("pass_mark")})
    for key in ("ratio", "duration", "venue"):
        if assessment.get(key):
            sub.append({"number": n19.next(), "title": texts.fixed(key), "kind": "text",
                        "text": texts(assessment[key])})
    add("assessment", "assessment.technical" if technical else "assessment.skill", subsections=sub)
    toc.append(_heading("1", texts.fixed("overview"), "part-1", 1))

    # --- 2 basic requirements
    br = doc["basic_requirements"]
    ethics = br["ethics"]
    basic = {
        "ethics": {"knowledge": [item(x) for x in ethics.get("knowledge", [])],
                   "code_of_conduct": [item(x) for x in ethics.get("code_of_conduct", [])]},
        "groups": [{"number": g.get("number"), "title": texts(g["title"]), "entries": [item(x) for x in g["items"]]}
                   for g in br["basic_knowledge"]],
        "behaviours": [item(x) for x in doc.get("behaviours", [])],
    }
    toc.append(_heading("2", texts.fixed("basic"), "part-2", 1))

    # --- 3 work requirements
    wr = doc["work_requirements"]
    col3 = texts.vocab(COLUMN_LABELS.get(column_label), column_label)
    col4 = texts.fixed("knowledge.performance-criteria" if column_label == "performance-criteria" else "knowledge")
    toc.append(_heading("3", texts.fixed("work_requirements"), "part-3", 1))
    tables = _work_requirement_parts(wr, texts, levels, level_order, directions, direction_order, functions,
                                     work_types, item)
    for part in tables:
        toc.append(_heading(part["number"], part["title"], part["anchor"], 2))

    # --- 4 weights
    weights = {
        "theory": _weight_table(doc["weights"]["theory"], "theory", texts, levels, directions, functions,
                                level_order, direction_order),
        "skills": _weight_table(doc["weights"]["skills"], "skills", texts, levels, directions, functions,
                                level_order, direction_order),
        "theory_title": texts.fixed("theory_weights"),
        "skills_title": _skills_weights_title(col3, texts),
    }
    toc.append(_heading("4", texts.fixed("weights"), "part-4", 1))

    # --- 5 appendix
    appendix = [{"title": texts(a["title"]), "paragraphs": [texts(p) for p in a.get("paragraphs", [])],
                 "anchor": f"appendix-{i + 1}"} for i, a in enumerate(doc.get("appendix", []))]
    if appendix:
        toc.append(_heading("5", texts.fixed("appendix"), "part-5", 1))
    toc.append(_heading("", texts.fixed("verification"), "verification", 1))

    effective_from, effective_until = _dates(status_info, texts)
    return {
        "doc": doc,
        "master": master,
        "lang": texts.lang,
        "texts": texts,
        "L": texts.fixed,
        "code": doc["code"],
        "version": doc["version"],
        "edition": texts.fixed("edition", year=doc["edition"]),
        "title": texts(doc["title"]),
        "run_title": _truncate(text_in(doc["title"], master, master), 120),
        "occupation": texts(doc["occupation"]),
        "standard_type": texts.vocab(STANDARD_TYPES.get(doc["standard_type"]), doc["standard_type"]),
        "status": status,
        "status_label": texts.fixed(f"status.{status}"),
        "status_notice": notice,
        "is_draft": status == DRAFT_STANDING,
        "is_current": status == IN_FORCE,
        "withdrawn_reason": reason or None,
        "successor_label": successor_label,
        "successor_url": status_info.successor_url(),
        "effective_from": effective_from,
        "effective_until": effective_until,
        "issuers": foreword["issuers"],
        "foreword": foreword,
        "overview": overview,
        "basic": basic,
        "wr_preface": texts(wr.get("preface")),
        "parts3": tables,
        "col3": col3,
        "col4": col4,
        "weights": weights,
        "appendix": appendix,
        "toc": toc,
        "sha256": status_info.sha256,
        "permalink": permalink,
        "verify_url": status_info.verify_url,
        "attachment_name": f"{doc['code']}-{doc['version']}.yaml",
        "template_version": template_version(),
        "end_of_body": END_OF_BODY,
    }


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _skills_weights_title(col3: T, texts: Texts) -> T:
    """4.2 技能要求权重表 / 专业能力要求权重表: named after the third column."""
    def named(column: str, lang: str) -> str:
        return column + label("skill_weights", lang) if lang == "zh" else f"{column} {label('skill_weights', lang)}"

    translated = named(col3.tr, texts.lang) if col3.tr and texts.lang else None
    return T(named(col3.master, col3.master_lang), col3.master_lang, translated, texts.lang if translated else None)


def _successor_label(info: VersionInfo, texts: Texts) -> str | None:
    """"2-02-38-03 版本 1.1 (自2027-06-01起)": the version that supersedes this one, and from when."""
    if not info.successor_version:
        return None
    text = f"{info.code} {label('version', texts.master)} {info.successor_version}"
    if info.superseded_from:
        text += f" ({label('from_date', texts.master).format(date=info.superseded_from.isoformat())})"
    return text


def _dates(info: VersionInfo, texts: Texts) -> tuple[str | None, str | None]:
    """The first and last day in force as printed on the cover; never an invented date. A draft
    shows the date its document states, if any."""
    if info.is_draft:
        return (info.effective_from.isoformat() if info.effective_from else None), None
    if info.start_basis == START_PUBLICATION and info.effective_from:
        start = label("since_publication", texts.master).format(date=info.effective_from.isoformat())
    elif info.effective_from:
        start = info.effective_from.isoformat()
    else:
        start = label("not_stated", texts.master)
    return start, (info.effective_until.isoformat() if info.effective_until else None)


def _status_notice(texts: Texts, info: VersionInfo, successor_label: str | None, reason: str) -> dict | None:
    """The notice printed on every page of a version that is not in force (none when it is)."""
    status = info.status

    def notice(text_key: str, detail: str | None, url: str | None = None) -> dict:
        return {"kind": status, "label": texts.fixed(f"status.{status}"), "text": texts.fixed(text_key),
                "detail": detail, "url": url}

    if status == SUPERSEDED:
        if successor_label:
            return notice("superseded_by", successor_label, info.successor_url())
        return notice("superseded_no_successor", None)
    if status == UPCOMING:
        return notice("upcoming_notice", info.effective_from.isoformat() if info.effective_from else "—")
    if status == EXPIRED:
        return notice("expired_notice", info.effective_until.isoformat() if info.effective_until else "—")
    if status == WITHDRAWN:
        short = reason if len(reason) <= MARGIN_REASON_CHARS else reason[:MARGIN_REASON_CHARS - 1] + "…"
        return notice("withdrawn_reason", short or "—")
    if status == DRAFT_STANDING:
        return notice("draft_notice", f"rev. {info.draft_revision}" if info.draft_revision is not None else None)
    return None


def _work_requirement_parts(wr: dict, texts: Texts, levels: dict, level_order: list, directions: dict,
                            direction_order: list, functions: dict, work_types: dict, item) -> list[dict]:
    """Part 3 as printed: headings nested level → direction or direction → level, each with its table."""
    sections = wr["sections"]
    by_key = {(s["level"], s.get("direction")): s for s in sections}
    nesting = wr.get("nesting", "level-direction")
    uses_directions = any(s.get("direction") for s in sections)
    order_l = {lid: i for i, lid in enumerate(level_order)}
    order_d = {did: i for i, did in enumerate(direction_order)}

    def table(section: dict) -> dict:
        rows = []
        for fn in section["functions"]:
            for index, wc in enumerate(fn["work_contents"]):
                rows.append({
                    "first": index == 0,
                    "last": index == len(fn["work_contents"]) - 1,
                    "function_number": fn["number"],
                    "function": functions.get(fn["function"], T(fn["function"], texts.master)),
                    "number": wc["number"],
                    "name": texts(wc["name"]),
                    "work_types": [work_types.get(w, T(w, texts.master)) for w in wc.get("work_types", [])],
                    "requirements": [item(x) for x in wc["requirements"]],
                    "knowledge": [item(x) for x in wc["knowledge"]],
                    "behaviours": [item(x) for x in wc.get("behaviours", [])],
                })
        return {"preface": texts(section.get("preface")), "rows": rows}

    parts: list[dict] = []
    number = 0
    if not uses_directions:
        for section in sorted(sections, key=lambda s: order_l.get(s["level"], 99)):
            number += 1
            title = levels.get(section["level"], T(section["level"], texts.master))
            parts.append({"number": f"3.{number}", "title": title, "anchor": f"part-3-{number}",
                          "tables": [dict(table(section), subtitle=None, subnumber=None)]})
        return parts

    if nesting == "direction-level":
        outer_ids = [None] + direction_order
        outer_of = lambda s: s.get("direction")  # noqa: E731
        inner_sort = lambda s: order_l.get(s["level"], 99)  # noqa: E731
        outer_title = lambda o: directions[o]  # noqa: E731
        inner_title = lambda s: levels.get(s["level"], T(s["level"], texts.master))  # noqa: E731
    else:
        outer_ids = level_order
        outer_of = lambda s: s["level"]  # noqa: E731
        inner_sort = lambda s: -1 if s.get("direction") is None else order_d.get(s["direction"], 99)  # noqa: E731
        outer_title = lambda o: levels[o]  # noqa: E731
        inner_title = lambda s: directions.get(s.get("direction")) if s.get("direction") else None  # noqa: E731
    for outer in outer_ids:
        group = sorted((s for s in sections if outer_of(s) == outer), key=inner_sort)
        if not group:
            continue
        if outer is None:  # direction-level nesting: the tables common to every direction come first
            for section in group:
                number += 1
                parts.append({"number": f"3.{number}", "title": inner_title(section), "anchor": f"part-3-{number}",
                              "tables": [dict(table(section), subtitle=None, subnumber=None)]})
            continue
        number += 1
        sub = 0
        tables = []
        for section in group:
            title = inner_title(section)
            if title is None:
                tables.append(dict(table(section), subtitle=None, subnumber=None))
            else:
                sub += 1
                tables.append(dict(table(section), subtitle=title, subnumber=f"3.{number}.{sub}"))
        parts.append({"number": f"3.{number}", "title": outer_title(outer), "anchor": f"part-3-{number}",
                      "tables": tables})
    del by_key
    return parts


def _weight_table(columns: list[dict], kind: str, texts: Texts, levels: dict, directions: dict, functions: dict,
                  level_order: list, direction_order: list) -> dict:
    """A printed weight table: rows are the items, columns the levels (grouped by direction)."""
    order_l = {lid: i for i, lid in enumerate(level_order)}
    order_d = {did: i for i, did in enumerate(direction_order)}
    cols = sorted(columns, key=lambda c: (order_d.get(c.get("direction"), -1), order_l.get(c["level"], 99)))
    has_directions = any(c.get("direction") for c in cols)
    groups = []
    if has_directions:
        for col in cols:
            key = col.get("direction")
            if groups and groups[-1]["key"] == key:
                groups[-1]["span"] += 1
            else:
                groups.append({"key": key, "name": directions.get(key) if key else None, "span": 1})
    function_ids: list[str] = []
    for col in cols:
        for fid in col["functions"]:
            if fid not in function_ids:
                function_ids.append(fid)
    declared = list(functions)
    function_ids.sort(key=lambda f: declared.index(f) if f in declared else len(declared))

    def cell(value: Any) -> str:
        return "—" if value is None else str(value)

    rows = []
    if kind == "theory" and any("ethics" in c or "basic_knowledge" in c for c in cols):
        rows.append({"group": texts.fixed("basic"), "span": 2, "name": texts.fixed("ethics"),
                     "cells": [cell(c.get("ethics")) for c in cols]})
        rows.append({"group": None, "name": texts.fixed("basic_knowledge"),
                     "cells": [cell(c.get("basic_knowledge")) for c in cols]})
    group_label = texts.fixed("knowledge") if kind == "theory" else None
    for index, fid in enumerate(function_ids):
        rows.append({"group": group_label if index == 0 else None, "span": len(function_ids),
                     "name": functions.get(fid, T(fid, texts.master)),
                     "cells": [cell(c["functions"].get(fid)) for c in cols]})
    totals = [str(sum(v for v in ([c.get("ethics"), c.get("basic_knowledge")] + list(c["functions"].values()))
                      if isinstance(v, int))) for c in cols]
    return {
        "columns": [{"level": levels.get(c["level"], T(c["level"], texts.master)),
                     "direction": directions.get(c.get("direction")) if c.get("direction") else None} for c in cols],
        "groups": groups,
        "rows": rows,
        "totals": totals,
        "grouped_rows": kind == "theory",
    }


# --- the Jinja environment ---------------------------------------------------------------------


def _qr_svg(url: str, title: str | None = None) -> Markup:
    """An inline SVG QR code of ``url`` (segno's output, no external reference); ``title`` is its
    text alternative (the Alt of the figure in the tagged PDF)."""
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None,
                                                 dark="#000", title=title)
    return Markup(svg)  # noqa: S704 - segno's own SVG, the URL and title escaped by it


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["qr_svg"] = _qr_svg
    return env


@lru_cache(maxsize=8)
def _stylesheet(name: str) -> str:
    return (STATIC_DIR / name).read_text("utf-8")


def _page_css(view: dict) -> str:
    """Per-document page rules: only fixed labels of this module, never document text.

    The footer of the body's pages: "第 X 页 共 Y 页 · page X of Y", where the body's pages are
    counted from 1 (standard.css resets the page counter there) and Y is the page number of
    the body's last element (``#end-of-body``), not the count of every page with the cover.
    """
    master, lang = view["master"], view["lang"]
    page_of = label("page_of", master)
    if lang:
        page_of += " · " + label("page_of", lang)
    parts = []
    for chunk in page_of.replace("{page}", "\0page\0").replace("{pages}", "\0pages\0").split("\0"):
        if chunk == "page":
            parts.append("counter(page)")
        elif chunk == "pages":
            parts.append("target-counter(url(#%s), page)" % END_OF_BODY)
        elif chunk:
            parts.append(css_string(chunk))
    return "@page body { @bottom-right { content: %s; } }\n" % " ".join(parts)


def css_string(value: str) -> str:
    """A CSS string literal for a fixed label (escapes quotes, backslashes and line breaks)."""
    escaped = "".join(c if c.isalnum() or c in " .,:;·/()-—" or ord(c) > 0x2E7F else f"\\{ord(c):x} " for c in value)
    return f'"{escaped}"'


def default_lang(doc: dict) -> str | None:
    """The translation shown by default: English if the document has it, else its first one."""
    translations = doc["languages"].get("translations", [])
    return "en" if "en" in translations else (translations[0] if translations else None)


def render_html(doc: dict, *, lang: str | None = None, status_info: VersionInfo, standalone: bool = True,
                for_pdf: bool = False, asset_base: str = ASSET_BASE) -> str:
    """The HTML of ``doc``.

    ``lang``: the translation shown under each master text where it exists (the master text is
    the fallback); ``None`` picks :func:`default_lang`; the master language shows the master only.
    ``standalone``: the CSS is inlined and nothing is referenced, so the file opens offline.
    ``for_pdf``: the page layout for WeasyPrint (running header and footer, notices in the page
    margins, the prepared CJK font as ``@font-face`` under ``asset_base``).
    """
    view = build_view(doc, lang=default_lang(doc) if lang is None else lang, status_info=status_info, for_pdf=for_pdf)
    css = "\n".join(_stylesheet(name) for name in STYLESHEETS)
    if for_pdf:
        font_css = _fonts.font_face_css(asset_base)
    else:
        font_css = _fonts.font_stacks_css(prepared=False)
    html = environment().get_template("standard.html").render(
        **view,
        standalone=standalone or for_pdf,
        for_pdf=for_pdf,
        inline_css=Markup(css) if (standalone or for_pdf) else None,  # noqa: S704 - the package's stylesheets
        font_css=Markup(font_css),  # noqa: S704 - made from the fonts table
        page_css=Markup(_page_css(view)) if for_pdf else Markup(""),  # noqa: S704 - strings quoted by css_string
        stylesheet_urls=[asset_base + name for name in STYLESHEETS],
        qr=_qr_svg(view["verify_url"], f"{label('qr_code', view['master'])}: {view['verify_url']}"),
    )
    return languages_for_the_structure_tree(html) if for_pdf else html


def languages_for_the_structure_tree(html: str) -> str:
    """The HTML for the PDF: each ``lang`` inside the body becomes ``data-lang``.

    :mod:`registry.render.pdf_tags` puts that language in the PDF's structure tree (a translation
    is read in its language), and WeasyPrint lays the text out as the document's language: a
    ``lang`` on each translation would cost it about 10 % more layout time (Pango itemizes and
    shapes every run by language) for the same pages. Document text cannot hold `` lang="``: its
    quotes are escaped.
    """
    head, body_tag, body = html.partition("<body")
    return head + body_tag + body.replace(' lang="', ' data-lang="')
