"""A search's hits as CSV (the filtered view people download, as users of OSMT asked for): every hit up
to the search's result window, with the version's standing on the day searched and the item's permalink.

The conventions of :mod:`registry.exports.csv_matrix`: UTF-8 with BOM, CRLF, formula-like cells
neutralised, codes, versions and numbers kept as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..search.request import MAX_PER_PAGE, MAX_RESULT_WINDOW, SearchRequest
from .csv_matrix import write_rows

COLUMNS = ["code", "version", "status", "kind", "part", "level_id", "level_name", "direction_id", "function_id",
           "function", "work_content_id", "work_content", "item_id", "number", "lang", "text", "title", "permalink"]


def hits(service: Any, request: SearchRequest) -> Iterator[dict]:
    """Every hit of ``request``, page after page (at most :data:`MAX_RESULT_WINDOW`)."""
    request.per_page = MAX_PER_PAGE
    for page in range(1, MAX_RESULT_WINDOW // MAX_PER_PAGE + 1):
        request.page = page
        result = service.search(request)
        yield from result.hits
        if page * MAX_PER_PAGE >= result.total:
            return


def search_matrix(service: Any, request: SearchRequest, base_url: str) -> bytes:
    base = base_url.rstrip("/")

    def row(hit: dict) -> list[str]:
        link = f"{base}/standards/{hit['code']}/{hit['version']}" + (f"/items/{hit['item_id']}" if hit.get("item_id")
                                                                      else "")
        values = {**hit, "level_id": hit.get("level"), "direction_id": hit.get("direction"), "permalink": link}
        return ["" if values.get(name) is None else str(values[name]) for name in COLUMNS]

    return write_rows(COLUMNS, (row(hit) for hit in hits(service, request) if hit.get("draft_id") is None))
