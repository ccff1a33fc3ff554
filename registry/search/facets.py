"""Facet counts over every match, from one number per document.

Each document's facet values are one column value (:func:`registry.search.documents.facet_bytes`).
Documents share few combinations of values, so each combination gets a number the first time it is
seen (per process), and each segment keeps an array of its documents' numbers. A search then counts
the combinations among its matches (one ``bincount``) and spreads those counts to the values each
combination holds (one more ``bincount`` per facet).
"""

from __future__ import annotations

import numpy as np

from .documents import COMBO_FIELDS

#: the facets of a search result, in the order they are answered
FACETS = ("sector", "level", "direction", "occupation", "kind", "type", "part")
#: facets whose value is a space-separated list (a standard has several levels)
_MULTI = frozenset({"level", "direction"})
#: where each facet's value sits in a combination (the occupation is the code)
_COLUMNS = {name: COMBO_FIELDS.index("code" if name == "occupation" else name) for name in FACETS}


class FacetCombinations:
    """The combinations of facet values seen so far in this process, and the counts of a search's facets.

    :meth:`number` is called under the caller's lock (when a segment is opened); :meth:`counts` never
    waits for it.
    """

    def __init__(self) -> None:
        self._numbers: dict[bytes, int] = {}
        self._values: list[tuple[str, ...]] = []
        self._tables: tuple[int, dict[str, tuple[np.ndarray, np.ndarray, list[str]]]] = (0, {})

    def number(self, raw: bytes) -> int:
        """The number of a combination (a ``facets`` column value), given on first sight."""
        combo = self._numbers.get(raw)
        if combo is None:
            values = tuple(raw.decode().split("\x1f")) if raw else ()
            values += ("",) * (len(COMBO_FIELDS) - len(values))
            combo = self._numbers[raw] = len(self._values)
            self._values.append(values)
        return combo

    def counts(self, combos: np.ndarray, candidates: np.ndarray) -> dict[str, list[dict]]:
        """Counts of each facet's values over the matches ``candidates`` (documents whose combination
        numbers are ``combos``), most frequent first."""
        tables = self._incidence()
        per_combo = np.bincount(combos[candidates], minlength=len(self._values)).astype(np.float64)
        out = {}
        for name in FACETS:
            combo_of, value_of, values = tables[name]
            counts = np.bincount(value_of, weights=per_combo[combo_of], minlength=len(values))
            found = [(values[i], int(counts[i])) for i in np.flatnonzero(counts) if values[i]]
            out[name] = [{"value": v, "count": c} for v, c in sorted(found, key=lambda item: (-item[1], item[0]))]
        return out

    def _incidence(self) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
        """Per facet: pairs (combination, value) for every value each combination holds, and the values
        (rebuilt only when new combinations have appeared)."""
        known, tables = self._tables
        # a copy without the lock (appends happen under it, and a list copy sees whole tuples): a
        # search never waits for another thread that is opening a new generation
        combos = self._values[:]
        if known == len(combos):
            return tables
        tables = {}
        for name, column in _COLUMNS.items():
            index: dict[str, int] = {}
            combo_of: list[int] = []
            value_of: list[int] = []
            for combo, values in enumerate(combos):
                for value in (values[column].split() if name in _MULTI else [values[column]]):
                    combo_of.append(combo)
                    value_of.append(index.setdefault(value, len(index)))
            tables[name] = (np.asarray(combo_of, dtype=np.int64), np.asarray(value_of, dtype=np.int64), list(index))
        self._tables = (len(combos), tables)
        return tables
