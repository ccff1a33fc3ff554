"""Accounts, sessions, redirects, cookies, CSRF and the sign-in rate limits (both backends).

The rate-limit tests fire attempts concurrently: from threads against a live server, and from
several processes each with its own engine, as gunicorn workers on several machines would.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from registry.db import read_session, write_session
from registry.models import AuditEvent, SignInCounter, WebSession, utcnow
from registry.services import throttle

from ..conftest import close_app, make_test_app
from ..web_helpers import PASSWORD, TOKEN, add_people, csrf, live_server, sign_in

# --- redirects -----------------------------------------------------------------------------------

#: next= values that must never leave the site (each one a known trick against lenient parsers)
HOSTILE_TARGETS = [
    "//evil.example/", "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example", "\t//evil.example/",
    "/\\evil.example", "\\/evil.example", "/\\/evil.example", "\\\\evil.example", "https://evil.example/",
    "http:/evil.example", "http:evil.example", "javascript:alert(1)", "data:text/html,x", "evil.example",
    "///evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "/%09/evil.example",
    " /x", "/x y", "/\u3000/evil.example", "/\uff0f/evil.example", "/\uff3cevil.example", "/\u200b/evil.example",
    "/\x00/evil.example", "/\x7f/evil.example", "", "/" + "a" * 3000,
]
LOCAL_TARGETS = ["/standards", "/search?q=data%20annotation&level=L4", "/standards/4-04-05-05/diff?from=1.0&to=2.0",
                 "/search?q=数据"]


def _stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return location.startswith("/") and not location.startswith("//") and not parts.netloc and "\\" not in location


def test_no_redirect_leaves_the_site(client, engine):
    people = add_people(engine)
    for target in HOSTILE_TARGETS:
        response = client.get("/lang", query_string={"lang": "en", "next": target})
        assert response.headers["Location"] == "/", repr(target)
        token = csrf(client)
        signed = client.post("/login", data={"email": people["body"], "password": PASSWORD, "csrf_token": token,
                                             "next": target})
        assert signed.status_code == 302 and signed.headers["Location"] == "/portal/", repr(target)
    for target in LOCAL_TARGETS:
        location = client.get("/lang", query_string={"lang": "en", "next": target}).headers["Location"]
        assert _stays_on_site(location) and urlsplit(location).path == urlsplit(target).path, target


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_is_local_path_refuses_every_vector(target):
    from registry.web.setup import is_local_path

    assert not is_local_path(target)


# --- accounts and sessions -----------------------------------------------------------------------


def test_sign_in_sets_a_hardened_session_cookie(client, engine):
    people = add_people(engine)
    response = sign_in(client, people["body"])
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # ends with the server-side session, not "when the browser closes"
    assert client.get("/portal/").status_code == 200
    with read_session(engine) as session:
        (row,) = session.exec(select(WebSession))
    assert row.expires_at - row.created_at == timedelta(hours=12)
    assert client.application.permanent_session_lifetime == timedelta(hours=12)


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(app, client, engine):
    people = add_people(engine)
    sign_in(client, people["body"])
    stolen = app.test_client()
    stolen.set_cookie("registry_session", client.get_cookie("registry_session").value)
    assert stolen.get("/portal/").status_code == 200  # a copy works while the session lives...
    page = client.get("/portal/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": TOKEN.search(page).group(1)}).status_code == 302
    assert stolen.get("/portal/").status_code == 302  # ...and not after signing out
    assert stolen.get("/portal/").headers["Location"].startswith("/login")
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(WebSession)).one() == 0


def test_an_idle_session_ends(client, engine, monkeypatch):
    from registry.web import auth

    people = add_people(engine)
    sign_in(client, people["body"])
    assert client.get("/portal/").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: later))
    assert client.get("/portal/").status_code == 302


def test_a_session_past_its_lifetime_ends(client, engine):
    people = add_people(engine)
    sign_in(client, people["body"])
    with write_session(engine) as session:
        session.execute(text("UPDATE web_session SET expires_at = :t"), {"t": utcnow() - timedelta(seconds=1)})
    assert client.get("/portal/").status_code == 302


def test_passwords_are_hashed_with_argon2(engine, cheap_password_hashes):
    from argon2 import Type

    from registry.models import Account

    add_people(engine)
    with read_session(engine) as session:
        hashes = [a.password_hash for a in session.exec(select(Account))]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    # the registry's own work factor (the suite's accounts use a cheap one: tests/conftest.py):
    # RFC 9106's second recommended option, 64 MiB and 3 passes, at the least
    registry = cheap_password_hashes
    assert registry.type is Type.ID and registry.memory_cost >= 64 * 1024 and registry.time_cost >= 3


def test_the_secret_key_is_shared_through_the_data_dir(db_url, tmp_path):
    shared = {"DATA_DIR": str(tmp_path / "shared")}
    first, second = make_test_app(db_url, tmp_path, **shared), make_test_app(db_url, tmp_path, **shared)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 64
    assert (tmp_path / "shared" / "secret_key").stat().st_mode & 0o077 == 0
    configured = make_test_app(db_url, tmp_path, **shared, SECRET_KEY="from-the-environment")
    assert configured.secret_key == "from-the-environment"
    for application in (first, second, configured):
        close_app(application)


@pytest.mark.parametrize("url", ["/logout", "/portal/drafts/new", "/review/drafts/1/approve", "/lang"])
def test_forms_without_a_csrf_token_are_refused(client, engine, url):
    people = add_people(engine)
    sign_in(client, people["registrar"])
    response = client.post(url, data={"source": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_every_page_form_route_refuses_a_post_without_a_csrf_token(app, client, engine):
    """Not only the forms listed above: every POST route outside the API, found in the URL map."""
    import re

    sign_in(client, add_people(engine)["registrar"])
    routes = sorted(rule.rule for rule in app.url_map.iter_rules()
                    if "POST" in rule.methods and not rule.rule.startswith(("/api/", "/ims/")))
    assert len(routes) >= 10, routes
    for route in routes:
        url = re.sub(r"<int:[^>]+>", "1", re.sub(r"<(?!int:)[^>]+>", "x", route))
        response = client.post(url, data={"source": "x", "body": "x", "reason": "x"})
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True), route


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


# --- cookies over HTTPS ----------------------------------------------------------------------------


def test_session_cookie_is_secure_when_the_base_url_is_https(db_url, tmp_path):
    app = make_test_app(db_url, tmp_path, BASE_URL="https://registry.example")
    add_people(app.extensions["registry.engine"])
    client = app.test_client()
    assert "Secure" in sign_in(client, "author@body-a.example").headers["Set-Cookie"]
    assert "max-age" in client.get("/login").headers["Strict-Transport-Security"]
    close_app(app)


def test_cookies_are_secure_when_the_request_is_https_behind_a_trusted_proxy(db_url, tmp_path):
    app = make_test_app(db_url, tmp_path, TRUSTED_PROXIES=1)  # the base URL stays http://
    add_people(app.extensions["registry.engine"])
    client = app.test_client()
    # (a browser sends the Referer that Flask-WTF checks on HTTPS)
    https = {"headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7",
                         "Referer": "https://localhost/login"}}
    token = TOKEN.search(client.get("/login", **https).get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": "author@body-a.example", "password": PASSWORD,
                                           "csrf_token": token}, **https)
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]
    assert "Secure" in client.get("/lang?lang=zh", **https).headers["Set-Cookie"]
    assert "Secure" not in client.get("/lang?lang=zh").headers["Set-Cookie"]  # plain http: not Secure
    with read_session(app.extensions["registry.engine"]) as session:
        login = session.exec(select(AuditEvent).where(AuditEvent.action == "login")).one()
    assert login.details["ip"] == "198.51.100.7"  # the client's address, from the trusted proxy
    close_app(app)


def test_forwarded_headers_are_ignored_without_trusted_proxies(client, engine):
    people = add_people(engine)
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    token = csrf(client)
    response = client.post("/login", data={"email": people["body"], "password": PASSWORD, "csrf_token": token},
                           headers=forged)
    assert "Secure" not in response.headers["Set-Cookie"]
    with read_session(engine) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "login")).one().details["ip"] == "127.0.0.1"


# --- rate limits ---------------------------------------------------------------------------------


def _attempt(client, email: str, password: str = "wrong password!", address: str = "127.0.0.1"):
    return sign_in(client, email, password, environ_base={"REMOTE_ADDR": address})


def test_wrong_passwords_then_the_pair_limit(client, engine):
    people = add_people(engine)
    for _ in range(throttle.PAIR_LIMIT):
        assert _attempt(client, people["body"]).status_code == 401
    limited = _attempt(client, people["body"], PASSWORD)  # even the right password is refused now
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 900
    assert "Try again in 15 minutes" in limited.get_data(as_text=True)
    assert _attempt(client, people["registrar"], PASSWORD).status_code == 302  # other accounts: unaffected
    assert _attempt(client, people["body"], PASSWORD, "192.0.2.1").status_code == 302  # other addresses too
    with read_session(engine) as session:  # failures are counted, not audited
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "login-failed")).first() is None


def test_a_successful_sign_in_does_not_count(client, engine):
    people = add_people(engine)
    for _ in range(throttle.PAIR_LIMIT - 1):
        _attempt(client, people["body"])
    assert _attempt(client, people["body"], PASSWORD).status_code == 302
    assert _attempt(client, people["body"]).status_code == 401  # the fifth failure is still checked
    assert _attempt(client, people["body"], PASSWORD).status_code == 429


def test_password_spraying_from_one_address_is_limited(client, engine):
    people = add_people(engine)
    for n in range(throttle.ADDRESS_LIMIT):
        assert _attempt(client, f"nobody{n}@example.org", address="203.0.113.5").status_code == 401
    assert _attempt(client, people["body"], PASSWORD, "203.0.113.5").status_code == 429
    assert _attempt(client, people["body"], PASSWORD, "203.0.113.6").status_code == 302


def test_guessing_one_account_from_many_addresses_is_limited(client, engine):
    people = add_people(engine)
    for n in range(throttle.ACCOUNT_LIMIT):
        assert _attempt(client, people["body"], address=f"198.51.100.{n + 1}").status_code == 401
    assert _attempt(client, people["body"], PASSWORD, "198.51.100.200").status_code == 429
    assert _attempt(client, people["registrar"], PASSWORD, "198.51.100.200").status_code == 302


def test_ipv6_clients_count_per_64(client, engine):
    assert throttle.address_key("2001:db8:1:2:aaaa::1") == throttle.address_key("2001:db8:1:2:bbbb::9")
    assert throttle.address_key("2001:db8:1:3::1") != throttle.address_key("2001:db8:1:2::1")
    assert throttle.address_key("::ffff:192.0.2.7") == "192.0.2.7"


def test_counters_of_past_windows_are_deleted(client, engine):
    people = add_people(engine)
    with write_session(engine) as session:
        session.add(SignInCounter(key="0" * 64, failures=3, window_start=utcnow() - timedelta(hours=1)))
    _attempt(client, people["body"])
    with read_session(engine) as session:
        keys = session.exec(select(SignInCounter.key)).all()
    assert "0" * 64 not in keys and len(keys) == 3  # the pair, the account and the address of this attempt


def _post_login(base: str, email: str, password: str) -> int:
    """One sign-in through HTTP, with its own cookie jar (a browser of its own)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())
    token = TOKEN.search(opener.open(base + "/login", timeout=60).read().decode()).group(1)
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    try:
        return opener.open(base + "/login", data=body, timeout=120).status
    except urllib.error.HTTPError as error:
        return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_concurrent_wrong_passwords_are_checked_at_most_the_limit(app, engine):
    """30 simultaneous wrong passwords against a live server: exactly PAIR_LIMIT are checked."""
    people = add_people(engine)
    statuses: list[int] = []
    with live_server(app) as base:
        start = threading.Barrier(30)

        def fire():
            start.wait()
            statuses.append(_post_login(base, people["body"], "wrong password!"))

        threads = [threading.Thread(target=fire) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert sorted(statuses) == [401] * throttle.PAIR_LIMIT + [429] * (30 - throttle.PAIR_LIMIT)


def _sign_in_from_a_process(url: str, email: str, ready, attempts: int, results) -> None:
    """Several attempts from a process of its own, with its own engine (as a gunicorn worker has), once
    every process is ready (``ready``, a barrier); the outcomes go to ``results``."""
    from registry.db import make_engine
    from registry.errors import TooManyAttempts, Unauthorized
    from registry.services import people

    engine = make_engine(url)
    outcomes = []
    ready.wait(timeout=300)  # every process has imported the registry: they start at the same moment
    for _ in range(attempts):
        try:
            people.sign_in(engine, email, "wrong password!", "192.0.2.50")
            outcomes.append("signed-in")
        except TooManyAttempts:
            outcomes.append("refused")
        except Unauthorized:
            outcomes.append("checked")
    engine.dispose()
    results.put(outcomes)


def test_the_limit_holds_across_processes(db_url, engine):
    people = add_people(engine)
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_sign_in_from_a_process, args=(db_url, people["body"], ready, 6, results))
                 for _ in range(4)]
    for process in processes:
        process.start()
    outcomes = [o for _ in processes for o in results.get(timeout=300)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert outcomes.count("checked") == throttle.PAIR_LIMIT and outcomes.count("signed-in") == 0
    assert outcomes.count("refused") == 24 - throttle.PAIR_LIMIT
