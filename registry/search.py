"""Full-text search over published standards: the only module that imports Whoosh and jieba.

Callers see a small interface that does not mention the engine: :class:`SearchIndex` with
``index_version``, ``remove_version``, ``catch_up``, ``rebuild`` and ``search``, plain records in
(:class:`VersionRecord`) and plain dicts out (:class:`SearchResult`). The index is a rebuildable
cache of the catalog; the catalog's change log is the one source of truth.

Text analysis
    One tokenizer for every text field (:class:`MixedTokenizer`). Text is first folded without
    changing its length (full-width to half-width, NFKC where it maps one character to one, and
    traditional to simplified Chinese with OpenCC), so offsets stay valid for highlighting. Runs of
    CJK characters are segmented by jieba (default mode, no HMM, so the same text always gives the
    same words; the dictionary is a memory-mapped trie rather than a 500,000-entry dict in every
    process), and jieba's search-mode sub-words are emitted *at the position of the word they come
    from*, so phrase queries over default-mode words still line up. Runs of Latin letters and digits
    are lower-cased and stemmed by Snowball (PyStemmer: ``calibrate`` and ``calibrated`` give the
    same stem, which Whoosh's own stemmer does not), one position per word. Every language of an
    item goes into one ``body`` field (Chinese words and English stems cannot collide), followed by
    its function and work content names at a lower weight; a standard's title, occupation and
    keywords go into ``title``. One field per role keeps each query word to one or two posting
    lists, which is what Whoosh's per-document Python loop costs.

Several processes
    Writers take an ``fcntl`` lock file (one writer at a time across processes; the OS drops it when
    a process dies). Whoosh commits by writing a new table of contents atomically, so readers only
    ever open a complete generation. The index records the last change-log ``seq`` it applied in a
    meta document committed together with the changes. A rebuild writes a fresh directory and swaps
    the ``current`` symlink atomically; the previous generation is kept for readers still using it.
"""

from __future__ import annotations

import array
import fcntl
import gc
import hashlib
import html
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

from whoosh import columns as wcolumns
from whoosh import fields as wfields
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.collectors import TopCollector
from whoosh.filedb.filestore import RamStorage
from whoosh.matching import AndNotMatcher
from whoosh.reading import MultiReader
from whoosh.searching import Searcher

from .errors import BadRequest, ServiceUnavailable

log = logging.getLogger(__name__)

#: Bump when the schema, the analyzers or the document mapping change: older indexes are rebuilt.
FORMAT_VERSION = 4
INDEX_NAME = "MAIN"
META_ID = "__meta__"

#: Query limits (threats.md §31, §32)
MAX_QUERY_CHARS = 256
MAX_QUERY_TERMS = 32
MAX_QUERY_DEPTH = 8
MAX_EXPANSIONS = 64
MIN_PREFIX_CHARS = 3
MIN_CJK_PREFIX_CHARS = 2
MAX_FUZZY_DISTANCE = 2
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 1000
QUERY_TIME_LIMIT = 2.0

KINDS = ("requirement", "knowledge", "standard")
FACETS = ("sector", "level", "direction", "occupation", "kind", "type")

#: the stemmer of Latin-script words, in every language (the same at index and query time)
STEMMER = "english"
#: languages with a code of their own in the ``lang`` field; others are "xx"
LANGUAGES = ("zh", "en", "fr")
#: weight of a function or work content name relative to the item's own text
CONTEXT_WEIGHT = 0.4
#: separates an item's text from its context names in the ``body`` field
CONTEXT_MARK = "\x1e"

#: words too common to index (kept short: "it" and "us" are domain words here)
STOP_WORDS = {
    "english": frozenset("a an and are as at be by can for from has have if in into is its of on or such "
                         "that the their these this those to was were which will with".split()),
    "french": frozenset("au aux avec ce ces dans de des du elle en est et il la le les leur par pour qui que "
                        "sa se ses son sur un une".split()),
}


# --- records passed in and out ------------------------------------------------------------------


@dataclass
class VersionRecord:
    """A version of a standard as the index needs it (duck-typed from the catalog's rows)."""

    code: str
    version: str
    status: str  # published | superseded | withdrawn | draft
    document: dict[str, Any]
    version_id: int | None = None
    draft_id: int | None = None
    fingerprint: str | None = None  # for drafts: changes whenever the draft does (caches overlays)

    @property
    def key(self) -> str:
        return version_key(self.code, self.version, self.draft_id)


@dataclass
class Removal:
    """A version that must leave the index (withdrawn, or gone from the catalog)."""

    code: str
    version: str

    @property
    def key(self) -> str:
        return version_key(self.code, self.version)


class ChangeFeed(Protocol):
    """What the index needs from the catalog (``registry.services.search.CatalogFeed``)."""

    def head(self) -> int: ...

    def changes(self, after: int, limit: int) -> tuple[list[VersionRecord | Removal], int]: ...

    def versions(self, part: int, parts: int) -> Iterator[VersionRecord]: ...

    def worker_copy(self) -> "ChangeFeed": ...


@dataclass
class SearchRequest:
    q: str = ""
    kind: str | None = None
    sector: str | None = None
    level: str | None = None
    direction: str | None = None
    code: str | None = None
    type: str | None = None
    lang: str | None = None
    page: int = 1
    per_page: int = 20
    all_versions: bool = False


@dataclass
class SearchResult:
    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]
    suggestion: str | None
    page: int
    per_page: int
    seq: int = 0


def version_key(code: str, version: str, draft_id: int | None = None) -> str:
    return f"{code}@{version}" if draft_id is None else f"{code}@{version}~draft{draft_id}"


# --- text folding ------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
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


_FOLD = _FoldTable()
_T2S_LOCK = threading.Lock()
_T2S: Any = None
_T2S_CHARS: dict[str, str] = {}


def _t2s(text: str) -> str:
    global _T2S
    if _T2S is None:
        with _T2S_LOCK:
            if _T2S is None:
                import opencc

                _T2S = opencc.OpenCC("t2s")
    converted = _T2S.convert(text)
    if len(converted) == len(text):
        return converted
    # a phrase conversion changed the length: convert character by character to keep offsets
    out = []
    for char in text:
        if char not in _T2S_CHARS:
            single = _T2S.convert(char)
            _T2S_CHARS[char] = single if len(single) == 1 else char
        out.append(_T2S_CHARS[char])
    return "".join(out)


def fold(text: str) -> str:
    """Fold width, compatibility forms and traditional characters, keeping the length unchanged."""
    text = text.translate(_FOLD)
    if _HAS_CJK.search(text):
        text = _t2s(text)
    return text


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


# --- jieba, with its dictionary in a memory-mapped trie -----------------------------------------

_JIEBA_LOCK = threading.Lock()
_JIEBA: Any = None


class _TrieFreq:
    """The part of a dict jieba uses (``in``, ``[]``, ``get``), over a memory-mapped marisa trie.

    Lookups go through a small per-process dict of the fragments seen so far (a corpus uses a
    few tens of thousands), so the trie is asked once per distinct fragment.
    """

    __slots__ = ("trie", "cache")
    _MISSING = object()

    def __init__(self, trie):
        self.trie = trie
        self.cache: dict[str, int | None] = {}

    def get(self, word: str, default=None):
        cache = self.cache
        value = cache.get(word, self._MISSING)
        if value is self._MISSING:
            found = self.trie.get(word)
            if found:
                value = found[0][0]
            elif next(self.trie.iterkeys(word), None) is not None:
                value = 0  # jieba keeps every prefix of a word with frequency 0
            else:
                value = None
            if len(cache) > 1_000_000:
                cache.clear()
            cache[word] = value
        return default if value is None else value

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        value = self.get(word)
        if value is None:
            raise KeyError(word)
        return value


def _jieba_trie_path() -> Path:
    import jieba

    dictionary = Path(jieba.__file__).parent / "dict.txt"
    stat = dictionary.stat()
    digest = hashlib.sha256(f"{jieba.__version__}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"registry-jieba-{digest}.marisa"


def _segmenter():
    """jieba's Tokenizer, with FREQ in a trie shared by every process through the page cache."""
    global _JIEBA
    if _JIEBA is not None:
        return _JIEBA
    with _JIEBA_LOCK:
        if _JIEBA is not None:
            return _JIEBA
        import jieba
        import marisa_trie

        jieba.setLogLevel(logging.WARNING)
        path = _jieba_trie_path()
        if not path.exists():
            words: list[tuple[str, tuple[int]]] = []
            total = 0
            with jieba.get_dict_file() as handle:
                for raw in handle:
                    parts = raw.decode("utf-8").strip().split(" ")
                    if len(parts) >= 2 and parts[1].isdigit():
                        words.append((parts[0], (int(parts[1]),)))
                        total += int(parts[1])
            words.append(("__registry_total__", (min(total, 2**32 - 1),)))
            trie = marisa_trie.RecordTrie("<I", words)
            handle_fd, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
            os.close(handle_fd)
            trie.save(temp)
            os.replace(temp, path)
        trie = marisa_trie.RecordTrie("<I").mmap(str(path))
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = _TrieFreq(trie)
        tokenizer.total = trie["__registry_total__"][0][0]
        tokenizer.initialized = True
        _JIEBA = tokenizer
        return tokenizer


def _cjk_words(run: str) -> list[str]:
    return list(_segmenter().cut(run, HMM=False))


# --- stemming ----------------------------------------------------------------------------------

_STEMMERS = threading.local()


def _stemmer(language: str):
    cache = getattr(_STEMMERS, "cache", None)
    if cache is None:
        cache = _STEMMERS.cache = {}
    if language not in cache:
        import Stemmer

        cache[language] = Stemmer.Stemmer(language, 20000)
    return cache[language]


def analyze(text: str, stem: str | None, *, subwords: bool = True) -> list[tuple[str, int, int, int]]:
    """Tokens of ``text`` as (term, position, start, end); offsets index the original text.

    CJK runs: jieba words at successive positions, and (when ``subwords``) jieba's search-mode
    sub-words at the position of their word. Latin runs: lower-cased, stop words dropped, stemmed.
    """
    folded = fold(text)
    out: list[tuple[str, int, int, int]] = []
    pos = 0
    stops = STOP_WORDS.get(stem or "", frozenset())
    stemmer = _stemmer(stem) if stem else None
    segmenter = None
    for match in _RUNS.finditer(folded):
        start = match.start()
        if match.group(1):
            segmenter = segmenter or _segmenter()
            freq = segmenter.FREQ
            offset = start
            for word in segmenter.cut(match.group(1), HMM=False):
                size = len(word)
                if subwords and size > 2:
                    for i in range(size - 1):
                        gram = word[i:i + 2]
                        if freq.get(gram):
                            out.append((gram, pos, offset + i, offset + i + 2))
                    if size > 3:
                        for i in range(size - 2):
                            gram = word[i:i + 3]
                            if freq.get(gram):
                                out.append((gram, pos, offset + i, offset + i + 3))
                out.append((word, pos, offset, offset + size))
                pos += 1
                offset += size
        else:
            word = match.group(2).lower()
            if word in stops:
                continue
            term = stemmer.stemWord(word) if stemmer else word
            out.append((term, pos, start, match.end()))
            pos += 1
    return out


class MixedTokenizer(Tokenizer):
    """Whoosh analyzer over :func:`analyze` (picklable: it holds only the stemmer's name)."""

    def __init__(self, stem: str | None = "english"):
        self.stem = stem

    def __eq__(self, other):
        return type(other) is type(self) and other.stem == self.stem

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text, _, context = value.partition(CONTEXT_MARK)
        parts = [(text, 1.0, 0, 0)]
        if context:  # context words weigh less, and sit far enough away that no phrase spans both
            parts.append((context, CONTEXT_WEIGHT, 1000, len(text) + 1))
        for part, boost, base_pos, base_char in parts:
            for term, pos, start, end in analyze(part, self.stem, subwords=mode != "query"):
                token.text = term
                token.boost = boost
                token.stopped = False
                if keeporiginal:
                    token.original = term
                if positions:
                    token.pos = start_pos + base_pos + pos
                if chars:
                    token.startchar = start_char + base_char + start
                    token.endchar = start_char + base_char + end
                yield token


class SpellTokenizer(Tokenizer):
    """Unstemmed, lower-cased Latin words (the vocabulary for "did you mean" and expansions)."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for word in value.split():
            token.text = word
            token.boost = 1.0
            token.stopped = False
            yield token


# --- schema and documents ----------------------------------------------------------------------


def make_schema() -> wfields.Schema:
    fields: dict[str, Any] = {
        "id": wfields.ID(stored=True, unique=True),
        "vid": wfields.ID(),
        "code": wfields.ID(stored=True),
        "version": wfields.ID(stored=True),
        "kind": wfields.ID(stored=True),
        "sector": wfields.ID(),
        "type": wfields.ID(),
        "level": wfields.KEYWORD(),
        "direction": wfields.KEYWORD(),
        "lang": wfields.KEYWORD(),
        "current": wfields.ID(),
        "exact": wfields.KEYWORD(),
        "spell": wfields.TEXT(analyzer=SpellTokenizer(), phrase=False),
        "data": wfields.STORED(),
        "facets": wfields.COLUMN(wcolumns.VarBytesColumn()),
    }
    fields["body"] = wfields.TEXT(analyzer=MixedTokenizer(STEMMER), phrase=True)
    fields["title"] = wfields.TEXT(analyzer=MixedTokenizer(STEMMER), phrase=True)
    return wfields.Schema(**fields)


SCHEMA = make_schema()


def _field_lang(lang: str) -> str:
    base = lang.split("-")[0].lower()
    return base if base in LANGUAGES else "xx"


def _texts(value: Any, master: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(v, str) and v.strip()}
    if value is None or value == "":
        return {}
    return {master: str(value)}


def _join(target: dict[str, list[str]], texts: dict[str, str]) -> None:
    for lang, text in texts.items():
        target.setdefault(_field_lang(lang), []).append(text)


def _exact_key(text: str) -> str:
    norm = "".join(m.group(0) for m in _RUNS.finditer(fold(text).lower()))
    return hashlib.sha1(norm.encode()).hexdigest()[:16]


def _spell_words(texts: Iterable[str]) -> str:
    words = set()
    for text in texts:
        for match in _RUNS.finditer(fold(text)):
            if match.group(2) and len(match.group(2)) >= 2 and not match.group(2).isdigit():
                words.add(match.group(2).lower())
    return " ".join(sorted(words))


def _level_names(doc: dict) -> dict[str, dict[str, str]]:
    from .vocabulary import LEVEL_SCHEMES

    master = doc["languages"]["master"]
    names = {}
    scheme = LEVEL_SCHEMES.get(doc.get("level_scheme", ""), {})
    for level in doc.get("levels", []):
        names[level["id"]] = _texts(level.get("name"), master) or dict(scheme.get(level["id"], {}))
    return names


def _facet_bytes(*values: str) -> bytes:
    return "\x1f".join(values).encode()


def document_from(version: Any) -> list[dict[str, Any]]:
    """The index documents of one version: one for the standard, one per requirement and knowledge item.

    ``version`` is anything with ``code``, ``version``, ``status``, ``document`` (and optionally
    ``draft_id``): a catalog ``StandardVersion``, a ``Draft`` adapter or a :class:`VersionRecord`.
    """
    doc = version.document
    code, number = version.code, version.version
    draft_id = getattr(version, "draft_id", None)
    vid = version_key(code, number, draft_id)
    status = version.status
    current = {"published": "y", "draft": "d"}.get(status, "n")
    master = doc["languages"]["master"]
    sector, std_type = doc.get("sector", ""), doc.get("standard_type", "")
    title = _texts(doc.get("title"), master)
    occupation = _texts(doc.get("occupation"), master)
    function_names = {f["id"]: _texts(f.get("name"), master) for f in doc.get("functions", [])}
    direction_names = {d["id"]: _texts(d.get("name"), master) for d in doc.get("directions", []) or []}
    level_names = _level_names(doc)
    common = {"vid": vid, "code": code, "version": number, "sector": sector, "type": std_type, "current": current}
    docs: list[dict[str, Any]] = []
    spell_source: list[str] = []

    # the standard itself: title, occupation and keywords are its title; definition and names its text
    title_parts: dict[str, list[str]] = {}
    text_parts: dict[str, list[str]] = {}
    for texts in [title, occupation, *(_texts(k, master) for k in doc.get("keywords", []) or [])]:
        _join(title_parts, texts)
    overview = doc.get("overview", {}) or {}
    for texts in [_texts(overview.get("definition"), master), *function_names.values(),
                  *direction_names.values(), *(_texts(w.get("name"), master) for w in doc.get("work_types", []) or [])]:
        _join(text_parts, texts)
    levels = [level["id"] for level in doc.get("levels", [])]
    directions = sorted(direction_names)
    langs = sorted(set(title_parts) | set(text_parts))
    standard_doc = {
        **common, "id": vid, "kind": "standard", "level": " ".join(levels), "direction": " ".join(directions),
        "lang": " ".join(langs), "exact": " ".join({_exact_key(t) for t in [*title.values(), *occupation.values()]}),
        "data": json.dumps({"title": title, "occupation": occupation, "text": _texts(overview.get("definition"), master),
                            "master": master, "status": status, "draft_id": draft_id,
                            "level_names": level_names, "sector": sector}, ensure_ascii=False),
        "facets": _facet_bytes(sector, " ".join(levels), " ".join(directions), code, "standard", std_type, current,
                               " ".join(langs)),
    }
    standard_doc["title"] = "\n".join(t for parts in title_parts.values() for t in parts)
    standard_doc["body"] = "\n".join(t for parts in text_parts.values() for t in parts)
    spell_source.extend(t for parts in (*title_parts.values(), *text_parts.values()) for t in parts)
    docs.append(standard_doc)

    order = 0
    for section in doc.get("work_requirements", {}).get("sections", []):
        level, direction = section.get("level", ""), section.get("direction") or ""
        for function in section.get("functions", []):
            fname = function_names.get(function.get("function"), {})
            for content in function.get("work_contents", []):
                wname = _texts(content.get("name"), master)
                context = "\n".join([*fname.values(), *wname.values()])
                for kind, key in (("requirement", "requirements"), ("knowledge", "knowledge")):
                    for item in content.get(key, []) or []:
                        order += 1
                        texts = _texts(item.get("text"), master)
                        item_langs = sorted({_field_lang(lang) for lang in texts})
                        entry = {
                            **common, "id": f"{vid}/{item['id']}", "kind": kind, "level": level,
                            "direction": direction, "lang": " ".join(item_langs),
                            "exact": " ".join({_exact_key(t) for t in texts.values()}),
                            "data": json.dumps({"text": texts, "title": title, "function": fname,
                                                "function_id": function.get("function"), "work_content": wname,
                                                "work_content_id": content.get("id"), "item_id": item["id"],
                                                "number": item.get("number"), "level": level,
                                                "level_name": level_names.get(level, {}), "direction": direction,
                                                "direction_name": direction_names.get(direction, {}),
                                                "master": master, "status": status, "draft_id": draft_id,
                                                "sector": sector, "order": order}, ensure_ascii=False),
                            "facets": _facet_bytes(sector, level, direction, code, kind, std_type, current,
                                                   " ".join(item_langs)),
                        }
                        entry["body"] = "\n".join(texts.values()) + CONTEXT_MARK + context
                        spell_source.extend(texts.values())
                        docs.append(entry)
    standard_doc["spell"] = _spell_words(spell_source)
    return docs


def _meta_doc(seq: int) -> dict[str, Any]:
    return {"id": META_ID, "kind": "meta", "current": "n",
            "data": json.dumps({"seq": seq, "format": FORMAT_VERSION, "written_at": time.time()}),
            "facets": _facet_bytes("", "", "", "", "meta", "", "n", "")}


# --- query parsing -----------------------------------------------------------------------------


@dataclass
class _Word:
    text: str
    phrase: bool = False
    prefix: bool = False
    fuzzy: int = 0
    start: int = 0


@dataclass
class _Node:
    op: str  # and | or | not | word
    children: list = field(default_factory=list)
    word: _Word | None = None


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u300c": '"', "\u300d": '"', "\uff02": '"'})
_KEYWORDS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "&&": "AND", "||": "OR", "|": "OR"}


def _lex(q: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    i, n = 0, len(q)
    while i < n:
        char = q[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append((char, None, i))
            i += 1
        elif char == '"':
            end = q.find('"', i + 1)
            if end < 0:
                raise BadRequest(f"unterminated quote at character {i + 1}: close the phrase with \"",
                                 details={"field": "q", "position": i + 1})
            tokens.append(("PHRASE", _Word(q[i + 1:end], phrase=True, start=i), i))
            i = end + 1
        else:
            negate = char == "-" and (i + 1 < n and not q[i + 1].isspace())
            if char in "-+" and negate or (char == "+" and i + 1 < n and not q[i + 1].isspace()):
                if char == "-":
                    tokens.append(("NOT", None, i))
                i += 1
                continue
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()"':
                j += 1
            raw = q[i:j]
            if raw in _KEYWORDS:
                tokens.append((_KEYWORDS[raw], None, i))
            else:
                tokens.append(("WORD", _word(raw, i), i))
            i = j
    return tokens


def _word(raw: str, start: int) -> _Word:
    word = _Word(raw, start=start)
    fuzzy = re.fullmatch(r"(.*?)~(\d*)", raw)
    if fuzzy:
        distance = int(fuzzy.group(2)) if fuzzy.group(2) else 1
        if distance < 1 or distance > MAX_FUZZY_DISTANCE:
            raise BadRequest(f"fuzzy distance in {raw!r} must be 1 or {MAX_FUZZY_DISTANCE}",
                             details={"field": "q", "position": start + 1})
        word.text, word.fuzzy = fuzzy.group(1), distance
    if word.text.startswith("*") or word.text.startswith("?"):
        raise BadRequest(f"a word cannot start with a wildcard ({raw!r}): type at least "
                         f"{MIN_PREFIX_CHARS} letters before *", details={"field": "q", "position": start + 1})
    if "*" in word.text[:-1]:
        raise BadRequest(f"a wildcard may only end a word ({raw!r})", details={"field": "q", "position": start + 1})
    if word.text.endswith("*"):
        if word.fuzzy:
            raise BadRequest(f"{raw!r} combines a wildcard and a fuzzy match", details={"field": "q"})
        word.text, word.prefix = word.text[:-1], True
    if "~" in word.text:
        raise BadRequest(f"~ may only end a word ({raw!r})", details={"field": "q", "position": start + 1})
    return word


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self) -> _Node | None:
        if not self.tokens:
            return None
        node = self.or_expr()
        if self.i < len(self.tokens):
            kind, _, position = self.tokens[self.i]
            message = "unbalanced ')'" if kind == ")" else f"unexpected {kind}"
            raise BadRequest(f"{message} at character {position + 1}", details={"field": "q", "position": position + 1})
        return node

    def or_expr(self) -> _Node:
        children = [self.and_expr()]
        while self.peek() == "OR":
            self.i += 1
            if self.peek() in (None, ")", "OR", "AND"):
                raise BadRequest("OR needs a term on both sides", details={"field": "q"})
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else _Node("or", children)

    def and_expr(self) -> _Node:
        children = [self.unary()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.i += 1
                if self.peek() in (None, ")", "OR", "AND"):
                    raise BadRequest("AND needs a term on both sides", details={"field": "q"})
            children.append(self.unary())
        return children[0] if len(children) == 1 else _Node("and", children)

    def unary(self) -> _Node:
        kind = self.peek()
        if kind == "NOT":
            self.i += 1
            if self.peek() in (None, ")", "OR", "AND"):
                raise BadRequest("NOT (or -) needs a term after it", details={"field": "q"})
            return _Node("not", [self.unary()])
        if kind in ("AND", "OR"):
            raise BadRequest(f"{kind} needs a term on both sides", details={"field": "q"})
        return self.primary()

    def primary(self) -> _Node:
        kind, value, position = self.tokens[self.i]
        if kind == "(":
            self.depth += 1
            if self.depth > MAX_QUERY_DEPTH:
                raise BadRequest(f"parentheses nest deeper than {MAX_QUERY_DEPTH}", details={"field": "q"})
            self.i += 1
            if self.peek() == ")":
                raise BadRequest(f"empty parentheses at character {position + 1}", details={"field": "q"})
            if self.peek() is None:
                raise BadRequest(f"unbalanced '(' at character {position + 1}", details={"field": "q"})
            node = self.or_expr()
            if self.peek() != ")":
                raise BadRequest(f"unbalanced '(' at character {position + 1}: add ')'",
                                 details={"field": "q", "position": position + 1})
            self.i += 1
            self.depth -= 1
            return node
        if kind == ")":
            raise BadRequest(f"unbalanced ')' at character {position + 1}",
                             details={"field": "q", "position": position + 1})
        self.i += 1
        return _Node("word", word=value)


def parse_query(q: str) -> _Node | None:
    """Parse the query syntax (words, "phrases", AND/OR/NOT, -word, (groups), prefix*, fuzzy~N)."""
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query is {len(q)} characters long; at most {MAX_QUERY_CHARS} are allowed",
                         details={"field": "q", "limit": MAX_QUERY_CHARS})
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co") and not c.isspace() for c in q):
        raise BadRequest("the query contains control characters", details={"field": "q"})
    tokens = _lex(fold(q.translate(_QUOTES)))
    words = sum(1 for kind, _, _ in tokens if kind in ("WORD", "PHRASE"))
    phrase_words = sum(len(v.text.split()) - 1 for kind, v, _ in tokens if kind == "PHRASE")
    if words + phrase_words > MAX_QUERY_TERMS:
        raise BadRequest(f"the query has {words + phrase_words} terms; at most {MAX_QUERY_TERMS} are allowed",
                         details={"field": "q", "limit": MAX_QUERY_TERMS})
    node = _Parser(tokens).parse()
    if node is not None and not _has_positive(node):
        raise BadRequest("the query only excludes words: add at least one word to look for", details={"field": "q"})
    return node


def _has_positive(node: _Node) -> bool:
    if node.op == "word":
        return True
    if node.op == "not":
        return False
    if node.op == "or":
        return all(_has_positive(c) for c in node.children)
    return any(_has_positive(c) for c in node.children)


# --- from parsed query to Whoosh query -----------------------------------------------------------


class _AndNotMatcher(AndNotMatcher):
    """Whoosh's AndNotMatcher checks the first document against the excluded list only when both
    lists start on the same document, so an excluded first match slips through."""

    def _find_first(self):
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class _AndNot(wq.AndNot):
    def matcher(self, searcher, context=None):
        return _AndNotMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


class _Or(wq.Or):
    """Or as a tree of union matchers, always (Whoosh preloads every posting into arrays for indexes
    under 5,000 documents, which costs more than the search itself)."""

    matcher_type = wq.Or.DEFAULT_MATCHER

#: field -> boost (a standard's title and keywords rank above any text)
FIELD_BOOSTS = {"title": 4.0, "body": 1.0}


def _terms(text: str) -> list[str]:
    return [t for t, _, _, _ in analyze(text, STEMMER, subwords=False)]


class _Compiler:
    def __init__(self, reader, schema):
        self.reader = reader
        self.schema = schema
        self.highlight: dict[str, set[str]] = {"cjk": set(), "latin": set()}
        self.unknown: list[str] = []  # Latin words found nowhere (for "did you mean")
        self.scripts: set[str] = set()
        self.plain_words: list[str] = []

    def compile(self, node: _Node) -> wq.Query:
        query = self._compile(node)
        return wq.NullQuery if query is None else query

    def _compile(self, node: _Node) -> wq.Query | None:
        """None stands for a word that analysis removed entirely (only stop words or punctuation)."""
        if node.op == "word":
            return self.word(node.word)
        if node.op == "not":
            inner = self._compile(node.children[0])
            return None if inner is None else wq.Not(inner)
        if node.op == "or":
            children = [q for q in (self._compile(c) for c in node.children) if q is not None]
            return None if not children else children[0] if len(children) == 1 else _Or(children)
        positives = [q for q in (self._compile(c) for c in node.children if c.op != "not") if q is not None]
        negatives = [q for q in (self._compile(c.children[0]) for c in node.children if c.op == "not")
                     if q is not None]
        if not positives:
            return None
        query = positives[0] if len(positives) == 1 else wq.And(positives)
        if negatives:
            query = _AndNot(query, negatives[0] if len(negatives) == 1 else _Or(negatives))
        return query

    def _note(self, terms: Iterable[str]) -> None:
        for term in terms:
            self.highlight["cjk" if has_cjk(term) else "latin"].add(term)

    def word(self, word: _Word) -> wq.Query | None:
        text = word.text
        if word.prefix:
            return self.prefix(word)
        if word.fuzzy:
            return self.fuzzy(word)
        if not word.phrase:
            self.plain_words.append(text)
        runs = list(_RUNS.finditer(text))
        latin = [m.group(2) for m in runs if m.group(2)]
        if latin:
            self.scripts.add("latin")
        if any(m.group(1) for m in runs):
            self.scripts.add("cjk")
        terms = _terms(text)
        if not terms:
            return None  # only stop words or punctuation: as if the word were absent
        self._note(terms)
        alternatives = []
        for fieldname, boost in FIELD_BOOSTS.items():
            if not all((fieldname, t) in self.reader for t in terms):
                continue
            if len(terms) == 1:
                alternatives.append(wq.Term(fieldname, terms[0], boost=boost))
            else:
                alternatives.append(wq.Phrase(fieldname, terms, boost=boost))
        if not alternatives:
            if latin and not word.phrase:
                self.unknown.extend(run for run in latin if run.lower() not in STOP_WORDS[STEMMER])
            return wq.NullQuery
        return _Or(alternatives) if len(alternatives) > 1 else alternatives[0]

    def _any_of(self, terms: Iterable[str], weight: float = 0.8) -> wq.Query:
        terms = set(terms)
        self._note(terms)
        alternatives = [wq.Term(fieldname, term, boost=boost * weight)
                        for fieldname, boost in FIELD_BOOSTS.items() for term in sorted(terms)
                        if (fieldname, term) in self.reader]
        return _Or(alternatives) if alternatives else wq.NullQuery

    def _too_many(self, word: _Word, found: list) -> None:
        if len(found) > MAX_EXPANSIONS:
            raise BadRequest(f"{word.text!r}{'*' if word.prefix else '~'} matches more than {MAX_EXPANSIONS} words: "
                             "make it more specific", details={"field": "q", "limit": MAX_EXPANSIONS})

    def prefix(self, word: _Word) -> wq.Query:
        text = word.text.lower()
        if has_cjk(text):
            self.scripts.add("cjk")
            if len(text) < MIN_CJK_PREFIX_CHARS or not all(has_cjk(c) for c in text):
                raise BadRequest(f"a Chinese prefix needs at least {MIN_CJK_PREFIX_CHARS} characters: {word.text!r}*",
                                 details={"field": "q"})
            # the complete words, then any word that starts with what remains
            words = _terms(text)
            head, last = words[:-1], words[-1]
            tails = _expand_prefix(self.reader, "body", last, MAX_EXPANSIONS + 1)
            self._too_many(word, tails)
            if not head:
                return self._any_of(tails, 1.0)
            self._note(tails + head)
            alternatives = []
            for fieldname, boost in FIELD_BOOSTS.items():
                present = [t for t in tails if (fieldname, t) in self.reader]
                if present and all((fieldname, t) in self.reader for t in head):
                    tail = _Or([wq.Term(fieldname, t) for t in present])
                    alternatives.append(wq.Sequence([*(wq.Term(fieldname, t) for t in head), tail], boost=boost))
            return _Or(alternatives) if alternatives else wq.NullQuery
        if len(text) < MIN_PREFIX_CHARS or not re.fullmatch(r"[^\W_]+", text):
            raise BadRequest(f"a prefix needs at least {MIN_PREFIX_CHARS} letters or digits before *: {word.text!r}*",
                             details={"field": "q"})
        self.scripts.add("latin")
        words = _expand_prefix(self.reader, "spell", text, MAX_EXPANSIONS + 1)
        self._too_many(word, words)
        return self._any_of(t for w in words + [text] for t in _terms(w))

    def fuzzy(self, word: _Word) -> wq.Query:
        text = word.text.lower()
        if has_cjk(text) or not re.fullmatch(r"[^\W_]+", text):
            raise BadRequest(f"fuzzy matching (~) applies to single Latin-script words, not {word.text!r}",
                             details={"field": "q"})
        if len(text) < word.fuzzy + 2:
            raise BadRequest(f"{word.text!r} is too short for an edit distance of {word.fuzzy}", details={"field": "q"})
        self.scripts.add("latin")
        words = _terms_within(self.reader, "spell", text, word.fuzzy, MAX_EXPANSIONS + 1)
        self._too_many(word, words)
        return self._any_of(t for w in words for t in _terms(w))


def _text(term) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _expand_prefix(reader, fieldname: str, prefix: str, limit: int) -> list[str]:
    """Distinct terms of ``fieldname`` starting with ``prefix``, at most ``limit``."""
    found: set[str] = set()
    for leaf, _ in reader.leaf_readers():
        if fieldname not in leaf.indexed_field_names():
            continue
        for term in leaf.expand_prefix(fieldname, prefix):
            found.add(_text(term))
            if len(found) >= limit:
                return sorted(found)
    return sorted(found)


def _terms_within(reader, fieldname: str, text: str, maxdist: int, limit: int) -> list[str]:
    """Distinct terms within ``maxdist`` edits of ``text`` (first letter fixed), per segment by DFA."""
    found: set[str] = set()
    for leaf, _ in reader.leaf_readers():
        if fieldname not in leaf.indexed_field_names():
            continue
        for term in leaf.terms_within(fieldname, text, maxdist, prefix=1):
            found.add(_text(term))
            if len(found) >= limit:
                return sorted(found)
    return sorted(found)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# --- highlighting ------------------------------------------------------------------------------

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


# --- locks -------------------------------------------------------------------------------------


@contextmanager
def _quiet_files() -> Iterator[None]:
    """Free what a failed open left behind, without ResourceWarnings for the files Whoosh left open."""
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        except BaseException:
            gc.collect()
            raise


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def file_lock(path: Path, timeout: float | None) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` (across processes and threads); yields False on timeout.

    ``timeout=None`` waits for ever; ``0`` tries once.
    """
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(str(path), threading.Lock())
    if not thread_lock.acquire(timeout=-1 if timeout is None else timeout):
        yield False
        return
    fd = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.01)
        yield True
    finally:
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock
        thread_lock.release()


# --- the index ---------------------------------------------------------------------------------


class IndexProblem(Exception):
    """The index directory is missing, unreadable or from another format: it must be rebuilt."""


class _QueryTimeout(Exception):
    pass


class _TimedCollector(TopCollector):
    """TopCollector (block-quality skipping intact) that gives up after a deadline."""

    def __init__(self, limit: int, deadline: float):
        super().__init__(limit=limit)
        self.deadline = deadline

    def matches(self):
        deadline = self.deadline
        for n, docnum in enumerate(super().matches()):
            if not n & 1023 and time.monotonic() > deadline:
                raise _QueryTimeout
            yield docnum


@dataclass
class _View:
    """One opened generation: a searcher and what was derived from it."""

    ix: Any
    searcher: Any
    path: str
    generation: int
    seq: int
    combo_ids: array.array
    combos: list[tuple]


class SearchIndex:
    """The search index of one data directory, shared safely by every process that opens it."""

    def __init__(self, root: str | Path, *, check_interval: float = 0.1):
        self.root = Path(root)
        self.check_interval = check_interval
        self._lock = threading.RLock()
        self._view: _View | None = None
        self._checked = 0.0
        self._pid = os.getpid()
        self._segment_combos: dict[str, array.array] = {}
        self._combo_table: dict[bytes, int] = {}
        self._combo_values: list[tuple] = []
        self._overlays: dict[tuple, Any] = {}

    # -- layout

    @property
    def write_lock_path(self) -> Path:
        return self.root / "write.lock"

    @property
    def build_lock_path(self) -> Path:
        return self.root / "build.lock"

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def current_dir(self) -> Path | None:
        try:
            target = os.readlink(self.current_link)
        except OSError:
            return None
        return (self.root / target).resolve()

    # -- health

    def check(self) -> None:
        """Raise :class:`IndexProblem` unless the current generation opens and reads cleanly."""
        path = self.current_dir()
        if path is None or not path.is_dir():
            raise IndexProblem("missing")
        reason = None
        with _quiet_files():  # a damaged index leaves half-opened files to the garbage collector
            try:
                self._probe(path)
            except IndexProblem as exc:
                reason = str(exc)
            except Exception as exc:  # any failure to open or read means the files are damaged
                reason = f"unreadable ({type(exc).__name__}: {exc})"
            if reason is not None:
                gc.collect()
        if reason is not None:
            raise IndexProblem(reason)

    @staticmethod
    def _probe(path: Path) -> None:
        ix = windex.open_dir(str(path), indexname=INDEX_NAME, schema=SCHEMA)
        toc = ix._read_toc()
        names = set(ix.storage.list())
        for segment in toc.segments:
            if not any(n.startswith(f"{INDEX_NAME}_{segment.segment_id()}") or n.startswith(segment.segment_id())
                       for n in names):
                raise IndexProblem(f"damaged (segment {segment.segment_id()} has no files)")
        with ix.searcher() as searcher:
            meta = searcher.document(id=META_ID)
            if meta is None:
                raise IndexProblem("damaged (no meta document)")
            info = json.loads(meta["data"])
            if info.get("format") != FORMAT_VERSION:
                raise IndexProblem(f"of format {info.get('format')} (this code writes {FORMAT_VERSION})")
            reader = searcher.reader()
            for docnum in range(reader.doc_count_all()):
                if not reader.is_deleted(docnum):
                    reader.stored_fields(docnum)
                    break
            searcher.search(wq.Term("kind", "standard"), limit=1)

    # -- opening and refreshing

    def _open_view(self) -> _View:
        path = self.current_dir()
        if path is None:
            raise IndexProblem("missing")
        last_error = ""
        for _ in range(5):  # a writer may delete an old generation's files while we open it
            with _quiet_files():
                try:
                    ix = windex.open_dir(str(path), indexname=INDEX_NAME, schema=SCHEMA)
                    searcher = ix.searcher()
                    return self._make_view(ix, searcher, str(path))
                except (OSError, EOFError, ValueError, KeyError) as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
                gc.collect()
            time.sleep(0.02)
            path = self.current_dir() or path
        raise IndexProblem(f"unreadable ({last_error})")

    def _make_view(self, ix, searcher, path: str) -> _View:
        meta = searcher.document(id=META_ID)
        seq = json.loads(meta["data"])["seq"] if meta else 0
        combo_ids = self._combo_ids(searcher.reader())
        generation = searcher.reader().generation()
        return _View(ix, searcher, path, -1 if generation is None else generation, seq, combo_ids,
                     self._combo_values)

    def _combo_ids(self, reader) -> array.array:
        """Per document, the id of its combination of facet values (cached per immutable segment)."""
        out = array.array("I")
        live = set()
        for segreader, _offset in reader.leaf_readers():
            segment = getattr(segreader, "segment", lambda: None)()
            key = segment.segment_id() if segment is not None else f"ram{id(segreader)}"
            live.add(key)
            ids = self._segment_combos.get(key)
            if ids is None:
                ids = array.array("I")
                table, values = self._combo_table, self._combo_values
                if segreader.has_column("facets"):
                    column = segreader.column_reader("facets")
                    for raw in column:
                        combo = table.get(raw)
                        if combo is None:
                            combo = table[raw] = len(values)
                            values.append(tuple(raw.decode().split("\x1f")) if raw else ("",) * 8)
                        ids.append(combo)
                else:
                    ids.extend([0] * segreader.doc_count_all())
                if segment is not None:
                    self._segment_combos[key] = ids
            out.extend(ids)
        for key in list(self._segment_combos):
            if key not in live:
                del self._segment_combos[key]
        return out

    def _ensure_view(self, force: bool = False) -> _View:
        with self._lock:
            if os.getpid() != self._pid:  # forked: nothing opened by the parent is ours
                self._pid, self._view = os.getpid(), None
            view = self._view
            now = time.monotonic()
            if view is None:
                self._view = view = self._open_view()
                self._checked = now
                return view
            if not force and now - self._checked < self.check_interval:
                return view
            self._checked = now
            path = self.current_dir()
            if path is None:
                raise IndexProblem("missing")
            if str(path) != view.path:
                old = view
                self._view = view = self._open_view()
                old.searcher.close()
                return view
            try:
                if view.ix.latest_generation() != view.generation:
                    self._view = view = self._reopen(view)
            except (OSError, EOFError, ValueError, KeyError):
                self._view = view = self._open_view()
            return view

    def _reopen(self, view: _View) -> _View:
        """A searcher on the latest generation, reusing the readers of segments that did not change.

        (Not ``Searcher.refresh()``: Whoosh's reader reuse keeps segments the new generation no
        longer has, and a reused reader keeps the deletions it was opened with.)
        """
        from whoosh.reading import EmptyReader, SegmentReader

        toc = view.ix._read_toc()
        old = {r.segment().segment_id(): r for r, _ in view.searcher.reader().leaf_readers()
               if r.segment() is not None}
        kept: set[int] = set()
        readers = []
        for segment in toc.segments:
            previous = old.get(segment.segment_id())
            if previous is not None and set(previous.segment().deleted_docs()) == set(segment.deleted_docs()):
                readers.append(previous)
                kept.add(id(previous))
            else:
                readers.append(SegmentReader(view.ix.storage, SCHEMA, segment, generation=toc.generation))
        if not readers:
            reader = EmptyReader(SCHEMA)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=toc.generation)
        searcher = Searcher(reader, fromindex=view.ix)
        for segid, previous in old.items():
            if id(previous) not in kept:
                previous.close()
        fresh = self._make_view(view.ix, searcher, view.path)
        fresh.generation = toc.generation
        return fresh

    def close(self) -> None:
        with self._lock:
            if self._view is not None and os.getpid() == self._pid:
                self._view.searcher.close()
            self._view = None

    def last_seq(self) -> int:
        """The last change-log seq applied to the current generation."""
        return self._ensure_view(force=True).seq

    # -- writing

    def _writable(self):
        path = self.current_dir()
        if path is None:
            raise IndexProblem("missing")
        return windex.open_dir(str(path), indexname=INDEX_NAME, schema=SCHEMA)

    @staticmethod
    def _apply(ix, records: Sequence[VersionRecord | Removal], seq: int | None) -> None:
        writer = ix.writer(timeout=30.0, delay=0.05)
        try:
            for record in records:
                writer.delete_by_term("vid", record.key)
                if isinstance(record, VersionRecord) and record.status in ("published", "superseded"):
                    for doc in document_from(record):
                        writer.add_document(**doc)
            if seq is not None:
                writer.update_document(**_meta_doc(seq))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def _stored_seq(self, ix) -> int:
        with ix.searcher() as searcher:
            meta = searcher.document(id=META_ID)
        return json.loads(meta["data"])["seq"] if meta else 0

    def apply(self, records: Sequence[VersionRecord | Removal], seq: int | None = None, *,
              timeout: float = 600.0) -> None:
        """Write versions (index published and superseded ones, drop the rest) in one commit."""
        with file_lock(self.write_lock_path, timeout) as locked:
            if not locked:
                raise ServiceUnavailable("the search index is busy; retry shortly")
            ix = self._writable()
            if seq is not None:
                seq = max(seq, self._stored_seq(ix))
            self._apply(ix, records, seq)
        self._ensure_view(force=True)

    def index_version(self, version: Any, *, seq: int | None = None) -> None:
        """Index one version (replacing what the index held for it)."""
        record = version if isinstance(version, VersionRecord) else VersionRecord(
            version.code, version.version, version.status, version.document, getattr(version, "id", None))
        self.apply([record], seq)

    def remove_version(self, code: str, version: str, *, seq: int | None = None) -> None:
        """Remove one version from the index."""
        self.apply([Removal(code, version)], seq)

    def catch_up(self, feed: ChangeFeed, *, wait: bool = False, batch: int = 200,
                 max_batches: int | None = None) -> int:
        """Apply the change log's entries after the index's seq; returns how many were applied.

        Without ``wait``, gives up at once when another process holds the write lock (that process
        is applying the same entries, and this one will see them on its next refresh).
        """
        head = feed.head()
        seq = self._ensure_view(force=True).seq
        if head < seq:
            raise IndexProblem(f"ahead of the catalog (index at change {seq}, catalog at {head}: "
                               "the catalog was restored or replaced)")
        if head == seq:
            return 0
        applied = 0
        with file_lock(self.write_lock_path, None if wait else 0) as locked:
            if not locked:
                return 0
            ix = self._writable()
            after = self._stored_seq(ix)
            batches = 0
            while after < head and (max_batches is None or batches < max_batches):
                records, last = feed.changes(after, batch)
                if last <= after:
                    break
                self._apply(ix, records, last)
                applied += last - after
                after = last
                batches += 1
                ix = self._writable()
        self._ensure_view(force=True)
        return applied

    # -- rebuilding

    def rebuild(self, feed: ChangeFeed, *, procs: int | None = None, reason: str = "requested") -> dict[str, Any]:
        """Build a new generation from the catalog (``procs`` processes) and swap it in atomically."""
        started = time.monotonic()
        procs = max(1, procs or min(2, os.cpu_count() or 1))
        with file_lock(self.build_lock_path, None):
            self.root.mkdir(parents=True, exist_ok=True)
            seq = feed.head()  # read first: anything published meanwhile is replayed after the build
            target = Path(tempfile.mkdtemp(prefix=f"gen-{time.strftime('%Y%m%dT%H%M%S')}-", dir=self.root))
            try:
                count = _build(target, feed, seq, procs)
                with file_lock(self.write_lock_path, None):
                    ix = windex.open_dir(str(target), indexname=INDEX_NAME, schema=SCHEMA)
                    after = seq
                    head = feed.head()
                    while after < head:
                        records, last = feed.changes(after, 500)
                        if last <= after:
                            break
                        self._apply(ix, records, last)
                        ix = windex.open_dir(str(target), indexname=INDEX_NAME, schema=SCHEMA)
                        after = last
                    previous = self.current_dir()
                    link = self.root / f".current-{os.getpid()}-{threading.get_ident()}"
                    if link.is_symlink():
                        link.unlink()
                    os.symlink(target.name, link)
                    os.replace(link, self.current_link)
                    _fsync_dir(self.root)
                self._clean(keep={target, previous})
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
        self._ensure_view(force=True)
        seconds = time.monotonic() - started
        log.info("search index rebuilt in %s (%s): %d documents, seq %d, %.1f s, %d process(es)",
                 target, reason, count, seq, seconds, procs)
        return {"path": str(target), "documents": count, "seq": self.last_seq(), "seconds": seconds, "procs": procs}

    def _clean(self, keep: set) -> None:
        keep = {p.resolve() for p in keep if p is not None}
        for entry in self.root.glob("gen-*"):
            if entry.resolve() not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    def ensure(self, feed: ChangeFeed, *, procs: int | None = None) -> str | None:
        """Check the index; rebuild it (with a log line) when it is missing or damaged.

        Returns the problem that caused a rebuild, or None when the index was sound.
        """
        try:
            self.check()
            return None
        except IndexProblem as problem:
            first = problem
        with file_lock(self.build_lock_path, None):
            try:  # another process may have rebuilt it while we waited
                self.check()
                return None
            except IndexProblem as problem:
                reason = str(problem)
        log.warning("search index at %s is %s: rebuilding it from the catalog", self.root, reason or first)
        self.close()
        self.rebuild(feed, procs=procs, reason=reason)
        return reason

    # -- searching

    def search(self, request: SearchRequest, overlay: Sequence[VersionRecord] = ()) -> SearchResult:
        """Run a search; ``overlay`` adds versions that are not in the index (a body's drafts)."""
        _check_paging(request)
        node = parse_query(request.q.strip())
        with self._lock:
            view = self._ensure_view()
            if overlay:
                return self._search_with_overlay(view, request, node, overlay)
            return self._run(view.searcher, view.combo_ids, request, node, view.seq)

    def _search_with_overlay(self, view: _View, request, node, overlay) -> SearchResult:
        key = tuple((r.key, r.fingerprint) for r in overlay)
        ram = self._overlays.get(key) if all(r.fingerprint for r in overlay) else None
        if ram is None:
            ram = RamStorage().create_index(SCHEMA)
            writer = ram.writer()
            for record in overlay:
                for doc in document_from(record):
                    writer.add_document(**doc)
            writer.commit()
            if len(self._overlays) >= 16:
                self._overlays.pop(next(iter(self._overlays)))
            self._overlays[key] = ram
        ram_reader = ram.reader()
        readers = [r for r, _ in view.searcher.reader().leaf_readers()] + [r for r, _ in ram_reader.leaf_readers()]
        combined = MultiReader(readers)
        searcher = Searcher(combined, fromindex=None, closereader=False)
        combos = self._combo_ids(combined)
        return self._run(searcher, combos, request, node, view.seq, drafts=True)

    def _run(self, searcher, combo_ids, request: SearchRequest, node, seq: int, drafts: bool = False) -> SearchResult:
        deadline = time.monotonic() + QUERY_TIME_LIMIT
        reader = searcher.reader()
        compiler = _Compiler(reader, SCHEMA)
        filters = _filters(request, drafts)
        if node is None:
            text_query = None
        else:
            text_query = compiler.compile(node)
        query = _combine(text_query, filters)
        boost = _boosts(request.q, compiler, node)
        window = request.page * request.per_page
        try:
            if text_query is None:
                docnums = _all_docs(searcher, query, deadline)
                top = [(0.0, d) for d in docnums[: window + request.per_page]]
            else:
                scored = wq.AndMaybe(query, boost) if boost is not None else query
                collector = _TimedCollector(window + request.per_page, deadline)
                searcher.search_with_collector(scored, collector)
                top = [(score, docnum) for score, docnum in _items(collector)]
                docnums = _all_docs(searcher, query, deadline)
        except _QueryTimeout:
            raise BadRequest(f"the query took longer than {QUERY_TIME_LIMIT:g} s: make it more specific",
                             details={"field": "q"}) from None
        total = len(docnums)
        ordered = sorted(((round(score, 4), searcher.stored_fields(d)) for score, d in top),
                         key=lambda item: (-item[0], item[1]["id"]))
        page = ordered[(request.page - 1) * request.per_page: window]
        display = _display_language(request, compiler)
        hits = [_hit(fields, score, display, compiler.highlight) for score, fields in page]
        facets = self._facets(combo_ids, docnums, display)
        suggestion = _suggest(searcher, request.q, compiler) if compiler.unknown else None
        return SearchResult(total, hits, facets, suggestion, request.page, request.per_page, seq)

    def _facets(self, combo_ids: array.array, docnums: Sequence[int], lang: str) -> dict[str, list[dict]]:
        counts = Counter(map(combo_ids.__getitem__, docnums))
        values = self._combo_values
        tallies: dict[str, Counter] = {name: Counter() for name in FACETS}
        for combo, n in counts.items():
            sector, levels, directions, code, kind, std_type = values[combo][:6]
            tallies["sector"][sector] += n
            for level in levels.split():
                tallies["level"][level] += n
            for direction in directions.split():
                tallies["direction"][direction] += n
            tallies["occupation"][code] += n
            tallies["kind"][kind] += n
            tallies["type"][std_type] += n
        out = {}
        for name, tally in tallies.items():
            out[name] = [{"value": v, "count": c} for v, c in sorted(tally.items(), key=lambda i: (-i[1], i[0])) if v]
        return out


def _items(collector) -> list[tuple[float, int]]:
    # TopCollector keeps (score, 0 - docnum) in a heap
    return [(score, -negdoc) for score, negdoc in sorted(collector.items, reverse=True)]


def _all_docs(searcher, query, deadline: float) -> list[int]:
    out: list[int] = []
    for subsearcher, offset in getattr(searcher, "subsearchers", None) or [(searcher, 0)]:
        matcher = query.matcher(subsearcher, subsearcher.boolean_context())
        n = 0
        for docnum in matcher.all_ids():
            out.append(docnum + offset)
            n += 1
            if not n & 4095 and time.monotonic() > deadline:
                raise _QueryTimeout
    return out


def _check_paging(request: SearchRequest) -> None:
    if request.per_page < 1 or request.per_page > MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}", details={"field": "per_page"})
    if request.page < 1:
        raise BadRequest("page must be a positive integer", details={"field": "page"})
    if request.page * request.per_page > MAX_RESULT_WINDOW:
        raise BadRequest(f"only the first {MAX_RESULT_WINDOW} results can be paged through: narrow the query "
                         f"(page must be at most {MAX_RESULT_WINDOW // request.per_page} at per_page={request.per_page})",
                         details={"field": "page", "limit": MAX_RESULT_WINDOW // request.per_page})
    if request.kind is not None and request.kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}", details={"field": "kind"})


def _filters(request: SearchRequest, drafts: bool) -> tuple[list[wq.Query], list[wq.Query]]:
    """Terms every hit must have, and terms no hit may have (small lists: cheap to skip over)."""
    terms: list[wq.Query] = []
    for fieldname, value in (("kind", request.kind), ("sector", request.sector), ("level", request.level),
                             ("direction", request.direction), ("code", request.code), ("type", request.type)):
        if value:
            terms.append(wq.Term(fieldname, value))
    if request.lang:
        terms.append(wq.Term("lang", _field_lang(request.lang)))
    # the meta document is current="n", so excluding old versions excludes it too
    excluded = [wq.Term("kind", "meta")] if request.all_versions else [wq.Term("current", "n")]
    return terms, excluded


def _combine(text_query: wq.Query | None, filters: tuple[list[wq.Query], list[wq.Query]]) -> wq.Query:
    required, excluded = filters
    if text_query is None:
        query = (wq.And(required) if len(required) > 1 else required[0]) if required else wq.Every()
    elif required:
        # the filters restrict the matches and add nothing to the score (not wq.Require: its matcher
        # trips an assertion when block-quality skipping lands both sides on the same document)
        restriction = wq.And(required) if len(required) > 1 else required[0]
        query = wq.And([text_query, wq.ConstantScoreQuery(restriction, 0.0)])
    else:
        query = text_query
    return _AndNot(query, excluded[0] if len(excluded) == 1 else _Or(excluded))


def _boosts(q: str, compiler: _Compiler, node) -> wq.Query | None:
    """Optional clauses that lift exact matches and, for several words, matches of the whole phrase."""
    if node is None:
        return None
    clauses: list[wq.Query] = [wq.Term("exact", _exact_key(q), boost=8.0)]
    words = compiler.plain_words
    if len(words) >= 2 and node.op == "and":
        terms = _terms(" ".join(words))
        if len(terms) >= 2 and all(("body", t) in compiler.reader for t in terms):
            clauses.append(wq.Phrase("body", terms, boost=2.0))
    return _Or(clauses) if len(clauses) > 1 else clauses[0]


def _display_language(request: SearchRequest, compiler: _Compiler) -> str:
    if request.lang:
        return request.lang
    if compiler.scripts == {"cjk"}:
        return "zh"
    if compiler.scripts == {"latin"}:
        return "en"
    return ""  # mixed or no words: the master language


def _pick(texts: dict[str, str], lang: str, master: str) -> tuple[str, str]:
    if not texts:
        return "", master
    for candidate in (lang, master):
        if candidate and texts.get(candidate):
            return texts[candidate], candidate
    for key, value in texts.items():
        if lang and _field_lang(key) == _field_lang(lang):
            return value, key
    key = next(iter(texts))
    return texts[key], key


def _hit(fields: dict[str, Any], score: float, lang: str, terms: dict[str, set[str]]) -> dict[str, Any]:
    data = json.loads(fields["data"])
    master = data.get("master", "zh")
    kind = fields["kind"]
    text, text_lang = _pick(data.get("text", {}), lang, master)
    title, _ = _pick(data.get("title", {}), lang or text_lang, master)
    if kind == "standard":
        occupation, _ = _pick(data.get("occupation", {}), lang or text_lang, master)
        shown = title + ("\n" + text if text else "")
        snippet_text, snippet_lang = (title, text_lang) if not text else (shown, text_lang)
        return {"code": fields["code"], "version": fields["version"], "title": title, "occupation": occupation,
                "level": None, "direction": None, "function": None, "work_content": None, "item_id": None,
                "number": None, "kind": kind, "lang": text_lang, "text": text,
                "snippet": snippet(snippet_text, snippet_lang, terms), "score": score,
                "status": data.get("status"), "draft_id": data.get("draft_id"), "sector": data.get("sector")}
    function, _ = _pick(data.get("function", {}), text_lang, master)
    work_content, _ = _pick(data.get("work_content", {}), text_lang, master)
    return {"code": fields["code"], "version": fields["version"], "title": title, "level": data.get("level"),
            "level_name": _pick(data.get("level_name", {}), text_lang, master)[0] or None,
            "direction": data.get("direction") or None, "function": function or None,
            "work_content": work_content or None, "item_id": data.get("item_id"), "number": data.get("number"),
            "kind": kind, "lang": text_lang, "text": text,
            "snippet": _item_snippet(text, text_lang, terms, work_content, function),
            "score": score, "status": data.get("status"), "draft_id": data.get("draft_id"),
            "sector": data.get("sector")}


def _item_snippet(text: str, lang: str, terms: dict[str, set[str]], *context: str) -> str:
    """The item's text highlighted; when only its work content or function matched, that name first."""
    shown = snippet(text, lang, terms)
    if "<mark>" in shown:
        return shown
    for name in context:
        if name:
            marked = snippet(name, lang, terms)
            if "<mark>" in marked:
                return f"{marked} · {shown}"
    return shown


def _suggest(searcher, q: str, compiler: _Compiler) -> str | None:
    """ "Did you mean": each unknown Latin word replaced by the closest, most frequent known word."""
    reader = searcher.reader()
    suggestion, changed = q, False
    for word in dict.fromkeys(compiler.unknown):
        lowered = word.lower()
        if len(lowered) < 3:
            continue
        candidates = _terms_within(reader, "spell", lowered, 1, 200) or _terms_within(reader, "spell", lowered, 2, 200)
        candidates = [c for c in candidates if c != lowered]
        if not candidates:
            continue
        best = min(candidates, key=lambda c: (_edit_distance(lowered, c), -reader.doc_frequency("spell", c), c))
        suggestion = re.sub(re.escape(word), best, suggestion, flags=re.IGNORECASE)
        changed = True
    return suggestion if changed else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- building a generation in several processes -------------------------------------------------


def _build(target: Path, feed: ChangeFeed, seq: int, procs: int) -> int:
    """Write every published and superseded version into a new index at ``target``.

    With ``procs`` > 1, each worker process reads its share of the versions from the catalog and
    writes its own segment; the segments are then listed in one table of contents without being
    merged (merging is what made Whoosh's own ``procs=2`` slower than one process).
    """
    from whoosh.writing import SegmentWriter

    _segmenter()  # load once before forking: the workers share it
    ix = windex.create_in(str(target), SCHEMA, indexname=INDEX_NAME)
    if procs <= 1:
        writer = ix.writer(limitmb=256)
        count = 0
        for record in feed.versions(0, 1):
            for doc in document_from(record):
                writer.add_document(**doc)
                count += 1
        writer.add_document(**_meta_doc(seq))
        writer.commit(merge=False)
        return count + 1

    import multiprocessing

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_build_part, args=(str(target), feed, part, procs, results), daemon=True)
               for part in range(procs)]
    for worker in workers:
        worker.start()
    segments, count, errors = [], 0, []
    for _ in workers:
        try:
            status, payload, n = results.get(timeout=24 * 3600)
        except Exception as exc:  # pragma: no cover - a worker died without reporting
            errors.append(repr(exc))
            break
        if status == "ok":
            if payload is not None:
                segments.append(payload)
            count += n
        else:
            errors.append(payload)
    for worker in workers:
        worker.join(timeout=60)
    if errors or any(w.exitcode not in (0, None) for w in workers):
        raise RuntimeError(f"index build failed: {'; '.join(errors) or 'a worker exited abnormally'}")
    writer = SegmentWriter(ix, timeout=30.0)
    writer.add_document(**_meta_doc(seq))
    final = segments + [writer._finalize_segment()]
    writer._commit_toc(final)
    writer._finish()
    return count + 1


def _build_part(path: str, feed: ChangeFeed, part: int, parts: int, results) -> None:
    try:
        from whoosh.writing import SegmentWriter

        own = feed.worker_copy()
        ix = windex.open_dir(path, indexname=INDEX_NAME, schema=SCHEMA)
        writer = SegmentWriter(ix, _lk=False, limitmb=192)
        count = 0
        for record in own.versions(part, parts):
            for doc in document_from(record):
                writer.add_document(**doc)
                count += 1
        if count:
            segment = writer._finalize_segment()
        else:
            writer.cancel()
            segment = None
        results.put(("ok", segment, count))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", f"{type(exc).__name__}: {exc}", 0))
