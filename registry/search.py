"""Full-text search over published standards: the only module that imports Whoosh, jieba and OpenCC.

Callers see a small interface that does not mention the engine: :class:`SearchIndex` with
``index_version``, ``remove_version``, ``catch_up``, ``rebuild``, ``ensure``, ``check``, ``refresh``
and ``search``, plain records in (:class:`VersionRecord`) and plain dicts out
(:class:`SearchResult`). The index is a rebuildable cache of the catalog; the catalog's change log
is the one source of truth. Nothing happens at import time: the schema, jieba's dictionary and the
OpenCC converters are built on first use.

Text analysis
    One tokenizer for every text field (:class:`MixedTokenizer`). Text is first folded: full-width
    to half-width and NFKC where it maps one character to one; runs of CJK characters that contain
    traditional characters are converted with OpenCC's ``tw2sp`` (Taiwan phrases too: 軟體 → 软件,
    資料庫 → 数据库). Runs already in simplified characters are left alone: ``tw2sp`` would turn a
    mainland 程序 into 进程. When a phrase conversion changes the length, offsets are mapped back
    through an alignment of the two texts, so highlighting stays right. (Hong Kong-only words
    written in traditional characters get the character conversion and the Taiwan phrases, not
    Hong Kong's own phrases; Taiwan words typed in simplified characters, such as 软体, are kept.)
    Runs of CJK characters are segmented by jieba (default mode, no HMM, so the same text always
    gives the same words; the dictionary is a memory-mapped trie, cached in the index directory),
    and jieba's search-mode sub-words are emitted *at the position of the word they come from*, so
    phrase queries over default-mode words still line up. Runs of Latin letters and digits are
    lower-cased and stemmed by Snowball (PyStemmer), one position per word. Every language of an
    item goes into one ``body`` field, followed by its context (function and work content names,
    or the basic-knowledge group) at a lower weight; a standard's title, occupation and keywords go
    into ``title``.

Queries
    Words are ANDed. A word typed without spaces is segmented like the text (jieba for Chinese, a
    break between Chinese and Latin letters), particles such as 的 and English stop words are
    dropped, and the remaining terms are ANDed, each matching in any field; a Chinese word also
    matches as the dictionary words it is made of, side by side (数据采集 = "数据 采集"), so text
    that jieba cut differently is found, and text that merely holds both words apart is not. Adjacent terms earn a
    phrase boost; only "quoted text" is a strict phrase. An occupation code (2-02-38-03, or
    2-02-38-03@1.1 for one version) finds the standard and its items; an item, function or work
    content ID (E-K1, F-collect) finds those items.

Several processes
    Writers take an ``fcntl`` lock file (one writer per index directory across processes; the OS
    drops it when a process dies). Whoosh commits by writing a new table of contents atomically, so
    readers only ever open a complete generation; each new segment's CRC-32 is recorded in the
    generation's ``checksums.json`` and verified when a process first opens the segment. The index
    records the last change-log ``seq`` it applied (and the gaps below it still to re-read) in a
    meta document committed together with the changes. A rebuild writes a fresh directory under the
    ``build.lock`` and swaps the ``current`` symlink atomically; the previous generation is kept for
    readers still using it. Searches run concurrently: each generation keeps a small pool of
    searchers (Whoosh readers seek shared file objects, so one searcher serves one thread at a time).
"""

from __future__ import annotations

import fcntl
import functools
import gc
import hashlib
import html
import json
import logging
import math
import os
import pickle
import re
import shutil
import struct
import tempfile
import threading
import time
import unicodedata
import weakref
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Protocol, Sequence

from whoosh import columns as wcolumns
from whoosh import fields as wfields
from whoosh import formats as wformats
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.filedb.filestore import RamStorage
from whoosh.matching import AndNotMatcher
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

import numpy as np

from . import postings
from .errors import BadRequest, ServiceUnavailable

log = logging.getLogger(__name__)

#: Bump when the schema, the analyzers or the document mapping change: older indexes are rebuilt.
FORMAT_VERSION = 7
#: the oldest format this code can still answer searches from while the new one is being built
#: (format 5 has the same schema but no mirrors of its postings: each process mirrors them in memory)
MIN_SERVABLE_FORMAT = 5
INDEX_NAME = "MAIN"
META_ID = "__meta__"
CHECKSUMS = "checksums.json"

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
#: seconds a search may run; beyond it the server is overloaded (503), not the query wrong
QUERY_TIME_LIMIT = 2.0

KINDS = ("requirement", "knowledge", "standard")
#: where an item comes from: the basic requirements (职业道德, 基础知识) or the work requirements
PARTS = ("basic", "work")
FACETS = ("sector", "level", "direction", "occupation", "kind", "type", "part")

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
#: Chinese particles and conjunctions dropped from unquoted queries (they stay in the index, so
#: "quoted phrases" with them still match)
CJK_STOP_WORDS = frozenset("的 地 得 之 了 着 和 与 及 或 并 等".split())
#: English function words: never offered as spelling corrections ("thee" is not "the" or "them")
FUNCTION_WORDS = STOP_WORDS["english"] | frozenset(
    "about above after again all also am any because been before being below between both but could did do "
    "does doing down during each few further had having he her here hers him his how i me more most my no nor "
    "not now off once only other our ours out over own same she should so some than them then there they "
    "through too under until up very we what when where who whom why would you your".split())
#: the search parameters and field names: a query word among them is never "corrected"
FIELD_WORDS = frozenset("q kind sector level direction code type lang part function work_content page per_page all "
                        "drafts title body id ids vid version exact spell data facets sort current".split())
#: the name of the ethics group of the basic requirements (its items have no group title of their own)
ETHICS_NAME = {"zh": "职业道德", "en": "Professional ethics"}


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


@dataclass
class Changes:
    """What a change feed read: the records to apply, the last seq read, and every seq seen."""

    records: list[VersionRecord | Removal]
    last: int
    seqs: list[int] | None = None  # None: the feed does not say (its seqs are assumed to have no gaps)


class ChangeFeed(Protocol):
    """What the index needs from the catalog (``registry.services.search.CatalogFeed``).

    A feed may also offer ``read(after, limit, recheck, *, records=True) -> Changes``: the entries
    after ``after`` plus those of the seqs in ``recheck`` (gaps seen earlier), with the seqs it saw
    (without their records when ``records`` is false). Without it, ``changes`` is used and seqs are
    assumed to be committed in order.
    """

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
    display_lang: str | None = None  # show titles, levels and snippets in this language, without filtering by it
    page: int = 1
    per_page: int = 20
    all_versions: bool = False
    part: str | None = None
    function: str | None = None
    work_content: str | None = None


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


_FOLD = _FoldTable()
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


def _fold_map(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """The folded text and, when folding changed its length, each folded character's span in ``text``."""
    text = text.translate(_FOLD)
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
    return _fold_map(text)[0]


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


# --- jieba, with its dictionary in a memory-mapped trie -----------------------------------------

_JIEBA_LOCK = threading.Lock()
_JIEBA: Any = None
_CACHE_DIR: Path | None = None


def set_cache_dir(path: str | Path) -> None:
    """Where jieba's dictionary trie is kept (the index directory); the first caller wins."""
    global _CACHE_DIR
    if _CACHE_DIR is None:
        _CACHE_DIR = Path(path)


def _private_dir() -> Path:
    """A folder only this user can write: ``$TMPDIR/registry-<uid>`` (0700), else a fresh temporary one."""
    global _CACHE_DIR
    candidate = Path(tempfile.gettempdir()) / f"registry-{os.getuid()}"
    try:
        candidate.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(candidate)
        import stat

        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return candidate
    except OSError:
        pass
    _CACHE_DIR = Path(tempfile.mkdtemp(prefix="registry-"))  # someone else owns the usual one
    return _CACHE_DIR


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
    folder = _CACHE_DIR or _private_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"jieba-{digest}.marisa"


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
            handle_fd, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")  # mode 0600
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


@functools.lru_cache(maxsize=8192)
def _pieces(word: str) -> tuple[str, ...]:
    """The fewest dictionary words (2+ characters, shorter than ``word``) that cut it into parts.

    数据采集 → (数据, 采集): a query word then also matches text that jieba cut differently.
    Empty when no such cut exists.
    """
    freq = _segmenter().FREQ
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 2, n + 1):
            if j - i >= n:
                break
            piece = word[i:j]
            if freq.get(piece) and (best[j] is None or len(best[i]) + 1 < len(best[j])):
                best[j] = best[i] + (piece,)
    return best[n] or ()


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
    folded, spans = _fold_map(text)
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
    if spans is not None:
        out = [(term, p, spans[start][0], spans[end - 1][1]) for term, p, start, end in out]
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
        "part": wfields.ID(),
        "function": wfields.ID(),
        "work_content": wfields.ID(),
        "ids": wfields.KEYWORD(lowercase=True),
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
        "sort": wfields.COLUMN(wcolumns.NumericColumn("Q")),
    }
    fields["body"] = wfields.TEXT(analyzer=MixedTokenizer(STEMMER), phrase=True)
    fields["title"] = wfields.TEXT(analyzer=MixedTokenizer(STEMMER), phrase=True)
    return wfields.Schema(**fields)


@functools.lru_cache(maxsize=None)
def schema() -> wfields.Schema:
    """The index schema (built on first use, then shared)."""
    return make_schema()


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
    stops = STOP_WORDS[STEMMER]
    for text in texts:
        for match in _RUNS.finditer(fold(text)):
            word = match.group(2)
            if word and len(word) >= 2 and not word.isdigit() and word.lower() not in stops:
                words.add(word.lower())
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


#: the facet values of a document, in the order ``_facet_bytes`` joins them
_COMBO_FIELDS = ("sector", "level", "direction", "code", "kind", "type", "current", "lang", "part")


def sort_key(code: str, version: str, order: int) -> int:
    """A document's place in the stable order (code, version, item order), packed into 64 bits."""
    digits = code.replace("-", "")
    number = int(digits) if digits.isdigit() and len(digits) <= 8 else 0
    major, _, minor = version.partition(".")
    major_n = min(int(major), 1023) if major.isdigit() else 0
    minor_n = min(int(minor), 1023) if minor.isdigit() else 0
    return (number << 40) | (major_n << 30) | (minor_n << 20) | min(order, (1 << 20) - 1)


def document_from(version: Any) -> list[dict[str, Any]]:
    """The index documents of one version: one for the standard, one per requirement and knowledge
    item of the work requirements, and one per knowledge item of the basic requirements.

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
                               " ".join(langs), ""),
        "sort": sort_key(code, number, 0),
    }
    standard_doc["title"] = "\n".join(t for parts in title_parts.values() for t in parts)
    standard_doc["body"] = "\n".join(t for parts in text_parts.values() for t in parts)
    spell_source.extend(t for parts in (*title_parts.values(), *text_parts.values()) for t in parts)
    docs.append(standard_doc)

    order = 0

    def item(kind: str, part: str, entry: dict, level: str, direction: str, context: list[dict[str, str]],
             ids: list[str], extra: dict[str, Any]) -> None:
        nonlocal order
        order += 1
        texts = _texts(entry.get("text"), master)
        item_langs = sorted({_field_lang(lang) for lang in texts})
        doc_fields = {
            **common, "id": f"{vid}/{entry['id']}", "kind": kind, "part": part, "level": level,
            "direction": direction, "lang": " ".join(item_langs), "ids": " ".join(i for i in ids if i),
            "exact": " ".join({_exact_key(t) for t in texts.values()}),
            "data": json.dumps({"text": texts, "title": title, "item_id": entry["id"], "number": entry.get("number"),
                                "master": master, "status": status, "draft_id": draft_id, "sector": sector,
                                "order": order, "part": part, **extra}, ensure_ascii=False),
            "facets": _facet_bytes(sector, level, direction, code, kind, std_type, current, " ".join(item_langs),
                                   part),
            "sort": sort_key(code, number, order),
            "body": "\n".join(texts.values()) + CONTEXT_MARK + "\n".join(t for names in context for t in names.values()),
        }
        for name in ("function", "work_content"):
            if extra.get(f"{name}_id"):
                doc_fields[name] = extra[f"{name}_id"]
        spell_source.extend(texts.values())
        docs.append(doc_fields)

    # the basic requirements (2.1.1 职业道德基本知识, 2.2 基础知识): knowledge for every level
    basic = doc.get("basic_requirements") or {}
    groups = [("", ETHICS_NAME, (basic.get("ethics") or {}).get("knowledge") or [])]
    groups += [(g.get("id", ""), _texts(g.get("title"), master), g.get("items") or [])
               for g in basic.get("basic_knowledge") or []]
    for group_id, group_name, entries in groups:
        for entry in entries:
            item("knowledge", "basic", entry, " ".join(levels), "", [group_name], [entry["id"], group_id],
                 {"group": group_name, "group_id": group_id or None, "level": None})

    # the work requirements: per level (and direction), function, work content
    for section in doc.get("work_requirements", {}).get("sections", []):
        level, direction = section.get("level", ""), section.get("direction") or ""
        for function in section.get("functions", []):
            function_id = function.get("function")
            fname = function_names.get(function_id, {})
            for content in function.get("work_contents", []):
                wname = _texts(content.get("name"), master)
                for kind, key in (("requirement", "requirements"), ("knowledge", "knowledge")):
                    for entry in content.get(key, []) or []:
                        item(kind, "work", entry, level, direction, [fname, wname],
                             [entry["id"], function_id, content.get("id")],
                             {"function": fname, "function_id": function_id, "work_content": wname,
                              "work_content_id": content.get("id"), "level": level,
                              "level_name": level_names.get(level, {}), "direction": direction,
                              "direction_name": direction_names.get(direction, {})})
    standard_doc["spell"] = _spell_words(spell_source)
    return docs


def _meta_doc(seq: int, gaps: dict[str, float] | None = None) -> dict[str, Any]:
    return {"id": META_ID, "kind": "meta", "current": "n",
            "data": json.dumps({"seq": seq, "format": FORMAT_VERSION, "written_at": time.time(),
                                "gaps": gaps or {}}),
            "facets": _facet_bytes("", "", "", "", "meta", "", "n", "", ""), "sort": (1 << 64) - 1}


# --- query parsing -----------------------------------------------------------------------------


@dataclass
class _Word:
    text: str
    phrase: bool = False
    prefix: bool = False
    fuzzy: int = 0
    start: int = 0
    code: str | None = None  # an occupation code typed as a word
    version: str | None = None  # with a version: 2-02-38-03@1.1
    ident: str | None = None  # looks like an item, function or work content ID (E-K1, F-collect)


@dataclass
class _Node:
    op: str  # and | or | not | word
    children: list = field(default_factory=list)
    word: _Word | None = None


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u300c": '"', "\u300d": '"', "\uff02": '"'})
_KEYWORDS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "&&": "AND", "||": "OR", "|": "OR"}
_CODE = re.compile(r"([1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2})(?:[@/:][vV]?((?:0|[1-9][0-9]{0,3})\.(?:0|[1-9][0-9]{0,3})))?")
_VERSION = re.compile(r"[vV]?((?:0|[1-9][0-9]{0,3})\.(?:0|[1-9][0-9]{0,3}))")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,79}")


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
            previous = tokens[-1][1] if tokens and tokens[-1][0] == "WORD" else None
            version = _VERSION.fullmatch(raw)
            if raw in _KEYWORDS:
                tokens.append((_KEYWORDS[raw], None, i))
            elif version and previous is not None and previous.code and previous.version is None:
                previous.version = version.group(1)  # "2-02-38-03 1.1": the code's version
            else:
                tokens.append(("WORD", _word(raw, i), i))
            i = j
    return tokens


def _word(raw: str, start: int) -> _Word:
    code = _CODE.fullmatch(raw)
    if code:
        return _Word(raw, start=start, code=code.group(1), version=code.group(2))
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
    if not word.prefix and not word.fuzzy and _IDENT.fullmatch(raw) and re.search(r"[-_.0-9]", raw):
        word.ident = raw.lower()
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
    tokens = _lex(q.translate(_QUOTES).translate(_FOLD))  # width only: positions stay those of q
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
#: the score of a hit whose item, function or work content ID is the query word
ID_SCORE = 20.0
#: the score a standard gets when its code is typed (its items get 1 and follow in document order)
CODE_SCORE = 10.0


def _terms(text: str) -> list[str]:
    return [t for t, _, _, _ in analyze(text, STEMMER, subwords=False)]


def _one_of(queries: list[wq.Query]) -> wq.Query | None:
    return None if not queries else queries[0] if len(queries) == 1 else _Or(queries)


class _Compiler:
    def __init__(self, reader):
        self.reader = reader
        self.highlight: dict[str, set[str]] = {"cjk": set(), "latin": set()}
        self.unknown: list[str] = []  # Latin words found nowhere (for "did you mean")
        self.scripts: set[str] = set()
        self.plain_terms: list[str] = []  # the terms of unquoted words outside NOT (for the phrase boost)
        self.dropped = 0  # particles dropped between them
        self.explicit_version = False  # the query names a version (2-02-38-03@1.0): any status may match
        self.term_count = 0
        self._negated = 0

    def compile(self, node: _Node) -> wq.Query:
        query = self._compile(node)
        return wq.NullQuery if query is None else query

    def _compile(self, node: _Node) -> wq.Query | None:
        """None stands for a word that analysis removed entirely (only stop words or punctuation)."""
        if node.op == "word":
            return self.word(node.word)
        if node.op == "not":
            inner = self._compile_negated(node.children[0])
            return None if inner is None else wq.Not(inner)
        if node.op == "or":
            return _one_of([q for q in (self._compile(c) for c in node.children) if q is not None])
        positives = [q for q in (self._compile(c) for c in node.children if c.op != "not") if q is not None]
        negatives = [q for q in (self._compile_negated(c.children[0]) for c in node.children if c.op == "not")
                     if q is not None]
        if not positives:
            return None
        query = positives[0] if len(positives) == 1 else wq.And(positives)
        if negatives:
            query = _AndNot(query, _one_of(negatives))
        return query

    def _compile_negated(self, node: _Node) -> wq.Query | None:
        self._negated += 1
        try:
            return self._compile(node)
        finally:
            self._negated -= 1

    def _note(self, terms: Iterable[str]) -> None:
        for term in terms:
            self.highlight["cjk" if has_cjk(term) else "latin"].add(term)

    def _count(self, n: int) -> None:
        self.term_count += n
        if self.term_count > MAX_QUERY_TERMS:
            raise BadRequest(f"the query has more than {MAX_QUERY_TERMS} terms: make it shorter",
                             details={"field": "q", "limit": MAX_QUERY_TERMS})

    def word(self, word: _Word) -> wq.Query | None:
        if word.code:
            return self.code(word)
        if word.prefix:
            return self.prefix(word)
        if word.fuzzy:
            return self.fuzzy(word)
        runs = list(_RUNS.finditer(word.text))
        if any(m.group(2) for m in runs):
            self.scripts.add("latin")
        if any(m.group(1) for m in runs):
            self.scripts.add("cjk")
        query = self.phrase(word) if word.phrase else self.plain(word)
        if word.ident:  # E-K1, F-collect: the items with that ID, first; else the words
            exact = wq.ConstantScoreQuery(wq.Term("ids", word.ident), ID_SCORE)
            return exact if query in (None, wq.NullQuery) else _Or([exact, query])
        return query

    def code(self, word: _Word) -> wq.Query:
        self._count(1)
        if word.version:
            self.explicit_version = True
            field_query = wq.Term("vid", version_key(word.code, word.version))
        else:
            field_query = wq.Term("code", word.code)
        standard = wq.And([field_query, wq.Term("kind", "standard")])
        return _Or([wq.ConstantScoreQuery(field_query, 1.0), wq.ConstantScoreQuery(standard, CODE_SCORE)])

    def _field_term(self, term: str) -> wq.Query | None:
        return _one_of([wq.Term(name, term, boost=boost) for name, boost in FIELD_BOOSTS.items()
                        if (name, term) in self.reader])

    def plain(self, word: _Word) -> wq.Query | None:
        """An unquoted word: its terms ANDed, each in any field; Chinese words also as their parts side by side."""
        tokens = analyze(word.text, STEMMER, subwords=False)
        kept = [(t, word.text[s:e]) for t, _, s, e in tokens if t not in CJK_STOP_WORDS]
        if not kept:
            return None  # only stop words or punctuation: as if the word were absent
        self._count(len(kept))
        if not self._negated:
            self.plain_terms.extend(t for t, _ in kept)
            self.dropped += len(tokens) - len(kept)
        self._note(t for t, _ in kept)
        clauses, missing = [], False
        for term, original in kept:
            alternatives = [q for q in [self._field_term(term)] if q is not None]
            if has_cjk(term) and len(term) > 2:
                # text that jieba cut differently (工程项目 + 管理 for 项目管理): the word's parts side by
                # side (a sub-word sits at the position of the word it comes from, so 项目 follows 工程项目)
                pieces = _pieces(term)
                phrases = [wq.Phrase(name, list(pieces), boost=boost) for name, boost in FIELD_BOOSTS.items()
                           if pieces and all((name, p) in self.reader for p in pieces)]
                if phrases:
                    self._note(pieces)
                    alternatives.extend(phrases)
            clause = _one_of(alternatives)
            if clause is None:
                missing = True
                if not has_cjk(term) and not word.ident:
                    self.unknown.append(original)
            clauses.append(clause)
        if missing:
            return wq.NullQuery
        return clauses[0] if len(clauses) == 1 else wq.And(clauses)

    def phrase(self, word: _Word) -> wq.Query | None:
        """Quoted text: the terms next to each other, in one field."""
        terms = _terms(word.text)
        if not terms:
            return None
        self._count(len(terms))
        self._note(terms)
        alternatives = []
        for fieldname, boost in FIELD_BOOSTS.items():
            if all((fieldname, t) in self.reader for t in terms):
                alternatives.append(wq.Term(fieldname, terms[0], boost=boost) if len(terms) == 1
                                    else wq.Phrase(fieldname, terms, boost=boost))
        return _one_of(alternatives) or wq.NullQuery

    def _any_of(self, terms: Iterable[str], weight: float = 0.8) -> wq.Query:
        terms = set(terms)
        self._note(terms)
        alternatives = [wq.Term(fieldname, term, boost=boost * weight)
                        for fieldname, boost in FIELD_BOOSTS.items() for term in sorted(terms)
                        if (fieldname, term) in self.reader]
        return _one_of(alternatives) or wq.NullQuery

    def _too_many(self, word: _Word, found: list) -> None:
        if len(found) > MAX_EXPANSIONS:
            raise BadRequest(f"{word.text!r}{'*' if word.prefix else '~'} matches more than {MAX_EXPANSIONS} words: "
                             "make it more specific", details={"field": "q", "limit": MAX_EXPANSIONS})

    def prefix(self, word: _Word) -> wq.Query:
        self._count(1)
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
            tail = self._any_of(tails, 1.0)
            head = [t for t in head if t not in CJK_STOP_WORDS]
            if not head:
                return tail
            self._note(head)  # like any unquoted word: the complete words and the prefix, ANDed
            parts = [self._field_term(t) for t in head]
            return wq.NullQuery if None in parts else wq.And([*parts, tail])
        if len(text) < MIN_PREFIX_CHARS or not re.fullmatch(r"[^\W_]+", text):
            raise BadRequest(f"a prefix needs at least {MIN_PREFIX_CHARS} letters or digits before *: {word.text!r}*",
                             details={"field": "q"})
        self.scripts.add("latin")
        words = _expand_prefix(self.reader, "spell", text, MAX_EXPANSIONS + 1)
        self._too_many(word, words)
        return self._any_of(t for w in words + [text] for t in _terms(w))

    def fuzzy(self, word: _Word) -> wq.Query:
        self._count(1)
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
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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


# --- problems ------------------------------------------------------------------------------------


class IndexProblem(Exception):
    """The index must be rebuilt: it is missing, unreadable, damaged, of another format, or ahead of
    a restored catalog. ``servable``: its generation can still answer searches meanwhile."""

    def __init__(self, message: str, *, servable: bool = False):
        super().__init__(message)
        self.servable = servable


class IndexDamaged(IndexProblem):
    """The engine failed to read the files of the current generation (their checksums disagree)."""


class SearchUnavailable(ServiceUnavailable):
    """The search cannot be answered now (the index is being rebuilt, or the server is too busy)."""


#: what reading damaged files raises, in the engine or in this module's use of what it read: zlib,
#: struct and pickle errors, short reads, bad values and positions, and Whoosh's own bare
#: ``Exception`` ("Block tag error"). The index is declared damaged only when its checksums then
#: disagree: the same errors from sound files are mistakes (500), not damage.
_DAMAGE_ERRORS = (zlib.error, struct.error, pickle.UnpicklingError, EOFError, OSError, ValueError, KeyError,
                  IndexError, UnicodeDecodeError, OverflowError, MemoryError)


def _may_be_damage(exc: BaseException) -> bool:
    return type(exc) is Exception or isinstance(exc, _DAMAGE_ERRORS)


# --- checksums -----------------------------------------------------------------------------------

_SEGMENT_FILE = re.compile(rf"{INDEX_NAME}_[0-9a-z]+\.[A-Za-z0-9_.]+")


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def _read_checksums(path: Path) -> dict[str, list[int]]:
    try:
        return json.loads((path / CHECKSUMS).read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise IndexProblem(f"damaged ({CHECKSUMS}: {exc})") from None


def _record_checksums(path: Path) -> None:
    """Add the segment files written since the last call to the generation's checksums (under the
    write lock); files already listed are never re-read, so later damage cannot be blessed."""
    try:
        checksums = _read_checksums(path)
    except IndexProblem:
        checksums = {}
    names = {n for n in os.listdir(path) if _SEGMENT_FILE.fullmatch(n)}
    changed = False
    for name in sorted(names - set(checksums)):
        checksums[name] = [(path / name).stat().st_size, _crc32(path / name)]
        changed = True
    for name in set(checksums) - names:
        del checksums[name]
        changed = True
    if changed:
        fd, temp = tempfile.mkstemp(dir=path, prefix=".checksums-", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(checksums, handle, sort_keys=True)
        os.replace(temp, path / CHECKSUMS)


# --- mirrors of the postings ----------------------------------------------------------------------

#: fields whose postings are not mirrored: the unique id (found through Whoosh) and the spelling
#: vocabulary (read through the lexicon only)
_UNMIRRORED = frozenset({"id", "spell"})


def _postings_of(segreader, fieldname: str, btext: bytes):
    """The matcher of a term's postings *including deleted documents* (the mirror of an immutable
    segment must not depend on the deletions of one generation; they are masked at search time)."""
    terms = getattr(segreader, "_terms", None)
    if terms is not None and hasattr(terms, "matcher"):
        return terms.matcher(fieldname, btext, segreader.schema[fieldname].format)
    return segreader.postings(fieldname, btext)


def _read_postings(matcher, values: bool) -> tuple[list[int], list[float], list[Any]]:
    """Every posting of a matcher: documents, weights and (when ``values``) raw values, read a block
    at a time from Whoosh's on-disk matcher (one posting at a time from any other)."""
    docs: list[int] = []
    weights: list[float] = []
    raw: list[Any] = []
    if all(hasattr(matcher, a) for a in ("_read_ids", "_read_weights", "_read_values", "_next_block")):
        while matcher.is_active():
            matcher._read_ids()
            docs.extend(matcher._ids)
            matcher._read_weights()
            weights.extend(matcher._weights)
            if values:
                matcher._read_values()
                raw.extend(matcher._values)
            matcher._next_block()
        return docs, weights, raw
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            raw.append(matcher.value())
        matcher.next()
    return docs, weights, raw


def _mirror(segreader) -> postings.Mirror:
    """The postings of one segment as arrays (see :mod:`registry.postings`)."""
    index_schema = segreader.schema
    count = segreader.doc_count_all()
    builder = postings.MirrorBuilder(count)
    for fieldname in sorted(segreader.indexed_field_names()):
        if fieldname in _UNMIRRORED or fieldname not in index_schema:
            continue
        field_type = index_schema[fieldname]
        fmt = field_type.format
        scored = bool(field_type.scorable)
        positional = scored and fmt.supports("positions")
        for btext in segreader.lexicon(fieldname):
            docs, weights, raw = _read_postings(_postings_of(segreader, fieldname, btext), positional)
            builder.add(fieldname, _text(btext), docs, weights if scored else None,
                        _position_gaps(fmt, raw) if positional else None)
        if field_type.scorable:
            builder.set_lengths(fieldname, [segreader.doc_field_length(d, fieldname, 0) or 0 for d in range(count)],
                                segreader.field_length(fieldname))
    return builder.build()


def _position_gaps(fmt, values: list[bytes]) -> list[list[int]]:
    """Per posting, the gaps between its positions (the first from 0). Whoosh's ``Positions`` keeps
    them pickled after a 4-byte count, its final STOP opcode sometimes trimmed; unpickled here directly
    (the positions are summed for every posting at once, in numpy), any other format through its own
    decoder."""
    if type(fmt) is not wformats.Positions:
        return [[b - a for a, b in zip([0, *p], p)] for p in map(fmt.decode_positions, values)]
    loads = pickle.loads
    return [loads(v[4:] if v[-1:] == b"." else v[4:] + b".") for v in values]


def _write_mirrors(path: Path, segments) -> None:
    """Write the mirror of each of ``segments`` that has none yet in the generation at ``path``."""
    storage = None
    for segment in segments:
        name = segment.segment_id()
        if (path / f"{name}.mirror.json").exists():
            continue
        if storage is None:
            from whoosh.filedb.filestore import FileStorage

            # memory-mapped: reading every posting once goes 40% faster than through read() calls
            # (the reader is closed at once, so the mapping's private copies do not last)
            storage = FileStorage(str(path))
        reader = SegmentReader(storage, schema(), segment)
        try:
            postings.write_mirror(_mirror(reader), path, name)
        finally:
            reader.close()


def _mirror_before_listing(writer, path: Path) -> None:
    """Have ``writer`` write the mirror of every new (or merged) segment before its commit lists it.

    Other processes open a generation's new table of contents within a tick of its commit; a
    segment listed without its mirror would make each of them copy its postings into memory."""
    commit_toc = writer._commit_toc

    def commit_toc_with_mirrors(segments) -> None:
        _write_mirrors(path, segments)
        commit_toc(segments)

    writer._commit_toc = commit_toc_with_mirrors


class _Unplannable(Exception):
    """A query the vectorised evaluation does not know (a mistake in this module, not the user's)."""


def _plan(query: wq.Query) -> postings.Plan:
    """The plan of a compiled Whoosh query, for :func:`registry.postings.evaluate`."""
    if query is wq.NullQuery:
        return postings.Nothing()
    kind = type(query)
    if kind is wq.Term:
        field_type = schema()[query.fieldname]
        return postings.Term(query.fieldname, _text(query.text), float(query.boost), bool(field_type.scorable))
    if getattr(query, "boost", 1.0) != 1.0 and kind is not wq.Phrase:
        raise _Unplannable(f"a boosted {kind.__name__}")
    if isinstance(query, _AndNot):
        return postings.AndNot(_plan(query.a), _plan(query.b))
    if kind is wq.AndMaybe:
        return postings.Maybe(_plan(query.a), _plan(query.b))
    if kind is wq.And:
        return postings.And(tuple(_plan(q) for q in query.subqueries))
    if isinstance(query, wq.Or) and not query.minmatch and query.scale is None:
        return postings.Or(tuple(_plan(q) for q in query.subqueries))
    if kind is wq.Not:
        return postings.Not(_plan(query.query))
    if kind is wq.ConstantScoreQuery:
        return postings.Const(_plan(query.child), float(query.score))
    if kind is wq.Phrase:
        return postings.Phrase(query.fieldname, tuple(_text(w) for w in query.words), int(query.slop),
                               float(query.boost))
    if kind is wq.Every:
        return postings.Every()
    raise _Unplannable(kind.__name__)


@dataclass
class _Segment:
    """What a search needs of one immutable segment, computed once per process."""

    mirror: postings.Mirror
    combos: np.ndarray  # per document: the id of its combination of facet values
    keys: np.ndarray  # per document: its place in the stable order (code, version, item order)


@dataclass
class _Part:
    segment: _Segment
    offset: int
    live: np.ndarray  # per document: not deleted in this generation


@dataclass
class _Layout:
    """The segments of one generation (plus, for a body's search, its drafts), laid end to end."""

    parts: list[_Part]
    stats: postings.Statistics = field(init=False)
    combos: np.ndarray = field(init=False)
    keys: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.stats = postings.Statistics([p.segment.mirror for p in self.parts])
        self.combos = np.concatenate([p.segment.combos for p in self.parts]) if self.parts else np.zeros(0, np.int64)
        self.keys = np.concatenate([p.segment.keys for p in self.parts]) if self.parts else np.zeros(0, np.uint64)

    def matches(self, plan: postings.Plan, deadline: float) -> tuple[np.ndarray, np.ndarray]:
        """The mask of the live documents ``plan`` matches, and their scores, over every part."""
        masks, scores = [], []
        for part in self.parts:
            try:
                mask, score = postings.evaluate(plan, part.segment.mirror, self.stats, deadline)
            except postings.TimeLimit:
                raise SearchUnavailable(f"the search took longer than {QUERY_TIME_LIMIT:g} s: the server is busy, "
                                        "retry shortly") from None
            masks.append(mask & part.live)
            scores.append(score)
        if not masks:
            return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.float32)
        return np.concatenate(masks), np.concatenate(scores)


def _live(segreader) -> np.ndarray:
    live = np.ones(segreader.doc_count_all(), dtype=bool)
    deleted = getattr(segreader, "deleted_docs_set", None)
    if deleted:
        live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
    return live


# --- opened generations --------------------------------------------------------------------------


def _open_index(path: str | Path):
    """The index in ``path``, its files read with ``pread``-like calls rather than memory-mapped: Whoosh
    copies each memory-mapped part it opens into a private buffer (every searcher would hold a copy
    of the whole index), while reads leave the data in the page cache, shared by every process."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(path), supports_mmap=False).open_index(INDEX_NAME, schema=schema())



def _open_searcher(ix, toc, previous=None) -> Searcher:
    """A searcher on generation ``toc``, reusing the readers of ``previous`` (an idle searcher of an
    older generation, not to be used afterwards) for the segments that did not change.

    (Not ``Searcher.refresh()``: Whoosh's reader reuse keeps segments the new generation no longer
    has, and a reused reader keeps the deletions it was opened with.)
    """
    old = {}
    if previous is not None:
        old = {r.segment().segment_id(): r for r, _ in previous.reader().leaf_readers() if r.segment() is not None}
    kept: set[int] = set()
    readers = []
    try:
        for segment in toc.segments:
            reuse = old.get(segment.segment_id())
            if reuse is not None and set(reuse.segment().deleted_docs()) == set(segment.deleted_docs()):
                readers.append(reuse)
                kept.add(id(reuse))
            else:
                readers.append(SegmentReader(ix.storage, schema(), segment, generation=toc.generation))
    except BaseException:
        for reader in readers:
            if id(reader) not in kept:
                reader.close()
        raise
    if not readers:
        reader = EmptyReader(schema())
    elif len(readers) == 1:
        reader = readers[0]
    else:
        reader = MultiReader(readers, generation=toc.generation)
    for reader_ in old.values():
        if id(reader_) not in kept:
            reader_.close()
    return Searcher(reader, fromindex=ix)


class _View:
    """One opened generation: what was derived from it, and a pool of searchers over it (a Whoosh
    searcher serves one thread at a time: its readers seek shared file objects)."""

    MAX_IDLE = 8

    def __init__(self, ix, toc, path: str, searcher, layout: _Layout, info: dict[str, Any]):
        self.ix, self.toc, self.path = ix, toc, path
        self.generation = toc.generation
        self.seq = int(info.get("seq", 0))
        self.format = info.get("format")
        self.gaps: dict[str, float] = dict(info.get("gaps") or {})
        self.layout = layout
        self._idle = [searcher]
        self._guard = threading.Lock()
        self.retired = False
        weakref.finalize(self, _close_searchers, self._idle)  # closes the files of an index never closed

    @contextmanager
    def lease(self) -> Iterator[Searcher]:
        with self._guard:
            searcher = self._idle.pop() if self._idle else None
        if searcher is None:
            searcher = _open_searcher(self.ix, self.toc)
        try:
            yield searcher
        finally:
            with self._guard:
                if not self.retired and len(self._idle) < self.MAX_IDLE:
                    self._idle.append(searcher)
                    searcher = None
            if searcher is not None:
                searcher.close()

    def take_idle(self) -> Searcher | None:
        with self._guard:
            return self._idle.pop() if self._idle else None

    def retire(self) -> None:
        with self._guard:
            self.retired = True
            idle, self._idle[:] = self._idle[:], []
        _close_searchers(idle)


def _close_searchers(searchers: list) -> None:
    for searcher in searchers:
        searcher.close()


def _stored_meta(ix) -> dict[str, Any]:
    with ix.searcher() as searcher:
        meta = searcher.document(id=META_ID)
    return json.loads(meta["data"]) if meta else {"seq": 0, "format": FORMAT_VERSION}


def _read(feed: ChangeFeed, after: int, limit: int, recheck: Collection[int] = (), *, records: bool = True) -> Changes:
    read = getattr(feed, "read", None)
    if read is not None:
        return read(after, limit, recheck, records=records)
    found, last = feed.changes(after, limit)
    return Changes(found, last)


#: how long a seq missing below the last one read is re-read (a transaction that took its seq
#: before another one but committed after it)
GAP_GRACE = 120.0
#: at most this many such seqs are remembered (the most recent)
MAX_GAPS = 1000


def _gaps_after(changes: Changes, after: int, gaps: dict[str, float], now: float) -> dict[str, float]:
    """The gaps still open after reading ``changes``: old ones not seen yet and young enough, and the
    seqs between ``after`` and ``changes.last`` the feed did not return."""
    if changes.seqs is None:
        return {}
    seen = set(changes.seqs)
    out = {s: t for s, t in gaps.items() if int(s) not in seen and now - t < GAP_GRACE}
    for seq in range(after + 1, changes.last + 1):
        if seq not in seen:
            out[str(seq)] = now
    if len(out) > MAX_GAPS:
        out = dict(sorted(out.items(), key=lambda item: int(item[0]))[-MAX_GAPS:])
    return out


# --- the index ---------------------------------------------------------------------------------


class SearchIndex:
    """The search index of one data directory, shared safely by every process that opens it."""

    def __init__(self, root: str | Path, *, check_interval: float = 0.1):
        self.root = Path(root)
        self.check_interval = check_interval
        set_cache_dir(self.root / "cache")
        self._lock = threading.RLock()
        self._view: _View | None = None
        self._checked = 0.0
        self._pid = os.getpid()
        self._segments: dict[str, _Segment] = {}
        self._facet_tables: tuple[int, dict[str, tuple[np.ndarray, np.ndarray, list[str]]]] = (0, {})
        self._combo_table: dict[bytes, int] = {}
        self._combo_values: list[tuple[str, ...]] = []
        self._overlays: dict[tuple, Any] = {}
        self._verified: set[tuple] = set()
        self._sound: dict[tuple, float] = {}  # generations found sound after a search error, and when

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
        """Raise :class:`IndexProblem` unless the current generation opens, reads cleanly, matches its
        checksums and is of this code's format."""
        path = self.current_dir()
        if path is None or not path.is_dir():
            raise IndexProblem("missing")
        reason = None
        with _quiet_files():  # a damaged index leaves half-opened files to the garbage collector
            try:
                self._probe(path)
            except IndexProblem:
                raise
            except Exception as exc:  # any failure to open or read means the files are damaged
                reason = f"unreadable ({type(exc).__name__}: {exc})"
                gc.collect()
        if reason is not None:
            raise IndexProblem(reason)

    def _probe(self, path: Path) -> None:
        ix = _open_index(path)
        toc = ix._read_toc()
        self._verify(path, toc.segments, full=True)
        with ix.searcher() as searcher:
            meta = searcher.document(id=META_ID)
            if meta is None:
                raise IndexProblem("damaged (no meta document)")
            info = json.loads(meta["data"])
            if info.get("format") != FORMAT_VERSION:
                raise IndexProblem(f"of format {info.get('format')} (this code writes {FORMAT_VERSION})",
                                   servable=(info.get("format") or 0) >= MIN_SERVABLE_FORMAT)
            reader = searcher.reader()
            for docnum in range(reader.doc_count_all()):
                if not reader.is_deleted(docnum):
                    reader.stored_fields(docnum)
                    break
            searcher.search(wq.Term("kind", "standard"), limit=1)

    def _verify(self, path: Path, segments, *, full: bool) -> int:
        """Check the files of ``segments`` against the generation's checksums (each file once per
        process unless ``full``); raise :class:`IndexProblem` on a mismatch. Returns how many files
        had no checksum to check (written by an older version, or listed a moment after commit)."""
        checksums = _read_checksums(path)
        names = os.listdir(path)
        unlisted = 0
        for segment in segments:
            prefix = segment.segment_id() + "."
            files = [n for n in names if n.startswith(prefix)]
            if not files:
                raise FileNotFoundError(f"segment {segment.segment_id()} has no files")
            for name in files:
                expected = checksums.get(name)
                if expected is None:
                    unlisted += 1
                    continue
                file = path / name
                info = file.stat()
                mark = (str(file), info.st_size, info.st_mtime_ns)
                if not full and mark in self._verified:
                    continue
                if info.st_size != expected[0] or _crc32(file) != expected[1]:
                    raise IndexDamaged(f"damaged ({name} does not match its checksum)")
                self._verified.add(mark)
        return unlisted

    def _confirm_damage(self, exc: BaseException) -> None:
        """A search failed with an error that damaged files could cause: raise :class:`IndexDamaged`
        when the files disagree with their checksums (or have none); return when they are sound, so
        that the error is reported as what it is. A sound generation is not re-checked for a minute."""
        path = self.current_dir()
        mark = (str(path), self._view.generation if self._view is not None else None)
        if self._sound.get(mark, -math.inf) > time.monotonic() - 60:
            return
        try:
            if path is None:
                raise IndexProblem("missing")
            ix = _open_index(path)
            unlisted = self._verify(path, ix._read_toc().segments, full=True)
        except IndexProblem as problem:
            reason = str(problem)
        except Exception as error:
            reason = f"unreadable ({type(error).__name__}: {error})"
        else:
            if not unlisted:
                self._sound = {mark: time.monotonic()}
                return
            reason = f"unreadable ({type(exc).__name__}: {exc})"
        log.error("search index at %s is %s: %s.%s while searching", self.root, reason, type(exc).__module__,
                  type(exc).__name__)
        self._discard_view()
        raise IndexDamaged(reason) from exc

    # -- opening and refreshing

    def _open_view(self) -> _View:
        path = self.current_dir()
        if path is None:
            raise IndexProblem("missing")
        last_error = ""
        for _ in range(5):  # a writer may delete an old generation's files while we open it
            with _quiet_files():
                try:
                    ix = _open_index(path)
                    toc = ix._read_toc()
                    self._verify(path, toc.segments, full=False)
                    return self._make_view(ix, toc, str(path), _open_searcher(ix, toc))
                except (OSError, EOFError, ValueError, KeyError) as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
                gc.collect()
            time.sleep(0.02)
            path = self.current_dir() or path
        raise IndexProblem(f"unreadable ({last_error})")

    def _make_view(self, ix, toc, path: str, searcher) -> _View:
        try:
            meta = searcher.document(id=META_ID)
            info = json.loads(meta["data"]) if meta else {}
            layout = self._layout(searcher.reader(), folder=Path(path))
        except BaseException:
            searcher.close()
            raise
        return _View(ix, toc, path, searcher, layout, info)

    def _combo(self, raw: bytes) -> int:
        combo = self._combo_table.get(raw)
        if combo is None:
            values = tuple(raw.decode().split("\x1f")) if raw else ()
            values += ("",) * (len(_COMBO_FIELDS) - len(values))
            combo = self._combo_table[raw] = len(self._combo_values)
            self._combo_values.append(values)
        return combo

    def _layout(self, reader, *, folder: Path | None) -> _Layout:
        """The parts of ``reader``'s segments: each segment's mirror (read from ``folder``, the
        generation's directory) and per-document arrays, loaded once per process (segments never
        change); and this generation's deletions. Without ``folder`` (drafts held in memory)
        nothing is cached."""
        cache = folder is not None
        parts, offset, live = [], 0, set()
        with self._lock:
            for segreader, _ in reader.leaf_readers():
                segment = getattr(segreader, "segment", lambda: None)()
                name = segment.segment_id() if cache and segment is not None else None
                data = self._segments.get(name) if name else None
                if data is None:
                    data = self._segment_data(segreader, name, folder)
                    if name:
                        self._segments[name] = data
                if name:
                    live.add(name)
                parts.append(_Part(data, offset, _live(segreader)))
                offset += data.mirror.doc_count
            if cache:
                for name in set(self._segments) - live:
                    del self._segments[name]
        return _Layout(parts)

    def _segment_data(self, segreader, name: str | None, folder: Path | None) -> _Segment:
        count = segreader.doc_count_all()
        if segreader.has_column("facets"):
            combos = np.fromiter(map(self._combo, segreader.column_reader("facets")), dtype=np.int64, count=count)
        else:
            combos = np.full(count, self._combo(b""), dtype=np.int64)
        if segreader.has_column("sort"):
            keys = np.fromiter(segreader.column_reader("sort"), dtype=np.uint64, count=count)
        else:
            keys = np.zeros(count, dtype=np.uint64)
        mirror = postings.read_mirror(folder, name) if name and folder else None
        if mirror is None:
            if name and count > 5000:  # written with the segment; missing only for a moment after a commit
                log.info("search: mirroring segment %s (%d documents) in memory", name, count)
            mirror = _mirror(segreader)
        return _Segment(mirror, combos, keys)

    def _current(self, force: bool = False) -> _View:
        """The view of the current generation, reopened when another writer committed since. Unless
        ``force``, a thread that finds another one reopening it goes on with the view it has."""
        view = self._view
        if view is not None and not force and os.getpid() == self._pid:
            if time.monotonic() - self._checked < self.check_interval or not self._lock.acquire(blocking=False):
                return view
        else:
            self._lock.acquire()
        try:
            return self._current_locked(force)
        finally:
            self._lock.release()

    def _current_locked(self, force: bool) -> _View:
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
            fresh = self._open_view()
        else:
            try:
                if view.ix.latest_generation() == view.generation:
                    return view
            except OSError:
                pass
            fresh = self._reopen(view)
        self._view = fresh
        view.retire()
        return fresh

    def _reopen(self, view: _View) -> _View:
        """A view of the latest generation of the same directory, reusing an idle searcher's readers."""
        for _ in range(5):
            previous = None
            try:
                toc = view.ix._read_toc()
                self._verify(Path(view.path), toc.segments, full=False)
                previous = view.take_idle()
                searcher = _open_searcher(view.ix, toc, previous)
                previous = None
                return self._make_view(view.ix, toc, view.path, searcher)
            except (OSError, EOFError, ValueError, KeyError):
                if previous is not None:
                    previous.close()
                time.sleep(0.02)
        return self._open_view()

    def _discard_view(self) -> None:
        with self._lock:
            view, self._view = self._view, None
            self._segments.clear()  # the memory maps of a dropped generation go with it
        if view is not None:
            view.retire()

    def refresh(self) -> int:
        """Reopen the current generation if it changed (another process wrote or rebuilt it), and check
        that its files did not change since they were verified (a ``stat`` each; a changed file is
        verified again: :class:`IndexDamaged` when it no longer matches). Returns the last change-log
        seq the generation applied."""
        view = self._current(force=True)
        try:
            self._verify(Path(view.path), view.toc.segments, full=False)
        except FileNotFoundError:
            pass  # merged away by a writer a moment ago: the next refresh opens the new generation
        except IndexDamaged:
            self._discard_view()
            raise
        return view.seq

    def close(self) -> None:
        with self._lock:
            view, self._view = self._view, None
            self._segments.clear()
        if view is not None and os.getpid() == self._pid:
            view.retire()

    def last_seq(self) -> int:
        """The last change-log seq applied to the current generation."""
        return self._current(force=True).seq

    # -- writing

    def _writable(self):
        path = self.current_dir()
        if path is None:
            raise IndexProblem("missing")
        return _open_index(path), path

    @staticmethod
    def _apply(ix, path: Path, records: Sequence[VersionRecord | Removal], seq: int | None,
               gaps: dict[str, float] | None = None) -> None:
        writer = ix.writer(timeout=30.0, delay=0.05)
        try:
            for record in records:
                writer.delete_by_term("vid", record.key)
                if isinstance(record, VersionRecord) and record.status in ("published", "superseded"):
                    for doc in document_from(record):
                        writer.add_document(**doc)
            if seq is not None:
                writer.update_document(**_meta_doc(seq, gaps))
        except BaseException:
            writer.cancel()
            raise
        _mirror_before_listing(writer, path)
        writer.commit()
        _record_checksums(path)

    @staticmethod
    def _check_format(info: dict[str, Any]) -> None:
        if info.get("format") != FORMAT_VERSION:
            raise IndexProblem(f"of format {info.get('format')} (this code writes {FORMAT_VERSION})",
                               servable=(info.get("format") or 0) >= MIN_SERVABLE_FORMAT)

    def apply(self, records: Sequence[VersionRecord | Removal], seq: int | None = None, *,
              timeout: float = 600.0) -> None:
        """Write versions (index published and superseded ones, drop the rest) in one commit."""
        with file_lock(self.write_lock_path, timeout) as locked:
            if not locked:
                raise SearchUnavailable("the search index is busy; retry shortly")
            ix, path = self._writable()
            info = _stored_meta(ix)
            self._check_format(info)
            if seq is not None:
                seq = max(seq, int(info.get("seq", 0)))
            self._apply(ix, path, records, seq, info.get("gaps"))
        self._current(force=True)

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
        """Apply the change log's entries after the index's seq (and those of earlier gaps that have
        appeared since), one commit per batch; returns how many versions were written.

        Without ``wait``, gives up at once when another process holds the write lock (that process
        is applying the same entries, and this one will see them on its next refresh).
        """
        head = feed.head()
        view = self._current(force=True)
        if head < view.seq:
            raise IndexProblem(f"ahead of the catalog (index at change {view.seq}, catalog at {head}: "
                               "the catalog was restored or replaced)", servable=True)
        self._check_format({"format": view.format})
        if head == view.seq and not view.gaps:
            return 0
        applied = 0
        with file_lock(self.write_lock_path, None if wait else 0) as locked:
            if not locked:
                return 0
            ix, path = self._writable()
            info = _stored_meta(ix)
            self._check_format(info)
            after, gaps = int(info.get("seq", 0)), dict(info.get("gaps") or {})
            batches = 0
            while max_batches is None or batches < max_batches:
                step = self._step(path, feed, after, gaps, batch)
                if step is None:
                    break
                after, gaps, written = step
                applied += written
                batches += 1
                if after >= head:
                    break
        self._current(force=True)
        return applied

    def _step(self, path: Path, feed: ChangeFeed, after: int, gaps: dict[str, float],
              batch: int) -> tuple[int, dict[str, float], int] | None:
        """Read the change log after ``after`` (and the gaps) and commit what it says to the generation
        at ``path`` (under the write lock); None when there was nothing to commit."""
        changes = _read(feed, after, batch, sorted(int(s) for s in gaps))
        last = max(after, changes.last)
        fresh = _gaps_after(changes, after, gaps, time.time())
        if not changes.records and last == after and fresh == gaps:
            return None
        self._apply(_open_index(path), path, changes.records, last,
                    fresh)
        return last, fresh, len(changes.records)

    # -- rebuilding

    def rebuild(self, feed: ChangeFeed, *, procs: int | None = None, reason: str = "requested") -> dict[str, Any]:
        """Build a new generation from the catalog (``procs`` processes) and swap it in atomically."""
        with file_lock(self.build_lock_path, None):
            return self._rebuild_locked(feed, procs, reason)

    def _rebuild_locked(self, feed: ChangeFeed, procs: int | None, reason: str) -> dict[str, Any]:
        started = time.monotonic()
        procs = max(1, procs or _default_procs(feed))
        self.root.mkdir(parents=True, exist_ok=True)
        seq = feed.head()  # read first: anything published meanwhile is replayed after the build
        target = Path(tempfile.mkdtemp(prefix=f"gen-{time.strftime('%Y%m%dT%H%M%S')}-", dir=self.root))
        try:
            count = _build(target, feed, seq, procs)
            with file_lock(self.write_lock_path, None):
                # seqs missing just below the head may still commit: re-read them for a while
                window = _read(feed, max(0, seq - MAX_GAPS), MAX_GAPS, records=False)
                gaps = _gaps_after(Changes([], min(seq, window.last), window.seqs), max(0, seq - MAX_GAPS), {},
                                   time.time())
                after, head = seq, feed.head()
                if gaps:
                    self._apply(_open_index(target), target, [],
                                after, gaps)
                while after < head or gaps:  # replay what was published during the build
                    step = self._step(target, feed, after, gaps, 500)
                    if step is None:
                        break
                    after, gaps, _ = step
                previous = self.current_dir()
                link = self.root / f".current-{os.getpid()}-{threading.get_ident()}"
                if link.is_symlink():
                    link.unlink()
                os.symlink(target.name, link)
                os.replace(link, self.current_link)
                postings.fsync_directory(self.root)
            self._clean(keep={target, previous})
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self._current(force=True)
        seconds = time.monotonic() - started
        log.info("search index rebuilt in %s (%s): %d documents, seq %d, %.1f s, %d process(es)",
                 target, reason, count, seq, seconds, procs)
        return {"path": str(target), "documents": count, "seq": self.last_seq(), "seconds": seconds, "procs": procs}

    def _clean(self, keep: set) -> None:
        keep = {p.resolve() for p in keep if p is not None}
        for entry in self.root.glob("gen-*"):
            if entry.resolve() not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    def generation_dir(self) -> str | None:
        """The directory of the current generation (changes only when the index is rebuilt)."""
        path = self.current_dir()
        return None if path is None else str(path)

    def ensure(self, feed: ChangeFeed, *, procs: int | None = None, replace: str | None = None) -> str | None:
        """Check the index; rebuild it (with a log line) when it is missing, damaged or stale, or when
        ``replace`` (a generation directory known to be bad) is still the current one.

        Only one process per index directory rebuilds: the others wait for it, then find the index
        sound. Returns the problem that caused a rebuild, or None when the index was sound.
        """
        def problem() -> str | None:
            try:
                self.check()
            except IndexProblem as found:
                return str(found)
            if replace is not None and self.generation_dir() == replace:
                return "damaged (the engine failed to read it)"
            return None

        if problem() is None:
            return None
        with file_lock(self.build_lock_path, None):
            reason = problem()  # another process may have rebuilt it while we waited
            if reason is None:
                return None
            log.warning("search index at %s is %s: rebuilding it from the catalog", self.root, reason)
            self._rebuild_locked(feed, procs, reason)
        return reason

    # -- searching

    def search(self, request: SearchRequest, overlay: Sequence[VersionRecord] = ()) -> SearchResult:
        """Run a search; ``overlay`` adds versions that are not in the index (a body's drafts).

        Raises :class:`IndexProblem` when the index cannot answer (:class:`IndexDamaged` when the
        engine failed on damaged files), :class:`SearchUnavailable` past the time limit and
        ``BadRequest`` for a malformed or pathological query (checked before anything runs).
        """
        _check_paging(request)
        node = parse_query(request.q.strip())
        for attempt in (1, 2):
            try:
                view = self._current(force=attempt == 2)
                with view.lease() as searcher:
                    if overlay:
                        return self._search_with_overlay(view, searcher, request, node, overlay)
                    return self._run(searcher, view.layout, request, node, view.seq)
            except (BadRequest, ServiceUnavailable, IndexProblem):
                raise
            except Exception as exc:
                if isinstance(exc, FileNotFoundError) and attempt == 1:
                    continue  # a writer deleted an old generation's files under us: retry on the new one
                if not _may_be_damage(exc):
                    raise
                self._confirm_damage(exc)
                raise
        raise AssertionError("unreachable")

    def _search_with_overlay(self, view: _View, searcher, request, node, overlay) -> SearchResult:
        key = tuple((r.key, r.fingerprint) for r in overlay)
        with self._lock:
            cached = self._overlays.get(key) if all(r.fingerprint for r in overlay) else None
        if cached is None:
            ram = RamStorage().create_index(schema())
            writer = ram.writer()
            for record in overlay:
                for doc in document_from(record):
                    writer.add_document(**doc)
            writer.commit()
            reader = ram.reader()
            try:
                drafts = self._layout(reader, folder=None).parts
            finally:
                reader.close()
            cached = (ram, drafts)
            with self._lock:
                if len(self._overlays) >= 16:
                    self._overlays.pop(next(iter(self._overlays)))
                self._overlays[key] = cached
        ram, drafts = cached
        ram_reader = ram.reader()
        readers = [r for r, _ in searcher.reader().leaf_readers()] + [r for r, _ in ram_reader.leaf_readers()]
        combined = Searcher(MultiReader(readers), fromindex=None, closereader=False)
        offset = sum(p.segment.mirror.doc_count for p in view.layout.parts)
        parts = list(view.layout.parts)
        for part in drafts:
            parts.append(_Part(part.segment, offset, part.live))
            offset += part.segment.mirror.doc_count
        try:
            return self._run(combined, _Layout(parts), request, node, view.seq, drafts=True)
        finally:
            ram_reader.close()

    def _run(self, searcher, layout: _Layout, request: SearchRequest, node, seq: int,
             drafts: bool = False) -> SearchResult:
        deadline = time.monotonic() + QUERY_TIME_LIMIT
        compiler = _Compiler(searcher.reader())
        text_query = None if node is None else compiler.compile(node)
        query = _combine(text_query, _filters(request, drafts, compiler.explicit_version))
        if text_query is not None:
            boost = _boosts(request.q, compiler, node)
            query = wq.AndMaybe(query, boost) if boost is not None else query
        mask, scores = layout.matches(_plan(query), deadline)
        candidates = np.flatnonzero(mask)
        window = request.page * request.per_page
        ranked = postings.top(candidates, None if text_query is None else scores, layout.keys, window)
        display = _display_language(request, compiler)
        first = (request.page - 1) * request.per_page
        hits = [_hit(searcher.stored_fields(int(d)), round(float(scores[d]), 4) if text_query is not None else 0.0,
                     display, compiler.highlight)
                for d in ranked[first:window]]
        facets = self._facets(layout.combos, candidates)
        suggestion = None
        if compiler.unknown:
            suggestion = _suggest(searcher, request.q, compiler,
                                  lambda text: self._has_hits(searcher, layout, text, request, drafts, deadline))
        return SearchResult(len(candidates), hits, facets, suggestion, request.page, request.per_page, seq)

    @staticmethod
    def _has_hits(searcher, layout: _Layout, text: str, request: SearchRequest, drafts: bool,
                  deadline: float) -> bool:
        try:
            node = parse_query(text)
            if node is None:
                return False
            compiler = _Compiler(searcher.reader())
            query = _combine(compiler.compile(node), _filters(request, drafts, compiler.explicit_version))
        except BadRequest:
            return False
        try:
            mask, _ = layout.matches(_plan(query), deadline)
        except SearchUnavailable:  # out of time: the results found stand, without a suggestion
            return False
        return bool(mask.any())

    def _facets(self, combos: np.ndarray, candidates: np.ndarray) -> dict[str, list[dict]]:
        """Counts of each facet's values over the matches, from the counts of each combination of
        values (one ``bincount``) spread to the values each combination holds (one per facet)."""
        tables = self._facet_incidence()
        per_combo = np.bincount(combos[candidates], minlength=len(self._combo_values)).astype(np.float64)
        out = {}
        for name in FACETS:
            combo_of, value_of, values = tables[name]
            counts = np.bincount(value_of, weights=per_combo[combo_of], minlength=len(values))
            found = [(values[i], int(counts[i])) for i in np.flatnonzero(counts) if values[i]]
            out[name] = [{"value": v, "count": c} for v, c in sorted(found, key=lambda item: (-item[1], item[0]))]
        return out

    def _facet_incidence(self) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
        """Per facet: pairs (combination, value) for every value each combination holds, and the values
        (rebuilt only when new combinations have appeared)."""
        known, tables = self._facet_tables
        # a copy without the lock (appends happen under it, and a list copy sees whole tuples): a
        # search never waits for another thread that is opening a new generation
        combos = self._combo_values[:]
        if known == len(combos):
            return tables
        columns = {"sector": 0, "level": 1, "direction": 2, "occupation": 3, "kind": 4, "type": 5, "part": 8}
        multi = {"level", "direction"}
        tables = {}
        for name, column in columns.items():
            index: dict[str, int] = {}
            combo_of: list[int] = []
            value_of: list[int] = []
            for combo, values in enumerate(combos):
                for value in (values[column].split() if name in multi else [values[column]]):
                    combo_of.append(combo)
                    value_of.append(index.setdefault(value, len(index)))
            tables[name] = (np.asarray(combo_of, dtype=np.int64), np.asarray(value_of, dtype=np.int64), list(index))
        self._facet_tables = (len(combos), tables)
        return tables


def _default_procs(feed: ChangeFeed) -> int:
    """Two build processes when there are two cores and enough versions to pay for starting them."""
    cores = min(2, os.cpu_count() or 1)
    count = getattr(feed, "count", None)
    if cores > 1 and count is not None and count() < PARALLEL_MIN_VERSIONS:
        return 1
    return cores


#: below this many versions a rebuild runs in one process (starting workers costs more than it saves)
PARALLEL_MIN_VERSIONS = 200


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
    if request.part is not None and request.part not in PARTS:
        raise BadRequest(f"part must be one of {', '.join(PARTS)}", details={"field": "part"})


def _filters(request: SearchRequest, drafts: bool, any_status: bool = False) -> tuple[list[wq.Query], list[wq.Query]]:
    """Terms every hit must have, and terms no hit may have (small lists: cheap to skip over)."""
    terms: list[wq.Query] = []
    for fieldname, value in (("kind", request.kind), ("sector", request.sector), ("level", request.level),
                             ("direction", request.direction), ("code", request.code), ("type", request.type),
                             ("part", request.part), ("function", request.function),
                             ("work_content", request.work_content)):
        if value:
            terms.append(wq.Term(fieldname, value))
    if request.lang:
        terms.append(wq.Term("lang", _field_lang(request.lang)))
    # the meta document is current="n", so excluding old versions excludes it too; a version named in
    # the query (2-02-38-03@1.0) is searched whatever its status
    excluded = [wq.Term("kind", "meta")] if request.all_versions or any_status else [wq.Term("current", "n")]
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
    """Optional clauses that lift exact matches and, for several terms, matches of them side by side."""
    if node is None:
        return None
    clauses: list[wq.Query] = [wq.Term("exact", _exact_key(q), boost=8.0)]
    terms = compiler.plain_terms
    if len(terms) >= 2 and node.op in ("and", "word") and all(("body", t) in compiler.reader for t in terms):
        clauses.append(wq.Phrase("body", terms, slop=2 if compiler.dropped else 1, boost=2.0))
    return _one_of(clauses)


def _display_language(request: SearchRequest, compiler: _Compiler) -> str:
    if request.lang or request.display_lang:
        return request.lang or request.display_lang  # type: ignore[return-value]
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
            "number": data.get("number"), "snippet": _item_snippet(text, text_lang, terms, work_content, function, group)}


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


def _suggest(searcher, q: str, compiler: _Compiler, has_hits: Callable[[str], bool]) -> str | None:
    """ "Did you mean": each unknown Latin word (but a field name) replaced by the closest, most
    frequent known word that is not a stop word, when the corrected query finds something."""
    reader = searcher.reader()
    suggestion, changed = q, False
    for word in dict.fromkeys(compiler.unknown):
        lowered = word.lower()
        if len(lowered) < 3 or lowered in FIELD_WORDS:
            continue
        candidates = []
        for distance in (1, 2):
            # (field names are offered: the spell lexicon holds only words of the documents, and
            # "data", "level" or "function" are the corpus's commonest words)
            candidates = [c for c in _terms_within(reader, "spell", lowered, distance, 200)
                          if c != lowered and c not in FUNCTION_WORDS]
            if candidates:
                break
        if not candidates:
            continue
        best = min(candidates, key=lambda c: (_edit_distance(lowered, c), -reader.doc_frequency("spell", c), c))
        suggestion = re.sub(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", best, suggestion, flags=re.IGNORECASE)
        changed = True
    return suggestion if changed and has_hits(suggestion) else None


# --- building a generation in several processes -------------------------------------------------


def _build(target: Path, feed: ChangeFeed, seq: int, procs: int) -> int:
    """Write every published and superseded version into a new index at ``target``.

    With ``procs`` > 1, each worker process reads its share of the versions from the catalog and
    writes its own segment; the segments are then listed in one table of contents without being
    merged (merging is what made Whoosh's own ``procs=2`` slower than one process). Workers are
    forked when this is the process's only thread, else spawned (forking a process that runs other
    threads can copy their locks held).
    """
    from whoosh.writing import SegmentWriter

    _segmenter()  # load once before forking: the workers share it
    ix = windex.create_in(str(target), schema(), indexname=INDEX_NAME)
    if procs <= 1:
        writer = ix.writer(limitmb=256)
        count = 0
        for record in feed.versions(0, 1):
            for doc in document_from(record):
                writer.add_document(**doc)
                count += 1
        writer.add_document(**_meta_doc(seq))
        _mirror_before_listing(writer, target)
        writer.commit(merge=False)
        _record_checksums(target)
        return count + 1

    import multiprocessing

    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    results = context.Queue()
    cache = str(_jieba_trie_path().parent)
    workers = [context.Process(target=_build_part, args=(str(target), feed, part, procs, results, cache), daemon=True)
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
    _write_mirrors(target, final)  # the meta document's segment (the workers wrote their own), before it is listed
    writer._commit_toc(final)
    writer._finish()
    _record_checksums(target)
    return count + 1


def _build_part(path: str, feed: ChangeFeed, part: int, parts: int, results, cache: str) -> None:
    try:
        from whoosh.writing import SegmentWriter

        set_cache_dir(cache)
        own = feed.worker_copy()
        ix = _open_index(path)
        writer = SegmentWriter(ix, _lk=False, limitmb=192)
        count = 0
        for record in own.versions(part, parts):
            for doc in document_from(record):
                writer.add_document(**doc)
                count += 1
        if count:
            segment = writer._finalize_segment()
            _write_mirrors(Path(path), [segment])  # in this worker: both cores mirror their own segment
        else:
            writer.cancel()
            segment = None
        results.put(("ok", segment, count))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", f"{type(exc).__name__}: {exc}", 0))
