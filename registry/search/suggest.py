""" "Did you mean": a misspelt English word replaced by the closest, most frequent word of the documents.

The words come from the index's spelling vocabulary (each standard's unstemmed Latin words, the
``spell`` field), through a :class:`Lexicon` the engine provides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

from .analysis import STEMMER, STOP_WORDS

#: English function words: never offered as spelling corrections ("thee" is not "the" or "them")
FUNCTION_WORDS = STOP_WORDS[STEMMER] | frozenset(
    "about above after again all also am any because been before being below between both but could did do "
    "does doing down during each few further had having he her here hers him his how i me more most my no nor "
    "not now off once only other our ours out over own same she should so some than them then there they "
    "through too under until up very we what when where who whom why would you your".split())
#: the search parameters and field names: a query word among them is never "corrected"
FIELD_WORDS = frozenset("q kind sector level direction code type lang part function work_content page per_page all "
                        "drafts title body id ids vid version exact spell data facets sort current".split())


class Lexicon(Protocol):
    """The spelling vocabulary of an index."""

    def within(self, word: str, distance: int, limit: int) -> list[str]:
        """Distinct words within ``distance`` edits of ``word`` (its first letter fixed), at most ``limit``."""

    def frequency(self, word: str) -> int:
        """How many documents have ``word``."""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def suggest(q: str, unknown: Iterable[str], lexicon: Lexicon, has_hits: Callable[[str], bool]) -> str | None:
    """ "Did you mean": each unknown Latin word (but a field name) replaced by the closest, most
    frequent known word that is not a stop word, when the corrected query finds something."""
    suggestion, changed = q, False
    for word in dict.fromkeys(unknown):
        lowered = word.lower()
        if len(lowered) < 3 or lowered in FIELD_WORDS:
            continue
        candidates = []
        for distance in (1, 2):
            # (field names are offered: the spell lexicon holds only words of the documents, and
            # "data", "level" or "function" are the corpus's commonest words)
            candidates = [c for c in lexicon.within(lowered, distance, 200)
                          if c != lowered and c not in FUNCTION_WORDS]
            if candidates:
                break
        if not candidates:
            continue
        best = min(candidates, key=lambda c: (edit_distance(lowered, c), -lexicon.frequency(c), c))
        suggestion = re.sub(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", best, suggestion, flags=re.IGNORECASE)
        changed = True
    return suggestion if changed and has_hits(suggestion) else None
