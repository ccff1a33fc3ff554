"""Hits as they are answered: the stored fields of a matched document, in the language shown, with
the query's terms highlighted in a snippet.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .analysis import STEMMER, analyze
from .documents import field_lang
from .request import SearchRequest

#: the longest snippet, in characters (a window around the first match)
SNIPPET_CHARS = 160


def snippet(text: str, lang: str, terms: dict[str, set[str]]) -> str:
    """HTML: the text (or a window of it) escaped, with the query's terms in <mark>."""
    spans = []
    for term, _, start, end in analyze(text, STEMMER):
        if term in terms["latin"] or term in terms["cjk"]:
            spans.append((start, end))
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    begin, finish = 0, len(text)
    if len(text) > SNIPPET_CHARS:
        anchor = merged[0][0] if merged else 0
        begin = max(0, min(anchor - SNIPPET_CHARS // 4, len(text) - SNIPPET_CHARS))
        finish = begin + SNIPPET_CHARS
    out, cursor = [], begin
    for start, end in merged:
        if end <= begin or start >= finish:
            continue
        start, end = max(start, begin), min(end, finish)
        out.append(html.escape(text[cursor:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        cursor = end
    out.append(html.escape(text[cursor:finish]))
    return ("…" if begin > 0 else "") + "".join(out) + ("…" if finish < len(text) else "")


def display_language(request: SearchRequest, scripts: set[str]) -> str:
    """The language hits are shown in: the ``lang`` filter's, else the one asked for, else the query's
    script's (``scripts``: "cjk" and/or "latin")."""
    lang = request.filters.get("lang")
    if lang or request.display_lang:
        return lang or request.display_lang  # type: ignore[return-value]
    if scripts == {"cjk"}:
        return "zh"
    if scripts == {"latin"}:
        return "en"
    return ""  # mixed or no words: the master language


def _pick(texts: dict[str, str], lang: str, master: str) -> tuple[str, str]:
    if not texts:
        return "", master
    for candidate in (lang, master):
        if candidate and texts.get(candidate):
            return texts[candidate], candidate
    for key, value in texts.items():
        if lang and field_lang(key) == field_lang(lang):
            return value, key
    key = next(iter(texts))
    return texts[key], key


def hit(fields: dict[str, Any], score: float, lang: str, terms: dict[str, set[str]]) -> dict[str, Any]:
    """A hit as the API answers it, from a document's stored fields, shown in ``lang``, ``terms`` highlighted."""
    data = json.loads(fields["data"])
    master = data.get("master", "zh")
    kind = fields["kind"]
    text, text_lang = _pick(data.get("text", {}), lang, master)
    title, _ = _pick(data.get("title", {}), lang or text_lang, master)
    common = {"code": fields["code"], "version": fields["version"], "title": title, "kind": kind, "lang": text_lang,
              "text": text, "score": score, "status": data.get("status"), "draft_id": data.get("draft_id"),
              "sector": data.get("sector")}
    if kind == "standard":
        occupation, _ = _pick(data.get("occupation", {}), lang or text_lang, master)
        shown = title + ("\n" + text if text else "")
        return {**common, "occupation": occupation, "part": None, "group": None, "level": None, "direction": None,
                "function": None, "function_id": None, "work_content": None, "work_content_id": None,
                "item_id": None, "number": None, "snippet": snippet(shown if text else title, text_lang, terms)}
    function, _ = _pick(data.get("function", {}), text_lang, master)
    work_content, _ = _pick(data.get("work_content", {}), text_lang, master)
    group, _ = _pick(data.get("group") or {}, text_lang, master)
    return {**common, "part": data.get("part", "work"), "group": group or None, "level": data.get("level") or None,
            "level_name": _pick(data.get("level_name", {}), text_lang, master)[0] or None,
            "direction": data.get("direction") or None, "function": function or None,
            "function_id": data.get("function_id"), "work_content": work_content or None,
            "work_content_id": data.get("work_content_id"), "item_id": data.get("item_id"),
            "number": data.get("number"),
            "snippet": _item_snippet(text, text_lang, terms, work_content, function, group)}


def _item_snippet(text: str, lang: str, terms: dict[str, set[str]], *context: str) -> str:
    """The item's text highlighted; when only its context (work content, function, group) matched, that
    name first."""
    shown = snippet(text, lang, terms)
    if "<mark>" in shown:
        return shown
    for name in context:
        if name:
            marked = snippet(name, lang, terms)
            if "<mark>" in marked:
                return f"{marked} · {shown}"
    return shown
