"""Family *translation*: every text in every declared translation language, and none out of date.

The states come from :mod:`registry.translation_stamps`, which pages and exports use as well:
a translation is *missing*, *stale* (its stamp names another master text), *unstamped* (nothing
records what it translates) or *current*.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import translation_stamps as stamps
from ..vocabulary import LANGUAGE_NAMES, label
from .base import INFO, WARNING, LintContext, LintFinding, lint_rule

FAMILY = "translation"


def _states(ctx: LintContext) -> list[stamps.TranslationState]:
    if "translation_states" not in ctx.cache:
        ctx.cache["translation_states"] = stamps.translation_states(ctx.doc)
    return ctx.cache["translation_states"]


def _where(state: stamps.TranslationState) -> str:
    return f"{state.json_path}" + (f" ({state.item_id})" if state.item_id else "")


@lint_rule("translation-missing", family=FAMILY, severity=WARNING,
           summary="every text has its translation in each language of languages.translations",
           hint="translate the text (then run registry translations stamp), or remove the language from "
                "languages.translations")
def translation_missing(ctx: LintContext) -> Iterator[LintFinding]:
    for state in _states(ctx):
        if state.state == stamps.MISSING:
            yield LintFinding("translation-missing", state.path,
                              f"no {state.lang!r} translation of {_where(state)}")


@lint_rule("translation-stale", family=FAMILY, severity=WARNING,
           summary="a translation's stamp names the current master text (it was not made from an older one)",
           hint="update the translation to the new master text, then run registry translations stamp")
def translation_stale(ctx: LintContext) -> Iterator[LintFinding]:
    for state in _states(ctx):
        if state.state == stamps.STALE:
            note = ("; the translation was edited since: if it now says what the master says, run registry "
                    "translations stamp" if state.edited else "")
            yield LintFinding("translation-stale", state.path + (state.lang,),
                              f"the {state.lang!r} translation of {_where(state)} was made from an older master "
                              f"text{note}")


@lint_rule("translation-unstamped", family=FAMILY, severity=INFO,
           summary="translations record which master text they translate (one finding per language)",
           hint="check the translations, then run registry translations stamp FILE")
def translation_unstamped(ctx: LintContext) -> Iterator[LintFinding]:
    counts: dict[str, int] = {}
    for state in _states(ctx):
        if state.state == stamps.UNSTAMPED:
            counts[state.lang] = counts.get(state.lang, 0) + 1
    declared = ctx.doc["languages"].get("translations") or []
    for lang, count in counts.items():
        name = label(LANGUAGE_NAMES, lang, "en")
        yield LintFinding("translation-unstamped", ("languages", "translations", declared.index(lang)),
                          f"{count} {name} translation(s) carry no stamp: nothing records which master text they "
                          f"translate, so none can be shown as current")


@lint_rule("translation-stamp-orphan", family=FAMILY, severity=INFO,
           summary="every stamp in translated_from stamps a translation the object holds",
           hint="remove the stamp (registry translations stamp removes the ones that stamp nothing)")
def translation_stamp_orphan(ctx: LintContext) -> Iterator[LintFinding]:
    for path, why in stamps.orphan_stamps(ctx.doc):
        yield LintFinding("translation-stamp-orphan", path, f"this stamp stamps nothing: {why}")
