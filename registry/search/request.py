"""What a search asks and answers: the request and result records, the limits, and the table of filters.

A filter is one row of :data:`FILTERS`: its query parameter, the index field it reads, its choices, its
length limit, whether the web page offers it, and its documentation. The table drives

* the parsing of search parameters: the query model of GET /api/v1/search
  (:func:`registry.search.contract.parse`, a 400 for anything malformed), which also documents them in
  the OpenAPI document, and :func:`filter_values` for the web page /search (which ignores what it
  cannot use);
* what an engine restricts the matches to: :func:`filter_terms`, the ``(field, term)`` pairs of a
  request's filters (:mod:`registry.search.whoosh.queries`);
* the engine's own check of a request built in code: :func:`check`.

Adding a filter is one row here plus the index field it reads
(:func:`registry.search.documents.document_from` and the engine's schema).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..clock import parse_day
from ..errors import BadRequest
from ..vocabulary import STANDARD_TYPES
from .documents import KINDS, PARTS, field_lang

#: hits per page: the default, and the most one request may ask for
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
#: how deep paging goes (page × per_page)
MAX_RESULT_WINDOW = 1000
#: seconds a search may run; beyond it the server is overloaded (503), not the query wrong
QUERY_TIME_LIMIT = 2.0


@dataclass(frozen=True)
class Filter:
    """One filter of a search: a query parameter whose value every hit must have in an index field."""

    name: str  # the query parameter (and the key in ``SearchRequest.filters``)
    field: str  # the index field it reads
    description: str  # its documentation (the OpenAPI parameter's description)
    choices: tuple[str, ...] | None = None  # the values it accepts (None: any short text)
    max_chars: int = 64
    on_page: bool = False  # also a filter of the web page /search
    term: Callable[[str], str] = str  # the indexed term a value stands for
    #: the index field it reads instead when the request is ``cumulative`` (``level``: the levels whose
    #: view includes an item, so ``level=L3&cumulative=1`` matches L3's items and those of the lower
    #: levels where the standard says a higher level includes them)
    cumulative_field: str | None = None

    def problem(self, value: str) -> str | None:
        """What is wrong with ``value`` for this filter (the message of a 400), or None."""
        if len(value) > self.max_chars or any(ord(c) < 32 for c in value):
            return f"{self.name} is not a valid value"
        if self.choices is not None and value not in self.choices:
            return f"{self.name} must be one of {', '.join(self.choices)}"
        return None


#: The filters, in the order they are documented, parsed and shown on the web page.
FILTERS: tuple[Filter, ...] = (
    Filter("sector", "sector", "Only this sector (slug).", on_page=True),
    Filter("level", "level", "Only this level id (L4, intermediate ...); basic items belong to every level. With "
           "cumulative=1, also the items of the lower levels where the standard states that a higher level includes "
           "them.", on_page=True, cumulative_field="level_upto"),
    Filter("direction", "direction", "Only this direction id.", on_page=True),
    Filter("code", "code", "Only this standard (occupation code).", on_page=True),
    Filter("type", "type", "Only this type.", choices=tuple(STANDARD_TYPES), on_page=True),
    Filter("kind", "kind", "Only this kind of hit.", choices=KINDS, on_page=True),
    Filter("part", "part", "Only items of the basic or the work requirements.", choices=PARTS),
    Filter("function", "function", "Only the items of this function (its id).", max_chars=80),
    Filter("work_content", "work_content", "Only the items of this work content (its id).", max_chars=80),
    Filter("lang", "lang", "Only items with text in this language, shown in it.", max_chars=16, term=field_lang),
)


@dataclass(init=False)
class SearchRequest:
    """A search: the query, the filters (:data:`FILTERS` by name), the page, and which versions.

    Filters are given as keywords (``SearchRequest("数据", level="L3")``) or as ``filters``. Only the
    version in force of each standard is searched (on ``as_of``, by default today: the service works
    it out from the dates when the search runs) unless ``all_versions`` (every version that is not
    withdrawn); ``versions``, when given, restricts the matches to those versions instead
    (``(code, version)`` pairs), drafts of an overlay included. ``display_lang`` shows titles, levels
    and snippets in that language without filtering by it.
    """

    q: str
    filters: dict[str, str]
    page: int
    per_page: int
    all_versions: bool
    display_lang: str | None
    versions: frozenset[tuple[str, str]] | None  # given as a frozenset, kept as it is (its hash is cached)
    as_of: date | None
    #: with a ``level`` filter: the level's view (its items and those of the lower levels it includes)
    cumulative: bool

    def __init__(self, q: str = "", *, filters: Mapping[str, str | None] | None = None, page: int = 1,
                 per_page: int = DEFAULT_PER_PAGE, all_versions: bool = False, display_lang: str | None = None,
                 versions: Iterable[tuple[str, str]] | None = None, as_of: date | None = None,
                 cumulative: bool = False, **named: str | None):
        given = {**(filters or {}), **named}
        unknown = sorted(set(given) - {f.name for f in FILTERS})
        if unknown:
            raise TypeError(f"unknown search filter(s): {', '.join(unknown)}")
        self.q = q
        self.filters = {name: value for name, value in given.items() if value is not None}
        self.page, self.per_page = page, per_page
        self.all_versions = all_versions
        self.display_lang = display_lang
        if versions is not None and not isinstance(versions, frozenset):
            versions = frozenset((str(code), str(version)) for code, version in versions)
        self.versions = versions
        self.as_of = as_of
        self.cumulative = cumulative


@dataclass
class SearchResult:
    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]
    suggestion: str | None
    page: int
    per_page: int
    seq: int = 0


def filter_terms(request: SearchRequest) -> list[tuple[str, str]]:
    """The ``(index field, term)`` pairs every hit of ``request`` must have, in table order."""
    return [((f.cumulative_field if request.cumulative and f.cumulative_field else f.field),
             f.term(request.filters[f.name])) for f in FILTERS if request.filters.get(f.name)]


# --- checking and parsing ------------------------------------------------------------------------


def _check_per_page(per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}", details={"field": "per_page"})


def _check_page(page: int) -> None:
    if page < 1:
        raise BadRequest("page must be a positive integer", details={"field": "page"})


def check(request: SearchRequest) -> None:
    """Raise ``BadRequest`` unless ``request`` pages within the limits and its filters are valid."""
    _check_per_page(request.per_page)
    _check_page(request.page)
    if request.page * request.per_page > MAX_RESULT_WINDOW:
        raise BadRequest(f"only the first {MAX_RESULT_WINDOW} results can be paged through: narrow the query "
                         f"(page must be at most {MAX_RESULT_WINDOW // request.per_page} "
                         f"at per_page={request.per_page})",
                         details={"field": "page", "limit": MAX_RESULT_WINDOW // request.per_page})
    for f in FILTERS:
        value = request.filters.get(f.name)
        problem = None if value is None else f.problem(value)
        if problem is not None:
            raise BadRequest(problem, details={"field": f.name})


def filter_values(args: Mapping[str, str], *, strict: bool = True, page: bool = False) -> dict[str, str]:
    """The filters given in the query parameters ``args`` (empty ones are absent; with ``page``, only
    those the web page offers); an invalid value is a 400 when ``strict``, else ignored."""
    values = {}
    for f in FILTERS:
        if page and not f.on_page:
            continue
        value = args.get(f.name)
        if value is None or value == "":
            continue
        problem = f.problem(value)
        if problem is None:
            values[f.name] = value
        elif strict:
            raise BadRequest(problem, details={"field": f.name})
    return values


def day_arg(args: Mapping[str, str], name: str = "as_of", *, strict: bool = True) -> date | None:
    """A day ``YYYY-MM-DD`` (``clock.parse_day``), or None when absent; a malformed one is a 400 when
    ``strict``, else None."""
    value = args.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_day(value, name)
    except BadRequest:
        if strict:
            raise
        return None
