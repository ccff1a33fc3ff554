"""One app per module on a SQLite copy of the corpus catalog, shared by a table of bad requests.

Each case is a request and the exact status and error code it must get. Every response is also
checked for what no bad input may ever cause (:func:`check_response`): a 5xx, a traceback or an
internal path, or, for an unauthenticated request, an answer much larger than the request.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.api.conftest import CODE
from tests.conftest import Tokens, close_app, make_test_app
from tests.web_helpers import searchable

MAX_ANSWER = 256 * 1024
LEAKS = ("Traceback", "File \"/", "/work/", "site-packages", ".venv", "registry/", "sqlalchemy", "werkzeug.")


@pytest.fixture(scope="module")
def bad_app(sqlite_templates, corpus_index, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("badinput")
    catalog = tmp / "registry.sqlite3"
    catalog.write_bytes(sqlite_templates[True].read_bytes())
    application = make_test_app(f"sqlite:///{catalog}", tmp, MAX_UPLOAD_BYTES=256 * 1024)
    searchable(application, corpus_index)  # searches answer 503 until the index is there
    yield application
    close_app(application)


@pytest.fixture(scope="module")
def bad_client(bad_app):
    return bad_app.test_client()


@pytest.fixture(scope="module")
def body_token(bad_app):
    return Tokens(bad_app.extensions["registry.engine"]).body("cesi", "CESI", keeps=(CODE,))


@pytest.fixture(scope="module")
def registrar_token(bad_app):
    return Tokens(bad_app.extensions["registry.engine"]).registrar("badinput")


def counts(app) -> dict[str, int]:
    """How many rows each table of what a request may store holds."""
    from registry.db import read_session
    from registry.models import Draft, IssuedFile, ReviewComment, StandardVersion

    with read_session(app.extensions["registry.engine"]) as session:
        return {model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Draft, StandardVersion, ReviewComment, IssuedFile)}


def check_response(response, *, sent: int, authenticated: bool) -> None:
    """What no bad input may cause: a 5xx, a traceback or internal path, a refusal of an unauthenticated
    request much larger than the request, or any answer over :data:`MAX_ANSWER`."""
    text = response.get_data(as_text=True)
    assert response.status_code < 500, (response.status_code, text[:500])
    for leak in LEAKS:
        assert leak not in text, (leak, text[:500])
    size = len(response.get_data())
    if not authenticated and response.status_code >= 400:  # a refusal is short, whatever was sent
        assert size <= max(16 * 1024, 4 * sent), (size, sent)
    assert size <= MAX_ANSWER, (size, sent)  # an answer is a page (of results, of a list)


def assert_refused(response, status: int, code: str) -> dict:
    """The JSON error envelope with ``status`` and ``code``."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    error = response.get_json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error
