"""Family *wording*: a requirement states an observable ability.

In Chinese a requirement starts with 能 / 能够 / 会 ("can"), in English with "Can …" or an
imperative verb (UK NOS performance criteria: "identify the stakeholders …"), never with a bare
noun phrase ("传感器选型知识", "Sensor selection"). A standard may declare its own openings per
language in ``work_requirements.ability_verbs``; they replace the defaults for that language.
Verbs that state knowledge rather than an ability someone can watch (了解, 理解, 熟悉, 掌握;
understand, know) are flagged too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from .base import WARNING, LintContext, LintFinding, lint_rule
from .walk import requirements, texts_in

FAMILY = "wording"

#: default openings of a requirement, per language (a declared ability_verbs list replaces them)
DEFAULT_OPENINGS: dict[str, tuple[str, ...]] = {
    "zh": ("能够", "能", "会"),
    "en": ("can", "is able to", "are able to", "be able to", "able to"),
}
#: words that start with an opening but are nouns: 能源 (energy), 会议 (meeting) …
ZH_NOUNS = ("能源", "能耗", "能力", "能量", "能效", "能级", "能手",
            "会议", "会计", "会员", "会话", "会签", "会商", "会展", "会谈", "会务", "会所", "会场")
#: … unless the next word is a verb: 能量化 is 能 + 量化 (can quantify), 会计算 is 会 + 计算 (can calculate)
ZH_VERB_AFTER = ("能量化", "会计算", "会议定")
#: verbs of knowing, not of doing: nobody can watch someone "understand"
ZH_KNOWING = ("了解", "理解", "熟悉", "掌握", "知道", "懂得", "明白", "领会", "知晓")
EN_KNOWING = ("understand", "know", "be aware", "appreciate", "be familiar", "comprehend", "grasp", "learn about")
#: imperative verbs accepted at the start of an English requirement (performance criteria style)
EN_VERBS = frozenset("""
accept access adapt add adjust administer advise agree allocate analyse analyze annotate anticipate apply appraise
approve arrange assemble assess assign assist audit automate back balance build calculate calibrate capture carry
categorise categorize change check choose clarify classify clean close code collaborate collect combine commission
communicate compare compile complete comply compose compute conduct configure confirm connect consult contribute
control convert coordinate correct create customise customize debug decide decommission define delegate deliver
demonstrate deploy describe design detect determine develop diagnose direct discuss dismantle dispose distinguish
document draft draw edit educate eliminate encrypt enforce ensure enter establish estimate evaluate examine execute
explain export extract fill filter finalise finalize fit follow forecast formulate gather generate give guide handle
harden identify implement improve import inform inspect install instruct integrate interpret interview investigate
keep label lead liaise list load locate log maintain manage map measure mentor merge migrate minimise minimize model
modify monitor negotiate notify observe obtain operate optimise optimize order organise organize outline oversee
pack perform plan prepare present prevent prioritise prioritize process procure produce program programme promote
propose protect provide publish purchase read recognise recognize recommend reconcile record recover reduce refer
register remove repair replace report represent request research resolve respond restore retrieve review revise run
schedule search secure select set share simulate solve sort source specify store structure submit summarise
summarize supervise supply support survey take teach test trace track train transcribe transfer translate transmit
troubleshoot tune update upgrade use validate verify visualise visualize weld work write
""".split())
#: languages written without spaces between words: openings are matched as character prefixes
CHARACTER_LANGUAGES = ("zh", "ja")
_LEADING = re.compile(r"^[\s\"'“‘「『（(]+")


def openings(ctx: LintContext) -> dict[str, tuple[str, ...]]:
    """The openings in force: the declared ones per language, else the defaults."""
    declared = ctx.doc["work_requirements"].get("ability_verbs") or {}
    merged = dict(DEFAULT_OPENINGS)
    for lang, words in declared.items():
        merged[lang] = tuple(sorted((w.strip() for w in words), key=len, reverse=True))
    return merged


def _zh_opening(text: str, allowed: tuple[str, ...], declared: bool) -> str | None:
    """The opening the Chinese text starts with (after an optional leading condition clause)."""
    clauses = [text]
    comma = text.find("，")
    if 0 < comma <= 24:  # "在教师指导下，能…": a short condition before the ability
        clauses.append(text[comma + 1:])
    for clause in clauses:
        for word in sorted(allowed, key=len, reverse=True):
            if clause.startswith(word):
                if (not declared and clause.startswith(ZH_NOUNS)
                        and not clause.startswith(ZH_VERB_AFTER) and len(word) == 1):
                    continue
                return word
    return None


def _en_words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", text.lower())


def _en_opening(text: str, allowed: tuple[str, ...], declared: bool) -> str | None:
    words = _en_words(text)
    joined = " ".join(words)
    for phrase in allowed:
        phrase = phrase.lower()
        if joined == phrase or joined.startswith(phrase + " "):
            return phrase
    if not declared and words and words[0] in EN_VERBS and (len(words) < 2 or words[1] != "of"):
        return words[0]  # an imperative: "identify the stakeholders", but not "use of tools"
    return None


def _checked_texts(ctx: LintContext) -> Iterator[tuple[object, str, str, str | None]]:
    """(requirement, language, text, opening found or None) for every requirement text the rules can read."""
    allowed = openings(ctx)
    declared = ctx.doc["work_requirements"].get("ability_verbs") or {}
    for req in requirements(ctx.doc):
        for lang, text in texts_in(req.text, ctx.master):
            base = lang.split("-")[0]
            if lang not in allowed and base not in allowed:
                continue
            words = allowed.get(lang) or allowed.get(base) or ()
            clean = _LEADING.sub("", unicodedata.normalize("NFKC", text))
            is_declared = lang in declared or base in declared
            check = _zh_opening if base in CHARACTER_LANGUAGES else _en_opening
            yield req, lang, clean, check(clean, words, is_declared)


def _quote(text: str, limit: int = 40) -> str:
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


@lint_rule("ability-wording", family=FAMILY, severity=WARNING,
           summary="a requirement starts with an ability (能 / 能够 / 会, 'Can …' or an imperative verb), "
                   "not a noun phrase",
           hint="start with 能 (能够, 会) and an action verb, in English 'Can …' or an imperative; or declare "
                "the standard's openings in work_requirements.ability_verbs")
def ability_wording(ctx: LintContext) -> Iterator[LintFinding]:
    allowed = openings(ctx)
    for req, lang, text, found in _checked_texts(ctx):
        if found is not None:
            continue
        knowing = _knowing_start(text, lang)
        if knowing:
            what = f"states knowledge ({knowing}), not an ability someone can observe"
        else:
            base = lang.split("-")[0]
            declared = ctx.doc["work_requirements"].get("ability_verbs") or {}
            words = allowed.get(lang) or allowed.get(base) or ()
            plain = base in CHARACTER_LANGUAGES or lang in declared or base in declared
            what = "does not start with " + (" / ".join(words) if plain else "'Can …' or an imperative verb")
        yield LintFinding("ability-wording", req.path + ("text",) + ((lang,) if isinstance(req.text, dict) else ()),
                          f"requirement {req.item_id} ({lang}) {what}: {_quote(text)}")


def _knowing_start(text: str, lang: str) -> str | None:
    if lang.startswith("zh"):
        return next((w for w in ZH_KNOWING if text.startswith(w)), None)
    joined = " ".join(_en_words(text))
    return next((w for w in EN_KNOWING if joined.startswith(w)), None)


@lint_rule("ability-unobservable", family=FAMILY, severity=WARNING,
           summary="a requirement names an ability that can be observed, not knowing (能理解, 'Can understand')",
           hint="say what the person does that shows it (能说明…, 能解释…, 'Can explain …'); "
                "knowing belongs in the knowledge column")
def ability_unobservable(ctx: LintContext) -> Iterator[LintFinding]:
    for req, lang, text, found in _checked_texts(ctx):
        if found is None:
            continue
        if lang.startswith("zh"):
            rest = text.split(found, 1)[1] if found in text else text
            verb = next((w for w in ZH_KNOWING if rest.startswith(w)), None)
        else:
            joined = " ".join(_en_words(text))
            rest = joined[len(found):].strip() if joined.startswith(found) else ""
            verb = next((w for w in EN_KNOWING if rest.startswith(w)), None)
        if verb:
            yield LintFinding("ability-unobservable",
                              req.path + ("text",) + ((lang,) if isinstance(req.text, dict) else ()),
                              f"requirement {req.item_id} ({lang}) states knowing ({verb}), which nobody can "
                              f"observe: {_quote(text)}")
