"""The search service (registry.search.service): wired into the app, the index checked at start, a
missing or damaged one rebuilt in the background by one process, searches answered meanwhile.

The tests of rebuilding run on a catalog of one standard (``one_standard``, two versions): the same
rebuild as of the corpus, in a tenth of its time."""

from __future__ import annotations

import logging
import mmap
import os
import shutil
import time
from pathlib import Path

import pytest

from .helpers import API, ids, random_bytes, search, service_of, unavailable


def test_search_is_a_documented_route_of_the_app(sclient, corpus):
    assert search(sclient, q="数据清洗")["total"] > 0
    document = sclient.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/search"]["get"]
    assert operation["operationId"] == "search" and operation["security"] == []
    assert {"200", "400", "503"} <= set(operation["responses"])


def test_the_index_is_checked_at_app_start_and_a_missing_one_rebuilt_with_a_log_line(make_app, one_standard, caplog):
    caplog.set_level(logging.INFO, logger="registry.search")
    application = make_app()
    # detected while the app was created, before any request
    assert any("is missing: it will be rebuilt from the catalog" in r.getMessage() for r in caplog.records)
    assert service_of(application).wait_ready(120)
    assert any("is missing: rebuilding it from the catalog" in r.getMessage() for r in caplog.records)
    assert search(application.test_client(), q="数据清洗")["total"] > 0


def test_a_rebuild_runs_in_the_background_and_searches_answer_503_until_it_is_done(make_app, one_standard,
                                                                                   slow_catalog):
    application = make_app()  # returns although the rebuild waits for the catalog (slow_catalog)
    client = application.test_client()
    assert "being rebuilt" in unavailable(client, q="数据清洗")["message"]  # served meanwhile: 503
    slow_catalog.set()
    assert service_of(application).wait_ready(120)
    assert search(client, q="数据清洗")["total"] > 0


def test_while_an_index_of_an_older_format_is_rebuilt_searches_use_it(make_app, started_index, slow_catalog,
                                                                      monkeypatch, caplog):
    monkeypatch.setattr("registry.search.whoosh.generations.FORMAT_VERSION", 99)  # this code writes a newer format
    caplog.set_level(logging.WARNING, logger="registry.search.service")
    application = make_app()
    assert any("of format" in r.getMessage() for r in caplog.records)
    client = application.test_client()
    before = search(client, q="数据清洗")  # served by the previous generation meanwhile
    assert before["total"] > 0
    slow_catalog.set()
    assert service_of(application).wait_ready(120)
    assert ids(search(client, q="数据清洗")) == ids(before)
    service_of(application).index.check()  # the new generation is of the new format


def test_one_process_per_index_directory_rebuilds(make_app, one_standard, caplog):
    caplog.set_level(logging.INFO, logger="registry.search")
    first, second = make_app("shared"), make_app("shared")  # two workers of one machine
    assert service_of(first).wait_ready(120) and service_of(second).wait_ready(120)
    assert sum("search index rebuilt in" in r.getMessage() for r in caplog.records) == 1
    for application in (first, second):
        assert search(application.test_client(), q="数据清洗")["total"] > 0


def _damage(generation: Path, kind: str) -> None:
    segments = sorted(generation.glob("MAIN_*.seg"))
    if kind == "truncate-toc":
        toc = max(generation.glob("_MAIN_*.toc"))
        toc.write_bytes(toc.read_bytes()[:20])
    elif kind == "delete-segment":
        segments[0].unlink()
    elif kind == "zero-segment":
        for segment in segments:
            segment.write_bytes(b"\0" * 64)
    elif kind == "random-bytes":
        random_bytes(segments)
    else:
        shutil.rmtree(generation)


def _each_on_sqlite_one_on_postgresql(kinds: list[str]) -> list[tuple[str, str]]:
    """(backend, kind): every kind of damage on SQLite, the first also on PostgreSQL. The damage is to
    the index's files, the same whatever the catalog; the catalog only feeds the rebuild, and reading
    the rebuild from each backend is what the PostgreSQL case adds."""
    return [("sqlite", kind) for kind in kinds] + [("postgresql", kinds[0])]


@pytest.mark.parametrize("db_url, damage", _each_on_sqlite_one_on_postgresql(
    ["truncate-toc", "delete-segment", "zero-segment", "random-bytes", "dangling-link"]), indirect=["db_url"])
def test_a_damaged_index_is_detected_at_start_and_rebuilt_with_a_log_line(make_app, one_standard, built_index,
                                                                          caplog, damage):
    target = built_index()
    _damage(target / os.readlink(target / "current"), damage)
    caplog.set_level(logging.WARNING)
    application = make_app()
    assert any("it will be rebuilt from the catalog" in r.getMessage() for r in caplog.records), caplog.text
    assert service_of(application).wait_ready(120)
    assert any("rebuilding it from the catalog" in r.getMessage() for r in caplog.records), caplog.text
    assert search(application.test_client(), q="数据清洗")["total"] > 0


@pytest.mark.parametrize("db_url, files", _each_on_sqlite_one_on_postgresql(  # Whoosh's files, and the mirrors
    ["MAIN_*.seg", "MAIN_*.mirror_docs.npy"]), indirect=["db_url"])
def test_random_bytes_in_a_segment_while_serving_give_503_and_a_rebuild(make_app, one_standard, built_index,
                                                                        caplog, files):
    target = built_index()
    application = make_app()
    client = application.test_client()
    before = ids(search(client, q="数据清洗", per_page=50))
    caplog.set_level(logging.WARNING)
    damaged = sorted((target / os.readlink(target / "current")).glob(files))
    assert damaged
    random_bytes(damaged)
    deadline = time.monotonic() + 60
    while client.get(API, query_string={"q": "数据清洗", "per_page": 50}).status_code == 200:
        assert time.monotonic() < deadline, "damage not noticed"  # the thread stats the files
        time.sleep(0.05)
    assert "being rebuilt" in unavailable(client, q="数据清洗", per_page=50)["message"]
    assert any("does not match its checksum" in r.getMessage() for r in caplog.records), caplog.text
    assert service_of(application).wait_ready(120)
    assert ids(search(client, q="数据清洗", per_page=50)) == before


def test_mirrors_cut_short_in_place_while_serving_give_503_at_once(make_app, built_index):
    """The mirrors are memory-mapped: one truncated in place (same inode) kills the process with SIGBUS
    when a search reads past its new end. The next search must see it shorter and answer 503, then the
    rebuilt index answers as before."""
    target = built_index()
    application = make_app(SEARCH_CATCH_UP_MS=600_000)  # the thread's stat of the files comes too late to help
    client = application.test_client()
    before = ids(search(client, q="数据清洗", per_page=50))
    cut = sorted((target / os.readlink(target / "current")).glob("MAIN_*.mirror_*"))
    assert max(path.stat().st_size for path in cut) > 2 * mmap.PAGESIZE  # reads past the end fault
    for path in cut:
        with open(path, "r+b") as handle:
            handle.truncate(20)
    response = client.get(API, query_string={"q": "数据清洗", "per_page": 50})
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"]
    assert service_of(application).wait_ready(120)
    assert ids(search(client, q="数据清洗", per_page=50)) == before


def test_an_error_of_sound_files_is_not_taken_for_damage(sclient, corpus, monkeypatch):
    search(sclient, q="数据清洗")

    def broken(*args, **kwargs):
        raise KeyError("a mistake in the code, not in the files")

    monkeypatch.setattr("registry.search.whoosh.searching.hit", broken)
    response = sclient.get(API, query_string={"q": "数据清洗"})
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"
    monkeypatch.undo()
    assert search(sclient, q="数据清洗")["total"] > 0  # no rebuild was started: the index answers at once


def _harm(generation: Path, harm: str) -> None:
    if harm == "delete-generation":
        shutil.rmtree(generation)
        return
    action, part = harm.split("-", 1)
    pattern = {"segment": "MAIN_*.seg", "toc": "_MAIN_*.toc", "mirrors": "MAIN_*.mirror_*",
               "checksums": "checksums.json"}[part]
    doomed = sorted(generation.glob(pattern))
    assert doomed
    for path in doomed:
        if action == "delete":
            path.unlink()
        elif action == "truncate":
            path.write_bytes(path.read_bytes()[:20])
        else:
            path.write_bytes(b"\x00garbage{")


@pytest.mark.parametrize("db_url, harm", _each_on_sqlite_one_on_postgresql(
    ["delete-generation", "delete-segment", "delete-toc", "delete-mirrors", "delete-checksums", "truncate-toc",
     "garbage-checksums"]), indirect=["db_url"])
def test_part_of_the_index_deleted_or_damaged_while_serving_gives_503_and_a_rebuild(make_app, built_index, harm):
    target = built_index()
    application = make_app()
    client = application.test_client()
    before = ids(search(client, q="数据清洗", per_page=50))
    generation = target / os.readlink(target / "current")
    _harm(generation, harm)
    answers = set()
    deadline = time.monotonic() + 60
    while True:  # 503 (never 500) until a new generation, rebuilt from the catalog, answers as before
        response = client.get(API, query_string={"q": "数据清洗", "per_page": 50})
        answers.add(response.status_code)
        assert response.status_code in (200, 503), response.get_data(as_text=True)
        if response.status_code == 503:
            assert response.headers["Retry-After"]
        elif service_of(application).index.generation_dir() != str(generation):
            assert ids(response.get_json()) == before
            break
        assert time.monotonic() < deadline, f"not rebuilt; answers {answers}"
        time.sleep(0.05)
    service_of(application).index.check()
