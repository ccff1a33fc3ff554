"""Helpers for the page tests: people with passwords, signing in with the form's CSRF token."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_people(engine, body: str = "body-a") -> dict[str, str]:
    """A body member of ``body`` and a registrar; returns their e-mails by role."""
    from registry.db import write_session
    from registry.models import Body
    from registry.services import accounts, people

    with write_session(engine) as session:
        if session.get(Body, body) is None:
            accounts.add_body(session, body, body)
        people.add_person(session, f"author@{body}.example", PASSWORD, body_id=body)
        if people.count_accounts(session) < 2:
            people.add_person(session, "registrar@registry.example", PASSWORD, registrar=True)
    return {"body": f"author@{body}.example", "registrar": "registrar@registry.example"}


def csrf(client, url: str = "/login") -> str:
    page = client.get(url)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(client)})
