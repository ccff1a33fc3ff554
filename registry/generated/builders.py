"""The documents generated for one level (and direction) of a version, in one language.

* ``level``: the level sheet, everything a person at that level must know and do (the level view);
* ``job-description`` for HR: the occupation's definition, the level's duties (functions and work
  contents), the skills and knowledge it requires, its eligibility conditions as hiring requirements;
* ``assessment-checklist`` for assessors: one line per skill requirement of the level, weighted from the
  level's column of the skills weight table, with boxes to tick and lines to sign;
* ``training-plan`` for trainers: the level's work contents as modules, the level's reference training
  hours divided across them in proportion to the skills weights, the knowledge each module teaches.

Every document names its item permalinks (each item's ID leads to it), and prints the code, version,
the version's standing on the day it was made, the source's SHA-256 and where to verify it. Texts are in
the document's language where the standard has them, else in its master language.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..documents import level_name, text_in
from ..exports.info import VersionInfo
from ..levels import LevelTable, LevelView, directions_at
from ..vocabulary import COLUMN_LABELS, GENERATED_DOCUMENTS, LEVEL_LABELS, PRINT_LABELS, STANDING_NAMES, WEIGHT_TABLES
from .figures import figure, line_weights, module_hours, shown_weights
from .model import Bullets, Cell, Column, Facts, Generated, Heading, Paragraph, Part, Row, Signatures, Table, cell


class Words:
    """The fixed words and the document's texts in one language (the master language as the fallback)."""

    def __init__(self, doc: dict, lang: str):
        self.doc = doc
        self.lang = lang
        self.master = doc["languages"]["master"]

    def __call__(self, key: str, **values: Any) -> str:
        names = LEVEL_LABELS.get(key) or PRINT_LABELS.get(key) or GENERATED_DOCUMENTS.get(key) or {}
        text = names.get(self.lang) or names.get("en") or key
        return text.format(**values) if values else text

    def text(self, value: Any) -> str:
        return text_in(value, self.lang, self.master)

    def level(self, level_id: str) -> str:
        return level_name(self.doc, level_id, self.lang)

    def vocab(self, names: dict | None, fallback: str) -> str:
        return (names or {}).get(self.lang) or (names or {}).get("en") or fallback


class Context:
    """What every builder reads: the level's view, the version's facts, the words."""

    def __init__(self, view: LevelView, info: VersionInfo, lang: str):
        self.view = view
        self.doc = view.doc
        self.info = info
        self.w = Words(view.doc, lang)
        self.functions = {f["id"]: f for f in self.doc["functions"]}
        self.directions = {d["id"]: d for d in self.doc.get("directions") or []}
        column = self.doc["work_requirements"]["column_label"]
        self.column = self.w.vocab(COLUMN_LABELS.get(column), column)

    def link(self, item_id: str) -> str:
        return self.info.item_url(item_id)

    def item(self, entry: dict, prefix: str = "") -> Part:
        """An item: its number and text, leading to its permalink, its ID as the note."""
        number = entry.get("number")
        text = f"{number} {self.w.text(entry['text'])}" if number else self.w.text(entry["text"])
        return Part(prefix + text, self.link(entry["id"]), entry["id"])

    def function_name(self, block: dict) -> str:
        function = self.functions.get(block["function"])
        name = self.w.text(function["name"]) if function else block["function"]
        return f"{block['number']}. {name}" if block.get("number") else name

    def content_name(self, content: dict) -> str:
        name = self.w.text(content["name"])
        return f"{content['number']} {name}" if content.get("number") else name

    def scope_name(self, level: str | None = None) -> str:
        level = level or self.view.level
        name = self.w.level(level)
        direction = self.view.direction
        return f"{name} · {self.w.text(self.directions[direction]['name'])}" if direction else name

    def table_title(self, table: LevelTable) -> str:
        if not table.included:
            return self.w("own_requirements")
        return self.w("included_from", level=self.w.level(table.level))

    def standing(self) -> str:
        info = self.info
        state = info.status
        names = STANDING_NAMES.get(state) or PRINT_LABELS.get(f"status.{state}") or {}
        name = names.get(self.w.lang) or names.get("en") or state
        if info.successor_version:
            name += f" → {info.code} {self.w('version')} {info.successor_version}"
        if info.day is not None:
            return f"{self.w('standing_on', day=info.day.isoformat())}: {name}"
        return name

    def facts(self, kind: str) -> Facts:
        w, doc, info = self.w, self.doc, self.info
        pairs = [
            (w("occupation"), Part(f"{info.code} {w.text(doc['occupation'])}")),
            (w("level"), Part(self.scope_name(), info.level_url(self.view.scope.key))),
            (w("standard"), Part(w.text(doc["title"]))),
            (w("version"), Part(info.version, info.permalink)),
            (w("status"), Part(self.standing())),
        ]
        if kind != "level":
            pairs.append((w("item_links"), Part(info.item_url("<ID>"))))
        return Facts(tuple(pairs))

    def made(self, kind: str, blocks: list) -> Generated:
        w, info = self.w, self.info
        return Generated(kind=kind, lang=w.lang, title=w(kind), subject=f"{w.text(self.doc['occupation'])} · "
                         f"{self.scope_name()}", code=info.code, version=info.version, standing=self.standing(),
                         sha256=info.sha256, verify_url=info.verify_url, permalink=info.level_url(self.view.scope.key),
                         facts=self.facts(kind), blocks=blocks, verify_text=w("verify_generated"))


# --- the pieces several documents share ------------------------------------------------------------


def _inclusion(ctx: Context) -> Paragraph:
    view = ctx.view
    if not view.cumulative:
        return Paragraph(ctx.w("own_only"), "note")
    return Paragraph(ctx.w("includes"), "note")


def _eligibility(ctx: Context) -> Bullets:
    return Bullets(tuple(Part(ctx.w.text(c)) for c in ctx.view.eligibility) or (Part(ctx.w("not_stated")),))


def _hours_table(ctx: Context) -> Table:
    w = ctx.w
    rows = [Row((cell(ctx.scope_name()), cell(str(h["hours"])), cell(w.text(h.get("note")) if h.get("note") else "")))
            for h in ctx.view.hours]
    if not rows:
        rows = [Row((cell(ctx.scope_name()), cell(w("not_stated")), cell()))]
    return Table((Column(w("level"), 45), Column(w("hours"), 15, True), Column(w("note"), 40)), tuple(rows))


def _weights_table(ctx: Context, kind: str, column: dict | None) -> Table:
    w = ctx.w
    rows = []
    if column is not None:
        if kind == "theory":
            rows += [Row((cell(w("ethics")), cell(_figure(column.get("ethics"))))),
                     Row((cell(w("basic_knowledge")), cell(_figure(column.get("basic_knowledge")))))]
        for function_id, value in column.get("functions", {}).items():
            function = ctx.functions.get(function_id)
            rows.append(Row((cell(w.text(function["name"]) if function else function_id), cell(_figure(value)))))
        total = sum(v for v in [column.get("ethics"), column.get("basic_knowledge"), *column["functions"].values()]
                    if isinstance(v, int))
        rows.append(Row((cell(w("total")), cell(str(total))), total=True))
    else:
        rows.append(Row((cell(w("not_stated")), cell())))
    title = ctx.column + (PRINT_LABELS["skill_weights"].get(w.lang, "") if w.lang == "zh" else " weights") \
        if kind == "skills" else w.vocab(WEIGHT_TABLES["theory"], "theory")
    return Table((Column(title, 75), Column(w("weight_unit"), 25, True)), tuple(rows), "weights")


def _figure(value: int | None) -> str:
    return "—" if value is None else str(value)


def _requirement_table(ctx: Context, table: LevelTable) -> Table:
    """One table of work requirements: a row per work content, grouped by function."""
    w = ctx.w
    rows: list[Row] = []
    for block in table.section["functions"]:
        rows.append(Row((cell(ctx.function_name(block)), cell(), cell()), group=True))
        for content in block["work_contents"]:
            rows.append(Row((cell(ctx.content_name(content), ctx.link(content["id"]), content["id"]),
                             Cell(tuple(ctx.item(x) for x in content.get("requirements", []))),
                             Cell(tuple(ctx.item(x) for x in content.get("knowledge", []))))))
    knowledge = w("knowledge.performance-criteria") if ctx.doc["work_requirements"]["column_label"] == \
        "performance-criteria" else PRINT_LABELS["knowledge"].get(w.lang) or PRINT_LABELS["knowledge"]["en"]
    return Table((Column(w("work_content"), 22), Column(ctx.column, 42), Column(knowledge, 36)), tuple(rows), "wr")


def _basic(ctx: Context) -> list:
    w, basic = ctx.w, ctx.doc["basic_requirements"]
    blocks: list = [Heading(w("basic")), Paragraph(w("basic_note"), "note"),
                    Heading(w("ethics_knowledge"), 3),
                    Bullets(tuple(ctx.item(x) for x in basic["ethics"].get("knowledge", []))),
                    Heading(w("code_of_conduct"), 3),
                    Bullets(tuple(ctx.item(x) for x in basic["ethics"].get("code_of_conduct", [])))]
    for group in basic["basic_knowledge"]:
        title = w.text(group["title"])
        blocks += [Heading(f"{group['number']} {title}" if group.get("number") else title, 3),
                   Bullets(tuple(ctx.item(x) for x in group["items"]))]
    return blocks


# --- the documents ------------------------------------------------------------------------------------


def level_sheet(ctx: Context) -> Generated:
    w, view = ctx.w, ctx.view
    blocks: list = [_inclusion(ctx), Heading(w("training.skill")), _hours_table(ctx),
                    Heading(w("eligibility")), _eligibility(ctx)]
    for table in view.tables:
        blocks += [Heading(ctx.table_title(table)), _requirement_table(ctx, table)]
    blocks += _basic(ctx)
    blocks += [Heading(w("weights")), _weights_table(ctx, "theory", view.theory),
               _weights_table(ctx, "skills", view.skills)]
    return ctx.made("level", blocks)


def _listed(ctx: Context, key: str) -> Table:
    """The level's items of one column (requirements or knowledge), its own first, then the included ones."""
    w = ctx.w
    rows: list[Row] = []
    for table in ctx.view.tables:
        if table.included:
            rows.append(Row((cell(ctx.table_title(table)), cell()), group=True))
        for _block, content in table.work_contents():
            for entry in content.get(key, []):
                part = ctx.item(entry)
                rows.append(Row((cell(entry.get("number") or ""),
                                 Cell((Part(w.text(entry["text"]), part.link, entry["id"]),)))))
    label = ctx.column if key == "requirements" else w("knowledge")
    return Table((Column(w("no"), 10), Column(label, 90)), tuple(rows), "list")


def job_description(ctx: Context) -> Generated:
    w, doc, view = ctx.w, ctx.doc, ctx.view
    overview = doc["overview"]
    duties: list[Row] = []
    for table in view.tables:
        mark = w("included_mark", level=w.level(table.level)) if table.included else ""
        for block in table.section["functions"]:
            duties.append(Row((cell(ctx.function_name(block) + (f" {mark}" if mark else "")),
                               Cell(tuple(Part(ctx.content_name(c), ctx.link(c["id"]), c["id"])
                                          for c in block["work_contents"])))))
    hiring = [Paragraph(w("hiring_note")), _eligibility(ctx)]
    for key in ("education", "abilities"):
        if overview.get(key):
            hiring += [Heading(w(key), 3), Paragraph(w.text(overview[key]))]
    blocks: list = [
        Heading(w("definition")), Paragraph(w.text(overview["definition"])), _inclusion(ctx),
        Heading(w("duties")),
        Table((Column(w("function"), 34), Column(w("work_content"), 66)), tuple(duties), "duties"),
        Heading(w("skills")), _listed(ctx, "requirements"),
        Heading(w("knowledge")), _listed(ctx, "knowledge"),
        Paragraph(w("basic_note"), "note"),
        Bullets(tuple(Part(w.text(g["title"]), ctx.link(g["id"]), g["id"]) for g in doc["basic_requirements"]
                      ["basic_knowledge"])),
        Heading(w("hiring")), *hiring,
    ]
    return ctx.made("job-description", blocks)


def checklist_lines(view: LevelView) -> list[tuple[dict, dict, dict, Fraction]]:
    """(function block, work content, requirement, exact weight) of every line of the level's checklist:
    its own skill requirements, in printed order."""
    lines = [(block, content, item) for _table, block, content, item in view.requirements()]
    exact = line_weights([(item["id"], block["function"]) for block, _c, item in lines], view.skills)
    return [(block, content, item, exact[item["id"]]) for block, content, item in lines]


def assessment_checklist(ctx: Context) -> Generated:
    w = ctx.w
    lines = checklist_lines(ctx.view)
    shown = shown_weights({item["id"]: weight for _b, _c, item, weight in lines})
    rows: list[Row] = []
    last_block = None
    for block, _content, item, _weight in lines:
        if block is not last_block:
            value = (ctx.view.skills or {}).get("functions", {}).get(block["function"])
            rows.append(Row((cell(ctx.function_name(block) + f" ({_figure(value)}%)" if ctx.view.skills else
                                  ctx.function_name(block)), cell(), cell(), cell(), cell(), cell()), group=True))
            last_block = block
        rows.append(Row((cell(item.get("number") or ""), Cell((Part(w.text(item["text"]), ctx.link(item["id"]),
                                                                    item["id"]),)),
                         cell(figure(shown[item["id"]])), Cell(box=True), Cell(box=True), cell())))
    total = sum(shown.values(), Fraction(0))
    rows.append(Row((cell(), cell(w("total")), cell(figure(total)), cell(), cell(), cell()), total=True))
    table = Table((Column(w("no"), 8), Column(ctx.column, 46), Column(w("weight"), 11, True), Column(w("met"), 8),
                   Column(w("not_met"), 9), Column(w("remarks"), 18)), tuple(rows), "checklist")
    note = w("checklist_note", column=ctx.column, table=_skills_table_name(ctx))
    blocks: list = [Paragraph(note, "note"), Signatures((w("candidate"),)), table,
                    Signatures((w("result"), w("assessor"), w("date")))]
    return ctx.made("assessment-checklist", blocks)


def _skills_table_name(ctx: Context) -> str:
    return ctx.column + (PRINT_LABELS["skill_weights"]["zh"] if ctx.w.lang == "zh" else " weights")


def plan_modules(view: LevelView) -> list[tuple[dict, dict, int | None]]:
    """(function block, work content, hours) of every module of the level's training plan, in printed
    order; hours are None when the standard states no training hours for the level."""
    lines = checklist_lines(view)
    weights: dict[str, Fraction] = {}
    modules: list[tuple[dict, dict]] = []
    for _table, block, content in ((t, b, c) for t in view.own for b, c in t.work_contents()):
        modules.append((block, content))
        weights[content["id"]] = Fraction(0)
    for _block, content, _item, weight in lines:
        weights[content["id"]] += weight
    hours = module_hours(weights, view.total_hours) if view.total_hours is not None else {}
    return [(block, content, hours.get(content["id"])) for block, content in modules]


def training_plan(ctx: Context) -> Generated:
    w, view = ctx.w, ctx.view
    modules = plan_modules(view)
    rows: list[Row] = []
    last_block = None
    for block, content, hours in modules:
        if block is not last_block:
            rows.append(Row((cell(ctx.function_name(block)), cell(), cell(), cell()), group=True))
            last_block = block
        rows.append(Row((cell(ctx.content_name(content), ctx.link(content["id"]), content["id"]),
                         Cell(tuple(ctx.item(x) for x in content.get("requirements", []))),
                         Cell(tuple(ctx.item(x) for x in content.get("knowledge", []))),
                         cell("" if hours is None else str(hours)))))
    total = view.total_hours
    rows.append(Row((cell(w("total")), cell(), cell(), cell("" if total is None else str(total))), total=True))
    blocks: list = [Paragraph(w("plan_note", hours=total, table=_skills_table_name(ctx)) if total is not None
                              else w("plan_no_hours"), "note")]
    if view.lower_levels:
        blocks += [Heading(w("prerequisites")), Paragraph(w("prerequisites_note")),
                   Bullets(tuple(Part(w.level(level), ctx.info.level_url(_scope_key(ctx.doc, level, view.direction)))
                                 for level in view.lower_levels))]
    blocks += [Heading(w("modules")),
               Table((Column(w("module"), 20), Column(ctx.column, 36), Column(w("teaches"), 34),
                      Column(w("hours"), 10, True)), tuple(rows), "plan")]
    return ctx.made("training-plan", blocks)


def _scope_key(doc: dict, level: str, direction: str | None) -> str:
    """A lower level's page: of the same direction where that level has it."""
    return f"{level}/{direction}" if direction and direction in directions_at(doc, level) else level


BUILDERS = {"level": level_sheet, "job-description": job_description, "assessment-checklist": assessment_checklist,
            "training-plan": training_plan}
