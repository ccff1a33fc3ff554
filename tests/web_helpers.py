"""Helpers for the page tests: people with passwords, signing in with the form's CSRF token, a live server."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_people(engine, body: str = "body-a", *, keeps: tuple[str, ...] = ()) -> dict[str, str]:
    """A body member of ``body`` (the keeper of the standards ``keeps``) and a registrar; returns their
    e-mails by role."""
    from registry.db import write_session
    from registry.models import Body
    from registry.services import accounts, people

    with write_session(engine) as session:
        if session.get(Body, body) is None:
            accounts.add_body(session, body, body)
        people.add_person(session, f"author@{body}.example", PASSWORD, body_id=body)
        if people.count_accounts(session) < 2:
            people.add_person(session, "registrar@registry.example", PASSWORD, registrar=True)
    from .conftest import keep

    keep(engine, body, keeps)
    return {"body": f"author@{body}.example", "registrar": "registrar@registry.example"}


def csrf(client, url: str = "/login") -> str:
    page = client.get(url)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, **environ):
    token = csrf(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, **environ)


@contextmanager
def live_server(app) -> Iterator[str]:
    """The app served by werkzeug on a free loopback port, one thread per request; yields its base URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def searchable(app, corpus_index=None) -> None:
    """Wait for the search index, which a new app builds in the background.

    ``corpus_index`` (the session's index of the sample corpus, for an app on a copy of the corpus
    catalog): linked into the app's data folder first (tests/search/helpers.link_index), so the app opens
    it instead of rebuilding it (seconds each time); what the test changed in the catalog since is then
    applied from the change log, as a running server does. The rebuild itself is tested in tests/search/test_service.py.
    """
    from pathlib import Path

    from registry.search.service import service_for

    from .search.helpers import link_index

    service = service_for(app)
    if corpus_index is not None:
        link_index(corpus_index, Path(app.config["REGISTRY_DATA_DIR"]))
    service.start(wait=0)
    assert service.wait_ready(120)
    service.catch_up()  # every change in the catalog so far is searchable (the thread would apply it soon)
