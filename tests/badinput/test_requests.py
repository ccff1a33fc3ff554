"""Bad URL paths, headers, tokens and bodies of the wrong kind (threats.md section E): each case is the
request and the exact status and error code it must get; nothing a refused request sent is stored."""

from __future__ import annotations

import pytest

from tests.api.conftest import versioned

from .conftest import assert_refused, check_response, counts

A = "/api/v1"
YAML = {"Content-Type": "application/yaml"}

# 43-44. paths: (case id, path, status, error code)
PATHS = [
    ("code-traversal", f"{A}/standards/..%2f..%2fetc%2fpasswd", 404, "not_found"),
    ("code-dot-dot", f"{A}/standards/../../etc/passwd", 404, "not_found"),
    ("code-nul", f"{A}/standards/ABC%00", 404, "not_found"),
    ("code-5000-chars", f"{A}/standards/{'A' * 5000}", 404, "not_found"),
    ("code-lowercase", f"{A}/standards/abc-123", 404, "not_found"),
    ("code-u2010-hyphen", f"{A}/standards/2‐02‐38‐03", 404, "not_found"),
    ("code-fullwidth", f"{A}/standards/２-02-38-03", 404, "not_found"),
    ("code-trailing-space", f"{A}/standards/2-02-38-03%20", 404, "not_found"),
    ("code-backslashes", f"{A}/standards/..%5c..%5cwin.ini", 404, "not_found"),
    ("code-absolute", f"{A}/standards/%2fetc%2fpasswd", 404, "not_found"),
    ("version-traversal", f"{A}/standards/2-02-38-03/versions/3%2f..%2f..%2f1", 404, "not_found"),
    ("version-unknown", f"{A}/standards/2-02-38-03/versions/9.9", 404, "not_found"),
    ("version-nul", f"{A}/standards/2-02-38-03/versions/1.1%00", 404, "not_found"),
    ("source-traversal", f"{A}/standards/2-02-38-03/versions/..%2f1.1/source", 404, "not_found"),
    ("draft-id-huge", f"{A}/drafts/99999999999999999999", 401, "unauthorized"),
    ("draft-id-negative", f"{A}/drafts/-1", 404, "not_found"),
    ("case-unknown-id", "/ims/case/v1p1/CFDocuments/not-a-uuid", 404, None),
    ("case-traversal", "/ims/case/v1p1/..%2f..%2fetc", 404, None),
    ("page-code-traversal", "/standards/..%2fapp.db", 404, None),
    ("page-file-traversal", "/standards/2-02-38-03/..%2f..%2fx.pdf", 404, None),
    ("page-pdf-nul", "/standards/2-02-38-03/1.1%00.pdf", 404, None),
    ("page-unknown-format", "/standards/2-02-38-03/1.1.exe", 404, None),
    ("static-traversal", "/static/..%2f..%2fconfig.py", 404, None),
    ("static-dot-dot", "/static/../app.py", 404, None),
]


@pytest.mark.parametrize("path, status, code", [c[1:] for c in PATHS], ids=[c[0] for c in PATHS])
def test_a_bad_path_is_refused(bad_client, path, status, code):
    response = bad_client.get(path)
    check_response(response, sent=len(path), authenticated=False)
    if code is None:
        assert response.status_code == status
    else:
        assert_refused(response, status, code)


# 37. tokens and 34. forms without CSRF, 45. bodies of the wrong kind:
# (case id, method, path, headers, body, status, error code)
BAD_TOKEN = {"Authorization": "Bearer osr_0000_not-a-token"}
REQUESTS = [
    ("no-token-draft", "POST", f"{A}/drafts", YAML, versioned("1.2"), 401, "unauthorized"),
    ("wrong-token-draft", "POST", f"{A}/drafts", {**YAML, **BAD_TOKEN}, versioned("1.2"), 401, "unauthorized"),
    ("basic-auth-draft", "POST", f"{A}/drafts", {**YAML, "Authorization": "Basic YTpi"}, versioned("1.2"), 401,
     "unauthorized"),
    ("empty-bearer", "POST", f"{A}/drafts", {**YAML, "Authorization": "Bearer "}, versioned("1.2"), 401,
     "unauthorized"),
    ("long-bearer", "POST", f"{A}/drafts", {**YAML, "Authorization": "Bearer " + "x" * 10000}, versioned("1.2"),
     401, "unauthorized"),
    ("nul-bearer", "POST", f"{A}/drafts", {**YAML, "Authorization": "Bearer osr_\x00"}, versioned("1.2"), 401,
     "unauthorized"),
    ("no-token-withdraw", "POST", f"{A}/standards/2-02-38-03/versions/1.1/withdraw", {}, None, 401, "unauthorized"),
    ("no-token-keeper", "PUT", f"{A}/standards/2-02-38-03/keeper", {}, None, 401, "unauthorized"),
    ("no-token-publish", "POST", f"{A}/drafts/1/publish", {}, None, 401, "unauthorized"),
    ("no-token-comment", "POST", f"{A}/drafts/1/comments", {}, None, 401, "unauthorized"),
    ("validate-as-json", "POST", f"{A}/validate", {"Content-Type": "application/json"}, b"{}", 415,
     "unsupported_media_type"),
    ("validate-as-form", "POST", f"{A}/validate", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1",
     415, "unsupported_media_type"),
    ("validate-no-type", "POST", f"{A}/validate", {}, b"a: 1", 415, "unsupported_media_type"),
    ("validate-html", "POST", f"{A}/validate", {"Content-Type": "text/html"}, b"<p>", 415, "unsupported_media_type"),
    ("verify-as-yaml", "POST", f"{A}/verify", YAML, b"%PDF-1.7", 415, "unsupported_media_type"),
    ("lint-as-json", "POST", f"{A}/lint", {"Content-Type": "application/json"}, b"{}", 415,
     "unsupported_media_type"),
    ("delete-a-version", "DELETE", f"{A}/standards/2-02-38-03/versions/1.1", {}, None, 405, None),
    ("put-a-version", "PUT", f"{A}/standards/2-02-38-03/versions/1.1", YAML, versioned("1.1"), 405, None),
    ("patch-a-version", "PATCH", f"{A}/standards/2-02-38-03/versions/1.1", {}, b"{}", 405, None),
    ("post-to-search", "POST", f"{A}/search", {}, b"q=x", 405, None),
    ("login-without-csrf", "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"},
     b"email=a%40b.c&password=x", 400, None),
    ("logout-without-csrf", "POST", "/logout", {}, None, 400, None),
    ("portal-new-without-session", "POST", "/portal/drafts/new", {"Content-Type": "application/x-www-form-urlencoded"},
     b"source=a", 400, None),
    ("review-approve-without-csrf", "POST", "/review/drafts/1/approve", {}, None, 400, None),
    ("verify-page-not-a-pdf", "POST", "/verify", {"Content-Type": "multipart/form-data; boundary=x"},
     b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\nnot a pdf\r\n--x--\r\n", 400,
     None),
]


@pytest.mark.parametrize("method, path, headers, body, status, code", [c[1:] for c in REQUESTS],
                         ids=[c[0] for c in REQUESTS])
def test_a_bad_request_is_refused_and_nothing_is_stored(bad_app, bad_client, method, path, headers, body, status,
                                                         code):
    before = counts(bad_app)
    response = bad_client.open(path, method=method, headers=headers, data=body)
    check_response(response, sent=len(path) + len(body or b""), authenticated=False)
    if code is None:
        assert response.status_code == status, response.get_data(as_text=True)[:300]
    else:
        assert_refused(response, status, code)
    assert counts(bad_app) == before


# 46. every answer carries the security headers, bad requests' too
@pytest.mark.parametrize("path", ["/", "/standards/..%2fx", f"{A}/search?q=*", f"{A}/standards/{'A' * 300}",
                                  "/search?q=%00", "/static/../x"])
def test_refusals_carry_the_security_headers(bad_client, path):
    response = bad_client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors" in response.headers.get("Content-Security-Policy", "") \
        or response.headers.get("X-Frame-Options")
