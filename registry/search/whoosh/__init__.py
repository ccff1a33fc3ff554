"""The Whoosh engine: the only package of the registry that imports Whoosh.

Whoosh holds the index (segments, postings, stored fields, the lexicon for prefixes, fuzzy words and
spelling); the vectorised evaluation over mirrors of its postings (:mod:`registry.search.scoring`)
does the counting and scoring. Modules, from the bottom up:

``schema``       the fields and the analyzers of the text fields
``queries``      the filters of a request, how they combine, and the plan of a Whoosh query
``compiler``     a parsed query to a Whoosh query, against the lexicon
``mirrors``      each segment's postings read into a mirror, before the segment is listed
``generations``  the directory: generations, format, meta document, checksums
``writing``      one commit of changes; a whole generation, in one process or several
``views``        the generation a process has open, its searchers and per-segment arrays
``searching``    one search on an opened generation
``index``        :class:`WhooshIndex`, the facade (:class:`registry.search.interfaces.SearchIndex`)

Whoosh itself is imported when these modules are, which :func:`registry.search.service.open_index`
defers until an index is opened.
"""

from __future__ import annotations

from .index import WhooshIndex

__all__ = ["WhooshIndex"]
