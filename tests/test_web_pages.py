"""Public pages, languages, security headers, cookies, CSRF and sign-in (Flask test client, both backends)."""

from __future__ import annotations

import pytest

from registry.db import write_session
from registry.services.catalog import load_corpus  # noqa: F401  (the corpus fixture loads it)

from .web_helpers import PASSWORD, add_people, csrf, sign_in

CODE = "4-04-05-05"


@pytest.mark.parametrize("url", ["/", "/standards", f"/standards/{CODE}", f"/standards/{CODE}/1.0",
                                 f"/standards/{CODE}/diff?from=1.0&to=2.0", "/search?q=annotation", "/login",
                                 "/standards?sector=artificial-intelligence"])
def test_public_pages_render_with_security_headers(client, corpus, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "<script" not in response.get_data(as_text=True)


def test_home_shows_sectors_recent_and_a_search_box(client, corpus):
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "artificial-intelligence" in page and 'name="q"' in page
    assert f"/standards/{CODE}/2.0" in page


def test_standard_page_shows_tables_history_and_downloads(client, corpus):
    page = client.get(f"/standards/{CODE}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Version history" in page and "Weight tables" in page and "Work requirements" in page
    for suffix in (".pdf", ".html", ".csv", ".case.json", ".yaml"):
        assert f"/standards/{CODE}/2.0{suffix}" in page
    assert "superseded" in page and "diff?from=1.0&amp;to=2.0" in page
    assert 'id="R-L5-collect-acq-1"' in page  # items are anchors that search results link to


def test_documents_follow_the_interface_language_with_master_fallback(client, corpus):
    english = client.get(f"/standards/{CODE}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    chinese = client.get(f"/standards/{CODE}", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "Data annotation" in english and "Version history" in english
    assert "数据标注" in chinese and "版本历史" in chinese


def test_language_switch_is_a_csrf_form_and_is_remembered(client, corpus):
    token = csrf(client, "/")
    response = client.post("/lang", data={"lang": "en", "next": "/standards", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/standards"
    assert "Version history" in client.get(f"/standards/{CODE}", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert client.post("/lang", data={"lang": "zh"}).status_code == 400  # no token
    evil = client.post("/lang", data={"lang": "zh", "next": "//evil.example/", "csrf_token": token})
    assert evil.headers["Location"] == "/"


def test_diff_page_highlights_changes_and_class(client, corpus):
    page = client.get(f"/standards/{CODE}/diff?from=1.0&to=2.0", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Change class" in page and ("major" in page or "minor" in page)
    assert "<ins>" in page or "<del>" in page
    assert client.get(f"/standards/{CODE}/diff?from=x&to=2.0").status_code == 400
    assert client.get(f"/standards/{CODE}/diff?from=1.0&to=9.0").status_code == 404


def test_downloads_and_pages_share_the_url_space(client, corpus):
    csv = client.get(f"/standards/{CODE}/1.0.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    csv.close()
    assert client.get(f"/standards/{CODE}/9.9").status_code == 404
    assert client.get("/standards/..%2f..%2fetc/1.0").status_code == 404


def test_search_page_has_facets_and_highlights(client, corpus):
    page = client.get("/search?q=数据标注", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "<mark>" in page and "细化结果" in page
    filtered = client.get("/search?q=annotation&level=L4", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "level: L4" in filtered and "<mark>" in filtered


def test_marked_snippets_cannot_carry_markup():
    from registry.web.common import marked

    assert str(marked("a &lt;b&gt; <mark>x</mark>")) == "a &lt;b&gt; <mark>x</mark>"
    assert "<script>" not in str(marked("<script>alert(1)</script><mark><img src=x></mark>"))


def test_feed_lists_publications_with_what_changed(client, corpus):
    response = client.get("/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    body = response.get_data(as_text=True)
    assert "<feed" in body and f"{CODE} 2.0" in body and "changes since 1.0" in body


def test_verify_page_keeps_its_behaviour(client, corpus):
    assert client.get("/verify/" + "0" * 64).status_code == 404


# --- accounts, sessions, CSRF ----------------------------------------------------------------------


def test_sign_in_sets_a_hardened_session_cookie(app, client, engine):
    people = add_people(engine)
    response = sign_in(client, people["body"])
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/portal/").status_code == 200


def test_session_cookie_is_secure_behind_https(db_url, tmp_path):
    from registry import create_app

    app = create_app({"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "i"), "EXPORTS_DIR": str(tmp_path / "e"),
                      "BASE_URL": "https://registry.example"})
    add_people(app.extensions["registry.engine"])
    client = app.test_client()
    response = sign_in(client, "author@body-a.example")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in client.get("/login").headers["Strict-Transport-Security"]
    app.extensions["registry.engine"].dispose()


def test_passwords_are_hashed_with_argon2(engine):
    from sqlmodel import select

    from registry.db import read_session
    from registry.models import Account

    add_people(engine)
    with read_session(engine) as session:
        hashes = [a.password_hash for a in session.exec(select(Account))]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_wrong_password_then_rate_limit(client, engine):
    people = add_people(engine)
    for _ in range(5):
        assert sign_in(client, people["body"], "wrong password!").status_code == 401
    limited = sign_in(client, people["body"])  # even the right password is refused now
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert sign_in(client, people["registrar"]).status_code == 302  # other accounts are unaffected


def test_the_secret_key_is_shared_through_the_data_dir(db_url, tmp_path):
    from registry import create_app

    config = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "shared"), "EXPORTS_DIR": str(tmp_path / "e")}
    first, second = create_app(config), create_app(config)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 64
    assert (tmp_path / "shared" / "secret_key").stat().st_mode & 0o077 == 0
    configured = create_app({**config, "SECRET_KEY": "from-the-environment"})
    assert configured.secret_key == "from-the-environment"
    for app in (first, second, configured):
        app.extensions["registry.engine"].dispose()


@pytest.mark.parametrize("url", ["/logout", "/portal/drafts/new", "/review/drafts/1/approve", "/lang"])
def test_forms_without_a_csrf_token_are_refused(client, engine, url):
    people = add_people(engine)
    sign_in(client, people["registrar"])
    response = client.post(url, data={"source": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_the_api_is_not_subject_to_csrf(client, corpus, tokens):
    response = client.post("/api/v1/drafts", data=b"code: x", headers={**tokens.body("b1"),
                                                                        "Content-Type": "application/yaml"})
    assert response.status_code != 400 or "CSRF" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url,who,status", [("/portal/", None, 302), ("/review/", None, 302),
                                            ("/review/", "body", 403), ("/portal/", "registrar", 403),
                                            ("/review/", "registrar", 200), ("/portal/", "body", 200)])
def test_pages_need_the_right_role(client, engine, url, who, status):
    people = add_people(engine)
    if who:
        sign_in(client, people[who])
    response = client.get(url)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login?next=")
