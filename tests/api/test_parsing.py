"""Requests the contract refuses with a clear 4xx, never a 500: digits that are not ASCII, JSON nested
deeper than the parser goes, methods a path does not take (405 with ``Allow``), and what was enforced
but not declared before the document was generated from the declarations."""

from __future__ import annotations

import re

import pytest

from registry.api.openapi import document

from .conftest import CODE, assert_error, url

SUPERSCRIPT_TWO, ARABIC_THREE = "\u00b2", "\u0663"  # digits to str.isdigit, not to int()


@pytest.mark.parametrize("path, field", [
    (f"/standards?page={SUPERSCRIPT_TWO}", "page"),
    (f"/standards?per_page={ARABIC_THREE}", "per_page"),
    (f"/search?page={SUPERSCRIPT_TWO}", "page"),
    (f"/search?per_page={ARABIC_THREE}", "per_page"),
    (f"/audit?limit={SUPERSCRIPT_TWO}", "limit"),
    (f"/audit?after={ARABIC_THREE}", "after"),
])
def test_digits_that_are_not_ascii_are_a_400_naming_the_parameter(client, path, field):
    error = assert_error(client.get(url(path)), 400, "bad_request")
    assert error["details"]["field"] == field


@pytest.mark.parametrize("path", ["/standards", "/search?q=data"])
def test_pages_ignore_a_page_number_that_is_not_ascii(app, client, corpus, corpus_index, path):
    from ..web_helpers import searchable

    searchable(app, corpus_index)
    first = client.get(path)
    assert first.status_code == 200
    sep = "&" if "?" in path else "?"
    odd = client.get(f"{path}{sep}page={SUPERSCRIPT_TWO}")  # shown as the first page, not refused
    assert odd.status_code == 200
    listed = lambda page: re.findall(r'href="(/standards/[^"?#]+)"', page.get_data(as_text=True))  # noqa: E731
    assert listed(first) and listed(odd) == listed(first)


@pytest.mark.parametrize("path, value", [
    ("/standards?page=0", None), ("/standards?page=1000001", None), ("/standards?per_page=201", None),
    ("/audit?limit=-1", None), ("/standards/x/diff?from=&to=1.0", None), ("/standards/x/diff?from=1.0&to=", None),
    ("/search?all=yes", None), ("/search?drafts=true", True), ("/search?sector=%20%0A", None),
])
def test_what_is_enforced_is_declared(client, path, value):
    """Each request is refused or taken as the generated document says (the outside fuzzer found the
    limits of page, per_page, limit and empty from/to undeclared, yes taken where the enum said 0 or 1)."""
    response = client.get(url(path))
    if value is None:
        assert_error(response, 400, "bad_request")
    else:
        assert response.status_code in (200, 503)
    name = path.split("?")[1].split("=")[0]
    op = document()["paths"]["/search" if path.startswith("/search") else path.split("?")[0].replace(
        "/x/diff", "/{code}/diff")]["get"]
    schema = next(p["schema"] for p in op["parameters"] if p["name"] == name)
    assert schema.keys() & {"minimum", "maximum", "minLength", "enum", "pattern", "maxLength"}, schema


def _nested(depth: int) -> bytes:
    return b'{"reason": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("method, path, who", [
    ("post", f"/standards/{CODE}/versions/1.0/withdraw", "registrar"),
    ("post", "/drafts/1/publish", "registrar"),
    ("post", "/drafts/1/request-changes", "registrar"),
    ("post", "/drafts/1/comments", "cesi"),
    ("put", f"/standards/{CODE}/keeper", "registrar"),
    ("post", f"/standards/{CODE}/versions/1.0/next", "cesi"),
])
def test_json_nested_five_thousand_deep_is_a_400(client, request, method, path, who):
    headers = {**request.getfixturevalue(who), "Content-Type": "application/json"}
    response = getattr(client, method)(url(path), data=_nested(5000), headers=headers)
    error = assert_error(response, 400, "bad_request")
    assert "JSON" in error["message"]


def _concrete(path: str) -> str:
    return path.replace("{code}", CODE).replace("{version}", "1.0").replace("{draft_id}", "1").replace(
        "{sha256}", "0" * 64)


def test_every_path_answers_a_method_it_does_not_take_with_405_and_allow(client):
    paths = document()["paths"]
    assert len(paths) >= 20
    for path, item in paths.items():
        taken = {m.upper() for m in item if m != "parameters"}
        for method in ("DELETE", "PATCH", "PUT", "POST"):
            if method in taken:
                continue
            response = client.open(url(_concrete(path)), method=method)
            assert_error(response, 405)
            allowed = {m.strip() for m in response.headers.get("Allow", "").split(",")}
            assert taken <= allowed, (method, path, response.headers.get("Allow"))


@pytest.mark.parametrize("path", [f"/standards/{CODE}/1.0.pdf", f"/standards/{CODE}/latest.csv", "/search"])
def test_delete_on_a_page_or_download_is_405_with_allow_not_a_csrf_refusal(client, path):
    response = client.delete(path)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "CSRF" not in response.get_data(as_text=True)
