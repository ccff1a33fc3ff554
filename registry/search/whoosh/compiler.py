"""From a parsed query (:mod:`registry.search.query`) to a Whoosh query, against the index's lexicon.

Unquoted words: their terms ANDed, each in any field; a Chinese word also matches as the dictionary
words it is made of, side by side (数据采集 = "数据 采集"). Quoted text: a strict phrase. An occupation
code finds the standard and its items; an ID finds those items first. Prefixes and fuzzy words expand
to the lexicon's words, within limits. The compiler also notes what highlighting, "did you mean" and
the phrase boost need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from whoosh import query as wq

from ...errors import BadRequest
from ..analysis import CJK_STOP_WORDS, STEMMER, analyze, word_pieces
from ..documents import exact_key
from ..folding import RUNS, has_cjk
from ..query import MAX_EXPANSIONS, MAX_QUERY_TERMS, MIN_CJK_PREFIX_CHARS, MIN_PREFIX_CHARS, Node, Word
from ..records import version_key
from .queries import AndNot, Or, one_of
from .queries import text as term_text

#: field -> boost (a standard's title and keywords rank above any text)
FIELD_BOOSTS = {"title": 4.0, "body": 1.0}
#: the score of a hit whose item, function or work content ID is the query word
ID_SCORE = 20.0
#: the score a standard gets when its code is typed (its items get 1 and follow in document order)
CODE_SCORE = 10.0


def _terms(text: str) -> list[str]:
    return [t for t, _, _, _ in analyze(text, STEMMER, subwords=False)]


class Compiler:
    """Compiles parsed queries against one reader's lexicon (one compiler per search)."""

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

    def compile(self, node: Node) -> wq.Query:
        query = self._compile(node)
        return wq.NullQuery if query is None else query

    def _compile(self, node: Node) -> wq.Query | None:
        """None stands for a word that analysis removed entirely (only stop words or punctuation)."""
        if node.op == "word":
            return self.word(node.word)
        if node.op == "not":
            inner = self._compile_negated(node.children[0])
            return None if inner is None else wq.Not(inner)
        if node.op == "or":
            return one_of([q for q in (self._compile(c) for c in node.children) if q is not None])
        positives = [q for q in (self._compile(c) for c in node.children if c.op != "not") if q is not None]
        negatives = [q for q in (self._compile_negated(c.children[0]) for c in node.children if c.op == "not")
                     if q is not None]
        if not positives:
            return None
        query = positives[0] if len(positives) == 1 else wq.And(positives)
        if negatives:
            query = AndNot(query, one_of(negatives))
        return query

    def _compile_negated(self, node: Node) -> wq.Query | None:
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

    def word(self, word: Word) -> wq.Query | None:
        if word.code:
            return self.code(word)
        if word.prefix:
            return self.prefix(word)
        if word.fuzzy:
            return self.fuzzy(word)
        runs = list(RUNS.finditer(word.text))
        if any(m.group(2) for m in runs):
            self.scripts.add("latin")
        if any(m.group(1) for m in runs):
            self.scripts.add("cjk")
        query = self.phrase(word) if word.phrase else self.plain(word)
        if word.ident:  # E-K1, F-collect: the items with that ID, first; else the words
            exact = wq.ConstantScoreQuery(wq.Term("ids", word.ident), ID_SCORE)
            return exact if query in (None, wq.NullQuery) else Or([exact, query])
        return query

    def code(self, word: Word) -> wq.Query:
        self._count(1)
        if word.version:
            self.explicit_version = True
            field_query = wq.Term("vid", version_key(word.code, word.version))
        else:
            field_query = wq.Term("code", word.code)
        standard = wq.And([field_query, wq.Term("kind", "standard")])
        return Or([wq.ConstantScoreQuery(field_query, 1.0), wq.ConstantScoreQuery(standard, CODE_SCORE)])

    def _field_term(self, term: str) -> wq.Query | None:
        return one_of([wq.Term(name, term, boost=boost) for name, boost in FIELD_BOOSTS.items()
                        if (name, term) in self.reader])

    def plain(self, word: Word) -> wq.Query | None:
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
                pieces = word_pieces(term)
                phrases = [wq.Phrase(name, list(pieces), boost=boost) for name, boost in FIELD_BOOSTS.items()
                           if pieces and all((name, p) in self.reader for p in pieces)]
                if phrases:
                    self._note(pieces)
                    alternatives.extend(phrases)
            clause = one_of(alternatives)
            if clause is None:
                missing = True
                if not has_cjk(term) and not word.ident:
                    self.unknown.append(original)
            clauses.append(clause)
        if missing:
            return wq.NullQuery
        return clauses[0] if len(clauses) == 1 else wq.And(clauses)

    def phrase(self, word: Word) -> wq.Query | None:
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
        return one_of(alternatives) or wq.NullQuery

    def _any_of(self, terms: Iterable[str], weight: float = 0.8) -> wq.Query:
        terms = set(terms)
        self._note(terms)
        alternatives = [wq.Term(fieldname, term, boost=boost * weight)
                        for fieldname, boost in FIELD_BOOSTS.items() for term in sorted(terms)
                        if (fieldname, term) in self.reader]
        return one_of(alternatives) or wq.NullQuery

    def _too_many(self, word: Word, found: list) -> None:
        if len(found) > MAX_EXPANSIONS:
            raise BadRequest(f"{word.text!r}{'*' if word.prefix else '~'} matches more than {MAX_EXPANSIONS} words: "
                             "make it more specific", details={"field": "q", "limit": MAX_EXPANSIONS})

    def prefix(self, word: Word) -> wq.Query:
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

    def fuzzy(self, word: Word) -> wq.Query:
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


def _expand_prefix(reader, fieldname: str, prefix: str, limit: int) -> list[str]:
    """Distinct terms of ``fieldname`` starting with ``prefix``, at most ``limit``."""
    found: set[str] = set()
    for leaf, _ in reader.leaf_readers():
        if fieldname not in leaf.indexed_field_names():
            continue
        for term in leaf.expand_prefix(fieldname, prefix):
            found.add(term_text(term))
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
            found.add(term_text(term))
            if len(found) >= limit:
                return sorted(found)
    return sorted(found)


class SpellLexicon:
    """The spelling vocabulary of a reader (the ``spell`` field), for :func:`registry.search.suggest.suggest`."""

    def __init__(self, reader):
        self.reader = reader

    def within(self, word: str, distance: int, limit: int) -> list[str]:
        return _terms_within(self.reader, "spell", word, distance, limit)

    def frequency(self, word: str) -> int:
        return self.reader.doc_frequency("spell", word)


def boosts(q: str, compiler: Compiler, node: Node | None) -> wq.Query | None:
    """Optional clauses that lift exact matches and, for several terms, matches of them side by side."""
    if node is None:
        return None
    clauses: list[wq.Query] = [wq.Term("exact", exact_key(q), boost=8.0)]
    terms = compiler.plain_terms
    if len(terms) >= 2 and node.op in ("and", "word") and all(("body", t) in compiler.reader for t in terms):
        clauses.append(wq.Phrase("body", terms, slop=2 if compiler.dropped else 1, boost=2.0))
    return one_of(clauses)
