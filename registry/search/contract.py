"""The contract of GET /api/v1/search: its query parameters and the JSON it answers, as pydantic models.

The parameters are built from the table of filters (:data:`registry.search.request.FILTERS`, read
when :func:`query_model` is called) and the limits of :mod:`registry.search.request`: the same model
parses the API's parameters (:func:`parse`, a 400 naming the parameter) and documents them in the
OpenAPI document (``registry.api.search`` declares the route with it), so that what is documented
is what is parsed. The answer is :class:`SearchAnswer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, create_model

from ..clock import parse_day
from ..declared import Query, Reply, Whole
from ..lifecycle import DRAFT_STANDING, STANDINGS
from . import request
from .documents import KINDS, PARTS
from .facets import FACETS
from .query import MAX_QUERY_CHARS, QUERY_PATTERN
from .request import DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_RESULT_WINDOW, SearchRequest

QUERY_DESCRIPTION = (
    "The query. Words are ANDed; Chinese typed without spaces is segmented and its words ANDed (particles such "
    "as 的 are ignored); OR, NOT or -word, (groups), \"phrases\" (exact), prefix* (3+ letters, 2+ Chinese "
    "characters) and word~1 / word~2. An occupation code (2-02-38-03, or 2-02-38-03@1.1 for one version, whatever "
    "its status) finds the standard and its items; an item, function or work content ID finds those items. "
    "Traditional characters (Taiwan words too) and full-width forms match simplified and half-width ones. Empty: "
    "list in a stable order (code, version, item order). Its format, search-query, is this language: a query "
    "that breaks it (an unbalanced parenthesis or quote, a leading wildcard, too short a prefix, too many terms, "
    "a prefix or fuzzy word matching too many words) is a 400 saying why.")

#: the values of a yes/no parameter (``all``, ``drafts``), as declared
FLAGS = {"1": True, "true": True, "0": False, "false": False}
#: characters a filter's value may not contain
NO_CONTROLS = r"^[^\x00-\x1f]*$"

Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
Flag = Literal[tuple(FLAGS)]  # type: ignore[valid-type]


def _filter_field(f: request.Filter) -> tuple[Any, Any]:
    if f.choices is not None:
        return Literal[f.choices] | None, Field(None, description=f.description)  # type: ignore[valid-type]
    return str | None, Field(None, description=f.description, max_length=f.max_chars,
                                pattern=NO_CONTROLS)


@lru_cache(maxsize=8)
def _model(filters: tuple[request.Filter, ...]) -> type[Query]:
    return create_model(
        "SearchQuery", __base__=Query,
        q=(str, Field("", max_length=MAX_QUERY_CHARS, pattern=QUERY_PATTERN, description=QUERY_DESCRIPTION,
                      json_schema_extra={"format": "search-query"})),
        **{f.name: _filter_field(f) for f in filters},
        all=(Flag, Field("0", description="1 (or true): every version that is not withdrawn (superseded and upcoming "
                                          "ones too), not only the one in force.")),
        cumulative=(Flag, Field("0", description="1 (or true): with level=, the level as a person at it must know it: "
                                                 "its items and those of the lower levels, where the standard states "
                                                 "that a higher level includes the lower levels' requirements (each "
                                                 "standard's own level order).")),
        as_of=(Day | None, Field(None, description="A day YYYY-MM-DD: the versions in force on that day instead "
                                                      "of today's (docs/lifecycle.md).")),
        drafts=(Flag, Field("0", description="1 (or true): with a valid bearer token, the drafts the caller may see "
                                             "(its body's) too.")),
        page=(Whole, Field(1, ge=1, le=MAX_RESULT_WINDOW, description=f"Page number; page × per_page is at most "
                                                                        f"{MAX_RESULT_WINDOW} (a 400 beyond).")),
        per_page=(Whole, Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Hits per page.")),
    )


def query_model() -> type[Query]:
    """The query parameters of GET /api/v1/search: ``q``, every filter of the table, ``all``, ``cumulative``,
    ``as_of``, ``drafts``, ``page`` and ``per_page``."""
    return _model(request.FILTERS)


def parse(args: Mapping[str, str]) -> tuple[SearchRequest, bool]:
    """The search the query parameters ``args`` ask for, and whether they ask for drafts too (a 400 for
    anything malformed)."""
    params = query_model().parse(args)
    filters = {f.name: getattr(params, f.name) for f in request.FILTERS if getattr(params, f.name)}
    search = SearchRequest(params.q, filters=filters, page=params.page, per_page=params.per_page,
                           all_versions=FLAGS[params.all],
                           cumulative=FLAGS[params.cumulative],
                           as_of=None if params.as_of is None else parse_day(params.as_of))
    request.check(search)  # the result window: page × per_page
    return search, FLAGS[params.drafts]


# --- the answer ------------------------------------------------------------------------------------

Text = str | None


class _Partial(Reply):
    """An answer whose fields with a default may be absent."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)


class Hit(_Partial):
    """One hit; the fields after ``url`` are present when the hit has them."""

    code: str
    version: str
    title: str
    level: Text
    direction: Text
    function: Text
    item_id: Text
    kind: Literal[KINDS]  # type: ignore[valid-type]
    part: Literal[PARTS] | None = Field(  # type: ignore[valid-type]
        description="basic: an item of the basic requirements (职业道德, 基础知识), for every level; work: an item "
                    "of the work requirements; null for a standard.")
    text: str = Field(description="The item's text (a standard's definition) in the shown language.")
    snippet: str = Field(description="HTML: the text escaped, the matched words in <mark>.")
    score: float
    url: str = Field(description="The version (or draft) the hit comes from, #item_id.")
    occupation: str = None  # type: ignore[assignment]
    level_name: Text = None
    function_id: Text = None
    work_content: Text = None
    work_content_id: Text = None
    number: Text = None
    group: Text = Field(None, description="The basic-knowledge group of a basic item.")
    lang: str = None  # type: ignore[assignment]
    status: Literal[(*STANDINGS, DRAFT_STANDING)] = Field(  # type: ignore[valid-type]
        None, description="The version's standing on the day searched (today, or as_of), or draft.")
    draft_id: int | None = None
    sector: Text = None
    permalink: Text = Field(None, description="The item's permalink page (/standards/{code}/{version}/items/{id}); "
                                              "null for a standard or a draft.")


class FacetCount(Reply):
    value: str
    count: int = Field(ge=1)


Facets = create_model("Facets", __base__=_Partial, **{name: (list[FacetCount], Field(None)) for name in FACETS})


class SearchAnswer(Reply):
    total: int = Field(ge=0)
    page: int
    per_page: int
    hits: list[Hit]
    facets: Facets  # type: ignore[valid-type]
    suggestion: str | None = Field(description="The query with misspelt English words corrected, when some word "
                                                  "is unknown and the corrected query finds something.")
    drafts: bool = Field(description="Whether drafts were searched too (drafts=1 with a valid bearer token).")
