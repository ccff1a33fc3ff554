"""Mirrors of Whoosh's segments: each segment's postings read once into a :class:`registry.search.postings.Mirror`.

Every new (or merged) segment is mirrored before the table of contents that lists it is committed
(:func:`mirror_before_listing`): other processes open a new generation within a tick of its commit,
and a segment listed without its mirror would make each of them copy its postings into memory.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from whoosh import formats as wformats
from whoosh.reading import SegmentReader

from .. import postings
from .queries import text
from .schema import schema

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


def mirror_of(segreader) -> postings.Mirror:
    """The postings of one segment as arrays (see :mod:`registry.search.postings`)."""
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
            builder.add(fieldname, text(btext), docs, weights if scored else None,
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


def write_mirrors(path: Path, segments) -> None:
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
            postings.write_mirror(mirror_of(reader), path, name)
        finally:
            reader.close()


def mirror_before_listing(writer, path: Path) -> None:
    """Have ``writer`` write the mirror of every new (or merged) segment before its commit lists it.

    Other processes open a generation's new table of contents within a tick of its commit; a
    segment listed without its mirror would make each of them copy its postings into memory."""
    commit_toc = writer._commit_toc

    def commit_toc_with_mirrors(segments) -> None:
        write_mirrors(path, segments)
        commit_toc(segments)

    writer._commit_toc = commit_toc_with_mirrors
