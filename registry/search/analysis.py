"""Text analysis: the one tokenizer of every text field, at index and at query time.

Text is folded first (:mod:`registry.search.folding`). Runs of CJK characters are segmented by jieba
(default mode, no HMM, so the same text always gives the same words; the dictionary is a memory-mapped
marisa trie, cached in the index directory), and jieba's search-mode sub-words are emitted *at the
position of the word they come from*, so phrase queries over default-mode words still line up. Runs
of Latin letters and digits are lower-cased and stemmed by Snowball (PyStemmer), one position per
word. jieba and the stemmers are loaded on first use.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from .folding import RUNS, fold_map

#: the stemmer of Latin-script words, in every language (the same at index and query time)
STEMMER = "english"

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


# --- jieba, with its dictionary in a memory-mapped trie ---------------------------------------------

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


def jieba_trie_path() -> Path:
    """The file of jieba's dictionary trie, in the cache folder (written by :func:`segmenter` when missing)."""
    import jieba

    dictionary = Path(jieba.__file__).parent / "dict.txt"
    stat = dictionary.stat()
    digest = hashlib.sha256(f"{jieba.__version__}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    folder = _CACHE_DIR or _private_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"jieba-{digest}.marisa"


def segmenter():
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
        path = jieba_trie_path()
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
def word_pieces(word: str) -> tuple[str, ...]:
    """The fewest dictionary words (2+ characters, shorter than ``word``) that cut it into parts.

    数据采集 → (数据, 采集): a query word then also matches text that jieba cut differently.
    Empty when no such cut exists.
    """
    freq = segmenter().FREQ
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
    folded, spans = fold_map(text)
    out: list[tuple[str, int, int, int]] = []
    pos = 0
    stops = STOP_WORDS.get(stem or "", frozenset())
    stemmer = _stemmer(stem) if stem else None
    jieba = None
    for match in RUNS.finditer(folded):
        start = match.start()
        if match.group(1):
            jieba = jieba or segmenter()
            freq = jieba.FREQ
            offset = start
            for word in jieba.cut(match.group(1), HMM=False):
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
