"""Bad query strings and search queries (threats.md section D, items 31-32, and E): each case is the
query string sent to a route and the exact status and error code (and message part) it must get."""

from __future__ import annotations

import pytest

from .conftest import assert_refused, check_response

S = "/api/v1/search"
LIST = "/api/v1/standards"
TOO_LONG = "q is not a valid value: at most 256 characters"

# (case id, url with its query string, status, error code or None for an answer, a part of the message)
CASES = [
    # 31. query-parser abuse
    ("star", f"{S}?q=*", 400, "bad_request", "a word cannot start with a wildcard"),
    ("star-a-star", f"{S}?q=*a*", 400, "bad_request", "a word cannot start with a wildcard"),
    ("short-prefix", f"{S}?q=a*", 400, "bad_request", "a prefix needs at least 3 letters or digits"),
    ("short-prefix-2", f"{S}?q=ab*", 400, "bad_request", "a prefix needs at least 3 letters or digits"),
    ("question-star", f"{S}?q=e?*", 400, "bad_request", ""),
    ("query-300-chars", f"{S}?q={'x' * 300}", 400, "bad_request", TOO_LONG.format(n=300)),
    ("query-10000-chars", f"{S}?q={'x' * 10000}", 400, "bad_request", TOO_LONG.format(n=10000)),
    ("500-ors", f"{S}?q={'+OR+'.join(['a'] * 500)}", 400, "bad_request", TOO_LONG.format(n=2496)),
    ("40-terms", f"{S}?q={'+'.join(f'w{i}' for i in range(40))}", 400, "bad_request", "terms"),
    ("unbalanced-open", f"{S}?q=(((", 400, "bad_request", "unbalanced '('"),
    ("nul-byte", f"{S}?q=data%00", 400, "bad_request", "q contains control characters"),
    ("escape-byte", f"{S}?q=data%1b", 400, "bad_request", "q contains control characters"),
    ("bell-byte", f"{S}?q=%07", 400, "bad_request", "q contains control characters"),
    ("range-unclosed", f"{S}?q=title:[a+TO", 200, None, ""),
    ("fuzzy-distance-5", f"{S}?q=term~5", 400, "bad_request", "fuzzy distance in 'term~5' must be 1 or 2"),
    ("only-quotes", f"{S}?q=%22%22", 200, None, ""),
    ("unclosed-quote", f"{S}?q=%22data", 400, "bad_request", "unterminated quote at character 1"),
    ("sql-like", f"{S}?q=%27%20OR%201%3D1--", 200, None, ""),
    ("html", f"{S}?q=%3Cscript%3Ealert(1)%3C/script%3E", 200, None, ""),
    ("template", f"{S}?q=%7B%7B7*7%7D%7D", 400, "bad_request", "a wildcard may only end a word"),
    ("invalid-utf8-percent", f"{S}?q=%ff%fe", 200, None, ""),
    ("empty", f"{S}?q=", 200, None, ""),
    # 32. paging and flags
    ("page-0", f"{S}?q=data&page=0", 400, "bad_request", "page is out of range or not a whole number (input should be greater than or equal to 1)"),
    ("page-negative", f"{S}?q=data&page=-1", 400, "bad_request", "page must be a whole number written with the digits 0-9"),
    ("page-letters", f"{S}?q=data&page=abc", 400, "bad_request", "page must be a whole number written with the digits 0-9"),
    ("page-billion", f"{S}?q=data&page=1000000000", 400, "bad_request",
     "page is out of range or not a whole number (input should be less than or equal to 1000)"),
    ("page-float", f"{S}?q=data&page=1.5", 400, "bad_request", "page must be a whole number written with the digits 0-9"),
    ("page-empty", f"{S}?q=data&page=", 400, "bad_request", "page must be a whole number written with the digits 0-9"),
    ("per-page-million", f"{S}?q=data&per_page=1000000", 400, "bad_request",
     "per_page is out of range or not a whole number (input should be less than or equal to 100)"),
    ("per-page-0", f"{S}?q=data&per_page=0", 400, "bad_request", "per_page is out of range or not a whole number (input should be greater than or equal to 1)"),
    ("per-page-negative", f"{S}?q=data&per_page=-5", 400, "bad_request", "per_page must be a whole number written with the digits 0-9"),
    ("as-of-feb-30", f"{S}?q=data&as_of=2024-02-30", 400, "bad_request", "as_of must be a date YYYY-MM-DD"),
    ("as-of-text", f"{S}?q=data&as_of=x", 400, "bad_request", "as_of must be a date YYYY-MM-DD"),
    ("as-of-zero", f"{S}?q=data&as_of=0000-00-00", 400, "bad_request", "as_of must be a date YYYY-MM-DD"),
    ("as-of-month-13", f"{S}?q=data&as_of=2024-13-01", 400, "bad_request", "as_of must be a date YYYY-MM-DD"),
    ("all-maybe", f"{S}?q=data&all=maybe", 400, "bad_request", "all is not a valid value: it must be one of 1, true, 0 or false"),
    ("drafts-x", f"{S}?q=data&drafts=x", 400, "bad_request", "drafts is not a valid value: it must be one of 1, true, 0 or false"),
    ("drafts-without-token", f"{S}?q=data&drafts=1", 200, None, ""),
    ("unknown-lang", f"{S}?q=data&lang=xx", 200, None, ""),
    ("unknown-parameter", f"{S}?q=data&evil=1", 200, None, ""),
    ("list-page-0", f"{LIST}?page=0", 400, "bad_request", "page is out of range or not a whole number (input should be greater than or equal to 1)"),
    ("list-page-letters", f"{LIST}?page=abc", 400, "bad_request", "page must be a whole number written with the digits 0-9"),
    ("list-page-huge", f"{LIST}?page=99999999999999999999", 400, "bad_request", "page is far too large"),
    ("list-per-page-huge", f"{LIST}?per_page=1000000", 400, "bad_request", "per_page"),
    ("list-per-page-0", f"{LIST}?per_page=0", 400, "bad_request", "per_page"),
    ("diff-missing-sides", "/api/v1/standards/2-02-38-03/diff", 400, "bad_request", ""),
    ("diff-unknown-version", "/api/v1/standards/2-02-38-03/diff?from=1.0&to=9.9", 404, "not_found", ""),
    ("diff-traversal-version", "/api/v1/standards/2-02-38-03/diff?from=../../1&to=1.1", 404, "not_found", ""),
    ("audit-huge-limit", "/api/v1/audit?limit=99999999", 200, None, ""),
    ("verify-not-hex", "/api/v1/verify/xyz", 200, None, ""),
    ("verify-nul", "/api/v1/verify/%00", 200, None, ""),
]


@pytest.mark.parametrize("url, status, code, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_query_string_gets_a_clear_answer(bad_client, url, status, code, message):
    response = bad_client.get(url)
    check_response(response, sent=len(url), authenticated=False)
    if code is None:
        assert response.status_code == status, response.get_data(as_text=True)[:300]
        return
    error = assert_refused(response, status, code)
    assert message in error["message"], error


PAGES = [
    ("page-search-star", "/search?q=*", 400),
    ("page-search-long", f"/search?q={'x' * 1000}", 200),  # the search page shows the problem above its form
    ("page-search-nul", "/search?q=%00", 400),
    ("page-search-page-0", "/search?q=data&page=0", 200),  # the search page shows the problem above its form
    ("page-search-as-of", "/search?q=data&as_of=2024-02-30", 200),  # the search page shows the problem above its form
    ("page-search-html", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", 200),
    ("page-standards-page-letters", "/standards?page=abc", 200),
    ("page-standards-group-traversal", "/standards?group=../../etc", 200),
    ("page-feed-page", "/feed.atom?page=-1", 200),
    ("page-lang-unknown", "/lang?lang=xx&next=/", 302),
    ("page-lang-offsite", "/lang?lang=en&next=https://evil.example/", 302),
]


@pytest.mark.parametrize("url, status", [c[1:] for c in PAGES], ids=[c[0] for c in PAGES])
def test_a_bad_query_string_on_a_page_gets_a_page(bad_client, url, status):
    response = bad_client.get(url)
    check_response(response, sent=len(url), authenticated=False)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 302:
        assert response.headers["Location"].startswith("/")
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
