"""Limits and faults of the JSON API: oversized bodies, unexpected faults, busy writers, errors as JSON."""

from __future__ import annotations

import logging
import time

import pytest

from ..conftest import Tokens
from .conftest import (
    CODE,
    SAMPLE,
    assert_error,
    create_draft,
    draft_in,
    ok,
    post_yaml,
    publish,
    reworded,
    statuses,
    url,
)

# --- limits and faults ----------------------------------------------------------------------------


def test_a_body_larger_than_the_limit_is_413(make_app):
    client = make_app(MAX_UPLOAD_BYTES=1000).test_client()
    assert ok(post_yaml(client, "/validate", b"a: 1\n"))["valid"] is False  # under the limit: answered
    assert_error(post_yaml(client, "/validate", SAMPLE.read_bytes()), 413)


def test_a_draft_larger_than_the_limit_is_413_and_not_stored(make_app):
    app = make_app(MAX_UPLOAD_BYTES=1000)
    client, cesi = app.test_client(), Tokens(app.extensions["registry.engine"]).body("cesi")
    assert_error(post_yaml(client, "/drafts", reworded(), cesi), 413)
    assert ok(client.get(url("/drafts"), headers=cesi))["items"] == []


def _exploding_app(make_app, path: str):
    app = make_app()

    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule(path, "explode", explode)
    return app


def _logged_error(caplog, path: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR and path in r.getMessage()]
    assert record.exc_info and "secret internals" in str(record.exc_info[1])  # with its traceback
    return record


@pytest.mark.parametrize("path", ["/api/v1/_explode", "/ims/case/v1p1/_explode"])
def test_an_unexpected_fault_is_a_json_500_and_logged(make_app, caplog, path):
    response = _exploding_app(make_app, path).test_client().get(path)
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True).lower()
    assert error["details"] is None
    _logged_error(caplog, path)


def test_an_unexpected_fault_on_a_page_is_an_html_500_and_logged(make_app, caplog):
    response = _exploding_app(make_app, "/_explode").test_client().get("/_explode")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "secret internals" not in response.get_data(as_text=True)
    _logged_error(caplog, "/_explode")


def test_an_integrity_error_that_is_a_bug_is_a_500_without_sql(client, cesi, monkeypatch, caplog):
    from registry.models import ReviewComment
    from registry.services import drafts

    def broken_add_comment(session, draft_id, *args, **kwargs):
        session.add(ReviewComment(draft_id=999_999, author="nobody", body="on no draft"))
        session.flush()

    monkeypatch.setattr(drafts, "add_comment", broken_add_comment)
    draft_id = create_draft(client, cesi, reworded())["id"]
    response = client.post(url(f"/drafts/{draft_id}/comments"), headers=cesi, json={"body": "hello"})
    assert_error(response, 500, "internal_error")
    text = response.get_data(as_text=True).lower()
    assert not any(word in text for word in ("foreign key", "insert", "review_comment", "constraint"))
    assert any(r.levelno == logging.ERROR and "IntegrityError" in repr(r.exc_info) for r in caplog.records)


def test_a_writer_that_cannot_get_its_lock_in_time_gets_503(make_app, corpus, engine):
    from registry.db import write_session
    from registry.services.catalog import _locked_standard

    client = make_app(SQLITE_BUSY_TIMEOUT_MS=300, PG_LOCK_TIMEOUT_MS=300).test_client()
    registrar = Tokens(engine).registrar("wang")
    with write_session(engine) as session:
        _locked_standard(session, "2-02-38-09")  # another writer holds the standard (SQLite: the catalog)
        started = time.monotonic()
        response = client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar,
                               json={"reason": "replaced"})
        waited = time.monotonic() - started
    assert_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "1"
    assert waited < 10
    assert statuses(client, "2-02-38-09") == {"1.0": "in-force"}


def test_a_failing_service_is_a_json_500(client, monkeypatch):
    from registry.services import reading

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(reading, "list_standards", broken)
    response = client.get(url("/standards"))
    assert_error(response, 500, "internal_error")
    assert "on fire" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, status", [
    ("get", "/no-such-route", 404),
    ("get", "/drafts/not-a-number", 404),
    ("delete", "/standards", 405),
    ("put", "/validate", 405),
])
def test_http_errors_under_the_api_are_json(client, method, path, status):
    assert_error(getattr(client, method)(url(path)), status)


def test_a_publication_and_a_withdrawal_take_down_the_plain_copies_that_show_a_status(app, client, corpus, cesi,
                                                                                       registrar):
    """exports/standards/ is served as static files: a copy that says "current" must not outlive a
    publication that supersedes it (nor a withdrawal); copies that show no status stay."""
    from pathlib import Path

    copies = Path(app.config["REGISTRY_EXPORTS_DIR"]).resolve() / "standards" / CODE
    from ..test_downloads import fetch

    def download(suffix: str):
        return fetch(client, f"/standards/{CODE}/1.1{suffix}")

    for suffix in (".case.json", ".json"):
        assert download(suffix).status_code == 200
    assert (copies / "1.1.case.json").exists()
    plain = (copies / "1.1.json").read_bytes()  # prints no standing

    publish(client, draft_in(client, "approved", cesi, registrar, reworded()), registrar)
    assert not (copies / "1.1.case.json").exists() and (copies / "1.1.json").read_bytes() == plain
    again = download(".case.json")
    assert again.status_code == 200 and (copies / "1.1.case.json").read_bytes() == again.data
    assert "1.2" in again.get_data(as_text=True)  # the new copy names the successor

    ok(client.post(url(f"/standards/{CODE}/versions/1.2/withdraw"), headers=registrar,
                   json={"reason": "replaced by a joint standard"}))
    assert not (copies / "1.1.case.json").exists()
