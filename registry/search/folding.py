"""Folding text before analysis: width, compatibility forms and traditional characters.

Full-width forms become half-width and NFKC applies where it maps one character to one. Runs of CJK
characters that contain traditional characters are converted with OpenCC's ``tw2sp`` (Taiwan phrases
too: 軟體 → 软件, 資料庫 → 数据库). Runs already in simplified characters are left alone: ``tw2sp`` would
turn a mainland 程序 into 进程. When a phrase conversion changes the length, offsets are mapped back
through an alignment of the two texts, so highlighting stays right. (Hong Kong-only words written in
traditional characters get the character conversion and the Taiwan phrases, not Hong Kong's own
phrases; Taiwan words typed in simplified characters, such as 软体, are kept.) The OpenCC converters
are made on first use.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: a run of CJK characters (group 1) or of letters and digits (group 2)
RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_HAS_CJK = re.compile(f"[{_CJK}]")


class _FoldTable(dict):
    """str.translate table: one character to one character, computed on first sight."""

    def __missing__(self, code: int):
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        value = folded if len(folded) == 1 else char
        if value == "\u3000":
            value = " "
        self[code] = ord(value)
        return self[code]


#: ``str.translate`` table of the one-to-one folds (width, compatibility forms)
FOLD = _FoldTable()
_OPENCC_LOCK = threading.Lock()
_OPENCC: dict[str, Any] = {}
_T2S_CHARS: dict[str, str] = {}


def _opencc(config: str):
    converter = _OPENCC.get(config)
    if converter is None:
        with _OPENCC_LOCK:
            converter = _OPENCC.get(config)
            if converter is None:
                import opencc

                converter = _OPENCC[config] = opencc.OpenCC(config)
    return converter


def _char_t2s(char: str) -> str:
    single = _T2S_CHARS.get(char)
    if single is None:
        single = _opencc("t2s").convert(char)
        single = _T2S_CHARS[char] = single if len(single) == 1 else char
    return single


def _align(source: str, target: str, base: int) -> list[tuple[int, int]]:
    """For each character of ``target`` (``source`` converted), the span of ``source`` it comes from.

    Characters the two share line up one to one; a changed stretch (a phrase replaced, with at most
    single shared characters inside: 程式設計 → 编程) maps each of its characters to the whole stretch.
    """
    from difflib import SequenceMatcher

    basis = "".join(_char_t2s(c) for c in source)  # the same length as source
    ops = SequenceMatcher(None, basis, target, autojunk=False).get_opcodes()
    spans: list[tuple[int, int]] = []
    changed: tuple[int, int] | None = None  # where the current changed stretch starts (source, target)
    for n, (op, i1, i2, j1, j2) in enumerate(ops):
        if op != "equal" or (changed is not None and i2 - i1 < 2 and n + 1 < len(ops)):
            changed = changed or (i1, j1)
            continue
        if changed is not None:
            spans.extend([(base + changed[0], base + max(i1, changed[0] + 1))] * (j1 - changed[1]))
            changed = None
        spans.extend((base + i1 + k, base + i1 + k + 1) for k in range(j2 - j1))
    if changed is not None:
        spans.extend([(base + changed[0], base + max(len(source), changed[0] + 1))] * (len(target) - changed[1]))
    return spans


def fold_map(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """The folded text and, when folding changed its length, each folded character's span in ``text``."""
    text = text.translate(FOLD)
    if not _HAS_CJK.search(text) or _opencc("t2s").convert(text) == text:
        return text, None  # nothing traditional: the common case costs one conversion
    tw2sp = _opencc("tw2sp")
    parts, spans, cursor, resized = [], [], 0, False
    for match in _CJK_RUN.finditer(text):
        run = match.group(0)
        converted = tw2sp.convert(run) if _opencc("t2s").convert(run) != run else run
        if converted == run:
            continue
        start, end = match.span()
        parts.append(text[cursor:start])
        spans.extend((i, i + 1) for i in range(cursor, start))
        if len(converted) == len(run):
            spans.extend((i, i + 1) for i in range(start, end))
        else:
            resized = True
            spans.extend(_align(run, converted, start))
        parts.append(converted)
        cursor = end
    parts.append(text[cursor:])
    spans.extend((i, i + 1) for i in range(cursor, len(text)))
    return "".join(parts), spans if resized else None


def fold(text: str) -> str:
    """Fold width, compatibility forms and traditional characters (Taiwan phrases included)."""
    return fold_map(text)[0]


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None
