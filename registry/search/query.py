"""The query language: a lexer, a parser and the limits every query is checked against before it runs.

Words are ANDed; ``OR``, ``NOT`` or ``-word``, ``(groups)``, ``"quoted phrases"``, ``prefix*`` and
``word~N``. An occupation code (2-02-38-03, or 2-02-38-03@1.1 for one version) and an item, function
or work content ID (E-K1, F-collect) are recognised as such. The parser makes a small tree of
:class:`Node` and :class:`Word`; an engine compiles it against its own lexicon
(:mod:`registry.search.whoosh.compiler`). A malformed or too expensive query is a ``BadRequest``
(threats.md §31, §32).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadRequest
from .folding import FOLD

#: Query limits (threats.md §31, §32)
MAX_QUERY_CHARS = 256
#: what a query may not contain: control characters other than whitespace, surrogates and the private
#: use area of the Basic Multilingual Plane; QUERY_PATTERN, the pattern of ``q`` in the OpenAPI document
_FORBIDDEN_CHARS = r"\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff\ue000-\uf8ff"
QUERY_PATTERN = f"^[^{_FORBIDDEN_CHARS}]*$"
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_CHARS}]")
MAX_QUERY_TERMS = 32
MAX_QUERY_DEPTH = 8
MAX_EXPANSIONS = 64
MIN_PREFIX_CHARS = 3
MIN_CJK_PREFIX_CHARS = 2
MAX_FUZZY_DISTANCE = 2


@dataclass
class Word:
    """A word of the query, a "quoted phrase", a prefix* or a fuzzy~N word, as typed."""

    text: str
    phrase: bool = False
    prefix: bool = False
    fuzzy: int = 0
    start: int = 0
    code: str | None = None  # an occupation code typed as a word
    version: str | None = None  # with a version: 2-02-38-03@1.1
    ident: str | None = None  # looks like an item, function or work content ID (E-K1, F-collect)


@dataclass
class Node:
    """A node of the parsed query: ``and``, ``or`` and ``not`` over ``children``, or a ``word``."""

    op: str  # and | or | not | word
    children: list = field(default_factory=list)
    word: Word | None = None


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
            tokens.append(("PHRASE", Word(q[i + 1:end], phrase=True, start=i), i))
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


def _word(raw: str, start: int) -> Word:
    code = _CODE.fullmatch(raw)
    if code:
        return Word(raw, start=start, code=code.group(1), version=code.group(2))
    word = Word(raw, start=start)
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

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.or_expr()
        if self.i < len(self.tokens):
            kind, _, position = self.tokens[self.i]
            message = "unbalanced ')'" if kind == ")" else f"unexpected {kind}"
            raise BadRequest(f"{message} at character {position + 1}", details={"field": "q", "position": position + 1})
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.peek() == "OR":
            self.i += 1
            if self.peek() in (None, ")", "OR", "AND"):
                raise BadRequest("OR needs a term on both sides", details={"field": "q"})
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Node("or", children)

    def and_expr(self) -> Node:
        children = [self.unary()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.i += 1
                if self.peek() in (None, ")", "OR", "AND"):
                    raise BadRequest("AND needs a term on both sides", details={"field": "q"})
            children.append(self.unary())
        return children[0] if len(children) == 1 else Node("and", children)

    def unary(self) -> Node:
        kind = self.peek()
        if kind == "NOT":
            self.i += 1
            if self.peek() in (None, ")", "OR", "AND"):
                raise BadRequest("NOT (or -) needs a term after it", details={"field": "q"})
            return Node("not", [self.unary()])
        if kind in ("AND", "OR"):
            raise BadRequest(f"{kind} needs a term on both sides", details={"field": "q"})
        return self.primary()

    def primary(self) -> Node:
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
        return Node("word", word=value)


def parse_query(q: str) -> Node | None:
    """Parse the query syntax (words, "phrases", AND/OR/NOT, -word, (groups), prefix*, fuzzy~N)."""
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query is {len(q)} characters long; at most {MAX_QUERY_CHARS} are allowed",
                         details={"field": "q", "limit": MAX_QUERY_CHARS})
    if _FORBIDDEN.search(q):
        raise BadRequest("the query contains control characters", details={"field": "q"})
    tokens = _lex(q.translate(_QUOTES).translate(FOLD))  # width only: positions stay those of q
    words = sum(1 for kind, _, _ in tokens if kind in ("WORD", "PHRASE"))
    phrase_words = sum(len(v.text.split()) - 1 for kind, v, _ in tokens if kind == "PHRASE")
    if words + phrase_words > MAX_QUERY_TERMS:
        raise BadRequest(f"the query has {words + phrase_words} terms; at most {MAX_QUERY_TERMS} are allowed",
                         details={"field": "q", "limit": MAX_QUERY_TERMS})
    node = _Parser(tokens).parse()
    if node is not None and not _has_positive(node):
        raise BadRequest("the query only excludes words: add at least one word to look for", details={"field": "q"})
    return node


def _has_positive(node: Node) -> bool:
    if node.op == "word":
        return True
    if node.op == "not":
        return False
    if node.op == "or":
        return all(_has_positive(c) for c in node.children)
    return any(_has_positive(c) for c in node.children)
