"""Fixtures of the search tests.

Every API test runs on SQLite and PostgreSQL (the ``app`` fixture, made by ``create_app``). Building
the index of the sample corpus is the slow part, so it is built once per session (``corpus_index`` in
tests/conftest.py) and copied into each test's data folder; tests that are about building it (missing,
corrupt, reindex) start from nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.conftest import STANDARDS, close_app, make_test_app

from .helpers import CODE, link_index


@pytest.fixture
def search_app(app, request):
    """The suite's app (create_app; search starts at its first use), with the corpus's index linked
    into its data folder when the test has the corpus."""
    if "corpus" in request.fixturenames:
        link_index(request.getfixturevalue("corpus_index"), Path(app.config["REGISTRY_DATA_DIR"]))
    return app


@pytest.fixture
def sclient(search_app):
    return search_app.test_client()


@pytest.fixture
def make_app(db_url, tmp_path):
    """Apps as a server process makes them: create_app, the search index checked at start."""
    made = []

    def build(name: str = "started", **config):
        made.append(make_test_app(db_url, tmp_path, DATA_DIR=str(tmp_path / name), SEARCH_CHECK_ON_START=1, **config))
        return made[-1]

    yield build
    for application in made:
        close_app(application)


@pytest.fixture
def one_standard(db_url) -> str:
    """The empty catalog with one standard's two versions published (CODE 1.0 and 1.1): what the tests
    of rebuilding an index need (a rebuild is what they test, not its size), rebuilt in a tenth of the
    corpus's time. Returns ``db_url``."""
    from registry.db import make_engine
    from registry.services.catalog import load_corpus

    engine = make_engine(db_url)
    outcomes = load_corpus(engine, [str(STANDARDS / CODE)])
    engine.dispose()
    assert [o.status for o in outcomes] == ["published", "published"], outcomes
    return db_url


@pytest.fixture
def built_index(one_standard, tmp_path):
    """Builds the index of ``one_standard`` into a data folder (``started`` by default), as an app that
    ran before left it; returns the index's folder."""
    from registry.db import make_engine
    from registry.search.service import index_dir, reindex

    def build(name: str = "started") -> Path:
        engine = make_engine(one_standard)
        try:
            reindex(engine, tmp_path / name, procs=1)
        finally:
            engine.dispose()
        return index_dir({"DATA_DIR": tmp_path / name})

    return build


@pytest.fixture
def started_index(built_index) -> Path:
    """The index of ``one_standard`` in the data folder ``started`` (built before ``slow_catalog`` holds
    the catalog back, when a test lists it first)."""
    return built_index()


@pytest.fixture
def cesi(tokens) -> dict:
    return tokens.body("cesi", "China Electronics Standardization Institute", keeps=(CODE,))


@pytest.fixture
def registrar(tokens) -> dict:
    return tokens.registrar("wang")


@pytest.fixture
def slow_catalog(monkeypatch):
    """Rebuilds read the catalog only once ``release`` is set (a catalog too big to rebuild at once);
    the app's start waits for nothing."""
    from registry.search import feed, service

    release = threading.Event()
    original = feed.CatalogFeed.versions

    def versions(self, part, parts):
        assert release.wait(60)
        yield from original(self, part, parts)

    monkeypatch.setattr(feed.CatalogFeed, "versions", versions)
    monkeypatch.setattr(service, "START_WAIT", 0)
    yield release
    release.set()
