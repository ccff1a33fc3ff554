"""Search: wiring, Chinese and English, facets, filters, ranking, paging, errors, freshness across
processes, a missing or damaged index, and concurrency.

Every API test runs on SQLite and PostgreSQL (the ``app`` fixture, made by ``create_app``). Building
the index of the sample corpus is the slow part, so it is built once per session and copied into each
test's data folder; tests that are about building it (missing, corrupt, reindex) start from nothing.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import random
import shutil
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, STANDARDS, close_app, make_test_app

API = "/api/v1/search"
CODE = "2-02-38-03"  # published as 1.0 (superseded) and 1.1 (current)
SAMPLE = STANDARDS / CODE / "1.1.yaml"
OLD_TEXT = "能使用数据库导出、接口调用等方式从业务系统采集结构化数据。".encode()
UNIQUE = "量子纠缠校验"  # in no standard of the corpus


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, sqlite_templates) -> Path:
    """The index of the sample corpus, built once (from the SQLite template) with two processes."""
    from registry.db import make_engine
    from registry.services.search import reindex

    folder = tmp_path_factory.mktemp("search-template")
    catalog = folder / "catalog.sqlite3"
    catalog.write_bytes(sqlite_templates[True].read_bytes())
    engine = make_engine(f"sqlite:///{catalog}")
    report = reindex(engine, folder, procs=2)
    engine.dispose()
    assert report["documents"] > 2000 and report["procs"] == 2
    return folder / "index"


def _copy_index(corpus_index: Path, data_dir: Path) -> Path:
    target = data_dir.resolve() / "index"
    shutil.copytree(corpus_index, target, symlinks=True, dirs_exist_ok=True)
    return target


@pytest.fixture
def search_app(app, request):
    """The suite's app (create_app; search starts at its first use), with the corpus's index copied
    into its data folder when the test has the corpus."""
    if "corpus" in request.fixturenames:
        _copy_index(request.getfixturevalue("corpus_index"), Path(app.config["REGISTRY_DATA_DIR"]))
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
def cesi(tokens) -> dict:
    return tokens.body("cesi", "China Electronics Standardization Institute", keeps=(CODE,))


@pytest.fixture
def registrar(tokens) -> dict:
    return tokens.registrar("wang")


def search(client, **params) -> dict:
    response = client.get(API, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def error(client, status: int = 400, **params) -> dict:
    response = client.get(API, query_string=params)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["message"]
    return body


def unavailable(client, **params) -> dict:
    response = client.get(API, query_string=params)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    body = response.get_json()["error"]
    assert body["code"] == "service_unavailable"
    return body


def ids(result: dict) -> list[tuple]:
    return [(h["code"], h["version"], h["kind"], h["item_id"]) for h in result["hits"]]


def _service(application):
    return application.extensions["registry.search"]


# --- wiring ------------------------------------------------------------------------------------


def test_search_is_a_documented_route_of_the_app(sclient, corpus):
    assert search(sclient, q="数据清洗")["total"] > 0
    document = sclient.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/search"]["get"]
    assert operation["operationId"] == "search" and operation["security"] == []
    assert {"200", "400", "503"} <= set(operation["responses"])


def test_the_index_is_checked_at_app_start_and_a_missing_one_rebuilt_with_a_log_line(make_app, corpus, caplog):
    caplog.set_level(logging.INFO, logger="registry.search")
    caplog.set_level(logging.INFO, logger="registry.services.search")
    application = make_app()
    # detected while the app was created, before any request
    assert any("is missing: it will be rebuilt from the catalog" in r.getMessage() for r in caplog.records)
    assert _service(application).wait_ready(60)
    assert any("is missing: rebuilding it from the catalog" in r.getMessage() for r in caplog.records)
    assert search(application.test_client(), q="数据清洗")["total"] > 0


@pytest.fixture
def slow_catalog(monkeypatch):
    """Rebuilds read the catalog only once ``release`` is set (a catalog too big to rebuild at once);
    the app's start waits for nothing."""
    from registry.services import search as service_module

    release = threading.Event()
    original = service_module.CatalogFeed.versions

    def versions(self, part, parts):
        assert release.wait(60)
        yield from original(self, part, parts)

    monkeypatch.setattr(service_module.CatalogFeed, "versions", versions)
    monkeypatch.setattr(service_module, "START_WAIT", 0)
    yield release
    release.set()


def test_a_rebuild_runs_in_the_background_and_searches_answer_503_until_it_is_done(make_app, corpus, slow_catalog):
    started = time.monotonic()
    application = make_app()
    assert time.monotonic() - started < 10  # the worker started although the index is not built
    client = application.test_client()
    assert "being rebuilt" in unavailable(client, q="数据清洗")["message"]
    slow_catalog.set()
    assert _service(application).wait_ready(60)
    assert search(client, q="数据清洗")["total"] > 0


def test_while_an_index_of_an_older_format_is_rebuilt_searches_use_it(make_app, corpus, corpus_index, slow_catalog,
                                                                      tmp_path, monkeypatch, caplog):
    _copy_index(corpus_index, tmp_path / "started")
    monkeypatch.setattr("registry.search.FORMAT_VERSION", 99)  # this code writes a newer format
    caplog.set_level(logging.WARNING, logger="registry.services.search")
    application = make_app()
    assert any("of format" in r.getMessage() for r in caplog.records)
    client = application.test_client()
    before = search(client, q="数据清洗")  # served by the previous generation meanwhile
    assert before["total"] > 0
    slow_catalog.set()
    assert _service(application).wait_ready(60)
    assert ids(search(client, q="数据清洗")) == ids(before)
    _service(application).index.check()  # the new generation is of the new format


def test_one_process_per_index_directory_rebuilds(make_app, corpus, caplog):
    caplog.set_level(logging.INFO, logger="registry.search")
    first, second = make_app("shared"), make_app("shared")  # two workers of one machine
    assert _service(first).wait_ready(60) and _service(second).wait_ready(60)
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
        _random_bytes(segments)
    else:
        shutil.rmtree(generation)


def _random_bytes(segments: list[Path]) -> None:
    """Random bytes over the middle half of each segment file, its size unchanged."""
    rnd = random.Random(7)
    for segment in segments:
        size = segment.stat().st_size
        with open(segment, "r+b") as handle:
            handle.seek(size // 4)
            handle.write(rnd.randbytes(size // 2))


@pytest.mark.parametrize("damage", ["truncate-toc", "delete-segment", "zero-segment", "random-bytes", "dangling-link"])
def test_a_damaged_index_is_detected_at_start_and_rebuilt_with_a_log_line(make_app, corpus, corpus_index, tmp_path,
                                                                          caplog, damage):
    target = _copy_index(corpus_index, tmp_path / "started")
    _damage(target / os.readlink(target / "current"), damage)
    caplog.set_level(logging.WARNING)
    application = make_app()
    assert any("it will be rebuilt from the catalog" in r.getMessage() for r in caplog.records), caplog.text
    assert _service(application).wait_ready(60)
    assert any("rebuilding it from the catalog" in r.getMessage() for r in caplog.records), caplog.text
    assert search(application.test_client(), q="数据清洗")["total"] > 0


@pytest.mark.parametrize("files", ["MAIN_*.seg", "MAIN_*.mirror_docs.npy"])  # Whoosh's files, and the mirrors
def test_random_bytes_in_a_segment_while_serving_give_503_and_a_rebuild(make_app, corpus, corpus_index, tmp_path,
                                                                        caplog, files):
    target = _copy_index(corpus_index, tmp_path / "started")
    application = make_app()
    client = application.test_client()
    before = ids(search(client, q="数据清洗", per_page=50))
    caplog.set_level(logging.WARNING)
    damaged = sorted((target / os.readlink(target / "current")).glob(files))
    assert damaged
    _random_bytes(damaged)
    deadline = time.monotonic() + 2
    while client.get(API, query_string={"q": "数据清洗", "per_page": 50}).status_code == 200:
        assert time.monotonic() < deadline, "damage not noticed within 2 s"  # the thread stats the files
        time.sleep(0.05)
    assert "being rebuilt" in unavailable(client, q="数据清洗", per_page=50)["message"]
    assert any("does not match its checksum" in r.getMessage() for r in caplog.records), caplog.text
    assert _service(application).wait_ready(60)
    assert ids(search(client, q="数据清洗", per_page=50)) == before


def _engine_parts(generation: Path) -> list[tuple[Path, int, int]]:
    """Where each segment's postings and stored fields are: (file, offset, length) in Whoosh's compound
    files (a search reads the stored fields of its hits from there; the postings from their mirror)."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    storage, out = FileStorage(str(generation)), []
    for segment in sorted(generation.glob("MAIN_*.seg")):
        compound = CompoundStorage(storage.open_file(segment.name), use_mmap=False)
        out += [(segment, *compound.range(name)) for name in compound.list()
                if name.endswith((".pst", "._stored.col"))]
        compound.close()
    return out


def test_an_engine_error_on_damaged_files_is_reported_as_damage(corpus_index, tmp_path, caplog):
    from registry.search import IndexDamaged, SearchIndex, SearchRequest

    target = _copy_index(corpus_index, tmp_path)
    index = SearchIndex(target)
    assert index.search(SearchRequest(q="数据清洗")).total > 0
    rnd = random.Random(7)
    for segment, offset, length in _engine_parts(target / os.readlink(target / "current")):
        with open(segment, "r+b") as handle:  # the open index reads these bytes through its memory map
            handle.seek(offset)
            handle.write(rnd.randbytes(length))
    caplog.set_level(logging.ERROR, logger="registry.search")
    with pytest.raises(IndexDamaged, match="does not match its checksum"):
        index.search(SearchRequest(q="数据清洗"))
    assert any("while searching" in r.getMessage() for r in caplog.records)
    index.close()


def test_an_error_of_sound_files_is_not_taken_for_damage(sclient, corpus, monkeypatch):
    search(sclient, q="数据清洗")

    def broken(*args, **kwargs):
        raise KeyError("a mistake in the code, not in the files")

    monkeypatch.setattr("registry.search._hit", broken)
    response = sclient.get(API, query_string={"q": "数据清洗"})
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"
    monkeypatch.undo()
    assert search(sclient, q="数据清洗")["total"] > 0  # no rebuild was started: the index answers at once


def test_reindex_runs_through_the_registry_command(db_url, corpus, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from registry.cli import main
    from registry.search import SearchIndex, SearchRequest

    monkeypatch.setenv("REGISTRY_DATABASE_URL", db_url)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "cli"))
    result = CliRunner().invoke(main, ["reindex", "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.output and "2 process(es)" in result.output
    index = SearchIndex(tmp_path / "cli" / "index")
    assert index.search(SearchRequest(q="数据清洗")).total > 0
    index.close()


# --- languages ---------------------------------------------------------------------------------


def test_chinese_query_finds_chinese_items_with_highlights(sclient, corpus):
    result = search(sclient, q="数据清洗")
    assert result["total"] >= 3
    top = result["hits"][0]
    assert "数据清洗" in top["text"] and top["lang"] == "zh"
    assert "<mark>数据清洗</mark>" in top["snippet"] or "<mark>数据</mark><mark>清洗</mark>" in top["snippet"]
    for hit in result["hits"]:
        assert "<mark>" in hit["snippet"]
        assert set(hit) >= {"code", "version", "title", "level", "direction", "function", "item_id", "kind",
                            "part", "text", "snippet", "score", "url"}


@pytest.mark.parametrize("q", ["数据清洗方法", "数据清洗的方法", "结构化数据采集", "数据annotation"])
def test_chinese_typed_without_spaces_is_segmented_and_its_words_anded(sclient, corpus, q):
    spaced = {"数据清洗方法": "数据 清洗 方法", "数据清洗的方法": "数据 清洗 方法",
              "结构化数据采集": "结构化 数据 采集", "数据annotation": "数据 annotation"}[q]
    result = search(sclient, q=q, per_page=100)
    assert result["total"] > 0
    assert set(ids(result)) == set(ids(search(sclient, q=spaced, per_page=100)))


def test_unspaced_chinese_finds_items_whose_words_are_apart_or_in_another_order(sclient, corpus):
    hit = search(sclient, q="结构化数据采集")["hits"][0]
    assert "采集结构化数据" in hit["text"]  # the words in another order
    assert search(sclient, q="数据清洗的方法")["total"] == search(sclient, q="数据清洗方法")["total"] > 1


def test_adjacent_words_rank_first_and_quotes_keep_a_strict_phrase(sclient, corpus):
    top = search(sclient, q="数据清洗方法")["hits"][0]
    assert "数据清洗" in top["text"] and "方法" in top["text"]
    assert search(sclient, q='"数据清洗的方法"')["total"] == 0  # not side by side in any item
    assert 0 < search(sclient, q='"数据清洗方法"')["total"] < search(sclient, q="数据清洗方法")["total"]


def test_english_query_is_stemmed_the_same_way_at_index_and_query_time(sclient, corpus):
    forms = {q: {h[:4] for h in ids(search(sclient, q=q, per_page=100))}
             for q in ("cleaning", "cleaned", "clean", "cleans")}
    assert forms["cleaning"] and len({frozenset(v) for v in forms.values()}) == 1
    hit = search(sclient, q="data cleaning")["hits"][0]
    assert hit["lang"] == "en" and "cleaning" in hit["text"].lower()


def test_a_query_in_each_language_finds_the_same_bilingual_item(sclient, corpus):
    zh = ids(search(sclient, q="数据清洗常用方法", kind="knowledge"))
    en = ids(search(sclient, q="common data cleaning methods", kind="knowledge"))
    assert zh[0] == en[0] == (CODE, "1.1", "knowledge", zh[0][3])


def test_a_mixed_chinese_and_english_query_needs_both(sclient, corpus):
    result = search(sclient, q="数据 annotation", per_page=5)
    assert 0 < result["total"] < search(sclient, q="annotation")["total"]
    for hit in result["hits"]:
        assert "<mark>数据</mark>" in hit["snippet"]  # shown in the master language, Chinese
        english = search(sclient, q="annotation", code=hit["code"], kind=hit["kind"], per_page=100)
        assert hit["item_id"] in {h["item_id"] for h in english["hits"]}


@pytest.mark.parametrize("variant, plain", [
    ("數據清洗", "数据清洗"),               # traditional characters
    ("軟體", "软件"),                       # a Taiwan word
    ("資料庫", "数据库"),                   # a Taiwan word
    ("ＤＡＴＡ　ＣＬＥＡＮＩＮＧ", "data cleaning"),  # full-width letters and space
    ("数据清洗，ＳＱＬ", "数据清洗,SQL"),
])
def test_traditional_and_full_width_variants_find_the_same_items(sclient, corpus, variant, plain):
    expected = ids(search(sclient, q=plain, per_page=50))
    assert expected and ids(search(sclient, q=variant, per_page=50)) == expected


def test_traditional_text_in_a_document_is_found_by_a_simplified_query():
    from registry.search import analyze

    assert [t for t, *_ in analyze("數據標註與機器學習", "english")] == [t for t, *_ in analyze("数据标注与机器学习", "english")]
    assert [t for t, *_ in analyze("軟體程式設計", "english", subwords=False)] == \
        [t for t, *_ in analyze("软件编程", "english", subwords=False)]


def test_mainland_words_are_not_converted_as_taiwan_words():
    from registry.search import fold

    assert fold("程序设计与文件管理") == "程序设计与文件管理"  # tw2sp alone would give 进程设计与文档管理


def test_highlights_stay_on_the_right_characters_when_a_phrase_changes_length():
    from registry.search import analyze, snippet

    text = "學習程式設計與軟體"  # 程式設計 becomes 编程: two characters fewer
    spans = {term: text[start:end] for term, _, start, end in analyze(text, "english", subwords=False)}
    assert spans["编程"] == "程式設計" and spans["软件"] == "軟體"
    assert snippet(text, "zh", {"cjk": {"软件"}, "latin": set()}) == "學習程式設計與<mark>軟體</mark>"


def test_english_phrase_positions_survive_chinese_segmentation():
    from registry.search import analyze

    tokens = analyze("使用Python进行数据分析 and data cleaning", "english", subwords=False)
    positions = {t: p for t, p, *_ in tokens}
    assert positions["clean"] == positions["data"] + 1
    assert positions["python"] + 1 == positions["进行"]


# --- basic requirements, codes and IDs ------------------------------------------------------------


@pytest.mark.parametrize("q, item", [("计算机组成原理", "BK-computing-1"), ("computer organisation", "BK-computing-1"),
                                     ("professional ethics", "E-K1"), ("职业道德基本知识", "E-K1")])
def test_the_knowledge_of_the_basic_requirements_is_searchable(sclient, corpus, q, item):
    hits = search(sclient, q=q, code=CODE)["hits"]
    assert hits and (hits[0]["item_id"], hits[0]["kind"], hits[0]["part"]) == (item, "knowledge", "basic")
    assert hits[0]["level"] is None and hits[0]["url"].endswith(f"/standards/{CODE}/versions/1.1#{item}")


def test_basic_items_are_a_facet_and_a_filter(sclient, corpus):
    facets = {f["value"]: f["count"] for f in search(sclient, q="知识", code=CODE)["facets"]["part"]}
    assert facets["basic"] > 0 and facets["work"] > 0
    basic = search(sclient, q="知识", code=CODE, part="basic", per_page=100)
    assert basic["total"] == facets["basic"] and {h["part"] for h in basic["hits"]} == {"basic"}
    assert {h["group"] for h in basic["hits"]} >= {"计算机与网络基础知识"}
    assert error(sclient, q="知识", part="extra")["details"]["field"] == "part"


def test_basic_items_belong_to_every_level(sclient, corpus):
    for level in {f["value"] for f in search(sclient, code=CODE, kind="standard")["facets"]["level"]}:
        assert "BK-computing-1" in {h["item_id"] for h in search(sclient, q="计算机组成原理", level=level)["hits"]}


def test_an_occupation_code_in_the_query_finds_the_standard_then_its_items(sclient, corpus):
    result = search(sclient, q=CODE, per_page=100)
    assert (result["hits"][0]["kind"], result["hits"][0]["code"], result["hits"][0]["version"]) == \
        ("standard", CODE, "1.1")
    assert {h["code"] for h in result["hits"]} == {CODE} and result["total"] > 100
    assert result["total"] == search(sclient, code=CODE)["total"]


@pytest.mark.parametrize("q", [f"{CODE}@1.0", f"{CODE}/1.0", f"{CODE} 1.0", f"{CODE} v1.0"])
def test_a_code_with_a_version_finds_that_version_even_when_superseded(sclient, corpus, q):
    hits = search(sclient, q=q, per_page=100)["hits"]
    assert (hits[0]["kind"], hits[0]["version"], hits[0]["status"]) == ("standard", "1.0", "superseded")
    assert {(h["code"], h["version"]) for h in hits} == {(CODE, "1.0")}


def test_a_code_narrows_the_other_words(sclient, corpus):
    result = search(sclient, q=f"{CODE} 数据清洗", per_page=100)
    assert result["total"] > 0 and {h["code"] for h in result["hits"]} == {CODE}
    assert result["total"] < search(sclient, q="数据清洗")["total"]


def test_an_item_id_in_the_query_finds_that_item_first(sclient, corpus):
    hit = search(sclient, q="R-J-gather-2", code=CODE)["hits"][0]
    assert hit["item_id"] == "R-J-gather-2" and hit["kind"] == "requirement"
    assert search(sclient, q="E-K1")["hits"][0]["item_id"] == "E-K1"


def test_function_and_work_content_are_filters_by_id(sclient, corpus):
    hit = search(sclient, q="R-J-gather-2", code=CODE)["hits"][0]
    function, work_content = hit["function_id"], hit["work_content_id"]
    by_function = search(sclient, code=CODE, function=function, per_page=100)
    assert by_function["total"] > 0 and {h["function_id"] for h in by_function["hits"]} == {function}
    by_content = search(sclient, code=CODE, work_content=work_content, per_page=100)
    assert 0 < by_content["total"] < by_function["total"]
    assert {h["work_content_id"] for h in by_content["hits"]} == {work_content}
    typed = search(sclient, q=function, code=CODE, per_page=100)  # the ID typed in the search box
    assert set(ids(by_function)) <= set(ids(typed))


# --- facets, filters, ranking, paging ----------------------------------------------------------


def test_facets_count_every_match(sclient, corpus):
    result = search(sclient, q="数据")
    facets = result["facets"]
    assert set(facets) == {"sector", "level", "direction", "occupation", "kind", "type", "part"}
    assert sum(f["count"] for f in facets["kind"]) == result["total"]
    assert sum(f["count"] for f in facets["occupation"]) == result["total"]
    assert sum(f["count"] for f in facets["sector"]) == result["total"]
    filtered = search(sclient, q="数据", sector=facets["sector"][0]["value"])
    assert filtered["total"] == facets["sector"][0]["count"]


@pytest.mark.parametrize("name, param", [("sector", "sector"), ("level", "level"), ("kind", "kind"),
                                          ("occupation", "code"), ("type", "type"), ("direction", "direction"),
                                          ("part", "part")])
def test_each_filter_matches_its_facet_count(sclient, corpus, name, param):
    base = search(sclient, q="数据 OR data")
    assert base["facets"][name], name
    value = base["facets"][name][-1]
    filtered = search(sclient, q="数据 OR data", **{param: value["value"]}, per_page=100)
    assert filtered["total"] == value["count"]
    key = {"occupation": "code"}.get(name, name)
    if key in ("code", "kind", "sector", "direction", "part"):
        assert {h[key] for h in filtered["hits"] if h["kind"] != "standard"} <= {value["value"]}


def test_language_filter_shows_that_language(sclient, corpus):
    result = search(sclient, q="数据清洗", lang="en")
    assert result["total"] > 0 and all(h["lang"] == "en" for h in result["hits"])


def test_title_matches_rank_first(sclient, corpus):
    result = search(sclient, q="人工智能训练师")
    assert (result["hits"][0]["kind"], result["hits"][0]["code"]) == ("standard", "4-04-05-05")
    english = search(sclient, q="artificial intelligence trainers")
    assert (english["hits"][0]["kind"], english["hits"][0]["code"]) == ("standard", "4-04-05-05")


def test_exact_matches_rank_first(sclient, corpus):
    for q in ("数据清洗常用方法。", "Common data-cleaning methods."):
        hit = search(sclient, q=q)["hits"][0]
        assert (hit["code"], hit["version"], hit["kind"]) == (CODE, "1.1", "knowledge"), q
        assert hit["text"] == q


@pytest.mark.parametrize("params", [{"kind": "requirement"}, {"sector": "artificial-intelligence"},
                                    {"q": "数据 OR data"}, {"q": "数据"}, {"q": "知识"}],
                         ids=["filter-kind", "filter-sector", "ranked-or", "ranked", "ranked-ties"])
def test_ten_pages_of_ten_are_one_page_of_a_hundred(sclient, corpus, params):
    whole = ids(search(sclient, **params, per_page=100))
    paged = [hit for page in range(1, 11) for hit in ids(search(sclient, **params, per_page=10, page=page))]
    assert len(whole) == 100 and len(set(whole)) == 100
    assert paged == whole
    assert ids(search(sclient, **params, per_page=100)) == whole  # and again


def test_without_words_the_order_is_code_version_then_document_order(sclient, corpus):
    hits = search(sclient, kind="requirement", all="1", per_page=100)["hits"]
    keys = [(h["code"], tuple(int(n) for n in h["version"].split("."))) for h in hits]
    assert keys == sorted(keys)
    first = search(sclient, code=CODE, per_page=3)["hits"]
    assert [h["kind"] for h in first] == ["standard", "knowledge", "knowledge"]  # the standard, then 2.1.1 ...
    assert first[1]["item_id"] == "E-K1"


def test_equal_scores_are_in_code_and_version_order(sclient, corpus):
    hits = search(sclient, q="professional ethics", per_page=100, all="1")["hits"]
    for before, after in zip(hits, hits[1:]):
        if before["score"] == after["score"]:
            assert (before["code"], before["version"]) <= (after["code"], after["version"])


def test_did_you_mean_for_a_misspelled_english_word(sclient, corpus):
    result = search(sclient, q="data anotation")
    assert result["suggestion"] == "data annotation"
    assert search(sclient, q="data annotation")["suggestion"] is None
    assert search(sclient, q="calibraton")["suggestion"] == "calibration"
    # two words one edit away (dma, data): the more frequent one
    assert search(sclient, q="dta")["suggestion"] == "data"


@pytest.mark.parametrize("q, never", [("foo data", "for data"), ("thee data", "the data"), ("title:foo", "titles")])
def test_did_you_mean_never_offers_stop_words_or_field_names_and_only_what_finds_something(sclient, corpus, q, never):
    suggestion = search(sclient, q=q)["suggestion"]
    if suggestion is not None:
        assert never not in suggestion
        assert search(sclient, q=suggestion)["total"] > 0
    assert search(sclient, q="zzyzx qwvbn")["suggestion"] is None


def test_prefix_and_fuzzy_queries(sclient, corpus):
    assert search(sclient, q="annot*")["total"] >= search(sclient, q="annotation")["total"] > 0
    assert search(sclient, q="anotation~1")["total"] == search(sclient, q="annotation")["total"]
    assert search(sclient, q="数据清*")["total"] >= search(sclient, q="数据清洗")["total"]


def test_boolean_operators(sclient, corpus):
    both = search(sclient, q="data AND annotation")["total"]
    either = search(sclient, q="data OR annotation")["total"]
    without = search(sclient, q="data -annotation")["total"]
    assert both + without == search(sclient, q="data")["total"]
    assert either >= search(sclient, q="data")["total"]
    assert search(sclient, q="(数据 OR data) NOT 清洗")["total"] > 0


def test_an_empty_query_lists_with_filters(sclient, corpus):
    result = search(sclient, code=CODE, kind="requirement", per_page=5)
    assert result["total"] > 5 and {h["code"] for h in result["hits"]} == {CODE}


def test_hits_link_to_the_version(sclient, corpus):
    hit = search(sclient, q="数据清洗常用方法")["hits"][0]
    assert hit["url"] == f"/api/v1/standards/{CODE}/versions/1.1#{hit['item_id']}"
    assert sclient.get(hit["url"].split("#")[0]).status_code == 200


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q, needle", [
    ("*data", "wildcard"), ("?ata", "wildcard"), ("da*ta", "wildcard"), ("e?*", "prefix"), ("a*", "prefix"),
    ("*", "wildcard"), ("*a*", "wildcard"), ("data~5", "fuzzy"), ("data~9", "fuzzy"), ("数据~1", "fuzzy"),
    ("(((", "unbalanced"), ("data)", "unbalanced"), ("(data", "unbalanced"), ('"data cleaning', "quote"),
    ("x" * 257, "characters"), (" ".join(f"w{i}" for i in range(40)), "terms"), ("data\x00", "control"),
    ("AND data", "AND"), ("data OR", "OR"), ("NOT", "NOT"), ("-data", "exclude"), ("()", "empty"),
    ("((((((((((data))))))))))", "nest"), ("数据清洗" * 20, "terms"), ("title:[a TO", None),
])
def test_bad_queries_are_400_with_a_message(sclient, corpus, q, needle):
    response = sclient.get(API, query_string={"q": q})
    if needle is None:  # field syntax is not special: it is searched as words, never an error
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["code"] == "bad_request" and needle.lower() in body["message"].lower(), body


def test_a_prefix_matching_too_many_words_is_400(sclient, corpus, monkeypatch):
    monkeypatch.setattr("registry.search.MAX_EXPANSIONS", 5)
    for q in ("数据*", "dat*"):
        assert "more than 5 words" in error(sclient, q=q)["message"]
    monkeypatch.setattr("registry.search.MAX_EXPANSIONS", 0)
    assert "more than 0 words" in error(sclient, q="data~1")["message"]


def test_a_search_past_the_time_limit_is_503_not_the_users_fault(sclient, corpus, monkeypatch):
    monkeypatch.setattr("registry.search.QUERY_TIME_LIMIT", -1.0)  # as if the server were overloaded
    for params in ({"q": "数据"}, {"kind": "requirement"}):
        assert "busy" in unavailable(sclient, **params)["message"]
    assert error(sclient, q="*data")["code"] == "bad_request"  # pathological queries are refused first


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "-1"}, {"page": "abc"}, {"page": str(10 ** 9)},
                                    {"per_page": "1000000"}, {"per_page": "0"}, {"page": "11", "per_page": "100"},
                                    {"kind": "chapter"}, {"all": "maybe"}, {"sector": "x" * 200}, {"type": "national"}])
def test_bad_parameters_are_400(sclient, corpus, params):
    body = error(sclient, q="数据", **params)
    assert body["details"]["field"] in params


# --- versions, drafts, freshness -----------------------------------------------------------------


def test_only_current_versions_by_default_and_all_published_on_request(sclient, corpus):
    current = search(sclient, q="数据", code=CODE, per_page=100)
    assert {h["version"] for h in current["hits"]} == {"1.1"}
    everything = search(sclient, q="数据", code=CODE, per_page=100, all="1")
    assert {h["version"] for h in everything["hits"]} == {"1.0", "1.1"}
    assert everything["total"] > current["total"]


def _publish(client, body: dict, registrar: dict, source: bytes) -> None:
    created = client.post("/api/v1/drafts", data=source, headers={**body, "Content-Type": "application/yaml"})
    assert created.status_code == 201, created.get_data(as_text=True)
    draft_id = created.get_json()["id"]
    assert client.post(f"/api/v1/drafts/{draft_id}/submit", headers=body).status_code == 200
    assert client.post(f"/api/v1/drafts/{draft_id}/approve", headers=registrar).status_code == 200
    published = client.post(f"/api/v1/drafts/{draft_id}/publish", headers=registrar,
                            json={"bump_reason": "search test"})
    assert published.status_code == 201, published.get_data(as_text=True)


def _revised(version: str = "1.2") -> bytes:
    source = SAMPLE.read_bytes().replace(b'version: "1.1"', f'version: "{version}"'.encode(), 1)
    assert source.count(OLD_TEXT) == 1
    return source.replace(OLD_TEXT, f"能使用{UNIQUE}方式从业务系统采集结构化数据。".encode())


def _wait_for(client, predicate, seconds: float = 1.0, **params) -> float:
    started = time.monotonic()
    while True:
        if predicate(search(client, **params)):
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            pytest.fail(f"not visible within {seconds} s: {params}")
        time.sleep(0.02)


def test_a_withdrawn_version_disappears(sclient, corpus, registrar):
    response = sclient.post(f"/api/v1/standards/{CODE}/versions/1.1/withdraw", headers=registrar,
                            json={"reason": "search test"})
    assert response.status_code == 200, response.get_data(as_text=True)
    _wait_for(sclient, lambda r: r["total"] == 0, q="数据", code=CODE)
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, all=1, per_page=100)["hits"]} == {"1.0"}


def test_changes_are_applied_in_the_background_never_by_a_request(search_app, sclient, corpus, cesi, registrar,
                                                                  monkeypatch):
    from registry.search import SearchIndex

    callers = []
    original = SearchIndex.catch_up

    def catch_up(self, *args, **kwargs):
        callers.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SearchIndex, "catch_up", catch_up)
    assert search(sclient, q=UNIQUE)["total"] == 0  # starts the maintenance thread
    _publish(sclient, cesi, registrar, _revised())
    index = SearchIndex(Path(search_app.config["REGISTRY_DATA_DIR"]) / "index")  # another reader of the folder
    head = _service(search_app).feed.head()
    deadline = time.monotonic() + 1.0
    while index.last_seq() < head:  # no search was made meanwhile
        assert time.monotonic() < deadline, "the change was not applied within a second"
        time.sleep(0.02)
    index.close()
    # the app's own searchers reopen the new generation within a tick
    _wait_for(sclient, lambda r: r["total"] >= 1 and {h["version"] for h in r["hits"]} == {"1.2"}, q=UNIQUE)
    assert callers and all(name.startswith("search-index") for name in callers), callers
    # the version it superseded left the default results and stays under all=1
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100)["hits"]} == {"1.2"}
    assert "1.1" in {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100, all=1)["hits"]}


def test_a_body_sees_its_own_drafts(sclient, corpus, cesi, tokens):
    created = sclient.post("/api/v1/drafts", data=_revised("1.3"), headers={**cesi, "Content-Type": "application/yaml"})
    assert created.status_code == 201
    mine = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=cesi).get_json()
    assert mine["drafts"] is True and mine["total"] >= 1 and mine["hits"][0]["status"] == "draft"
    assert mine["hits"][0]["url"] == f"/api/v1/drafts/{created.get_json()['id']}#{mine['hits'][0]['item_id']}"
    assert search(sclient, q=UNIQUE)["total"] == 0
    other = tokens.body("caict", "China Academy of Information and Communications Technology")
    theirs = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=other).get_json()
    assert theirs["drafts"] is True and theirs["total"] == 0


def test_drafts_are_searched_only_with_a_valid_token(sclient, corpus, cesi):
    assert sclient.post("/api/v1/drafts", data=_revised("1.3"),
                        headers={**cesi, "Content-Type": "application/yaml"}).status_code == 201
    for headers in ({}, {"Authorization": "Bearer osr_0000_not-a-token"}):
        result = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=headers).get_json()
        assert result["drafts"] is False and result["total"] == 0


# --- several processes ---------------------------------------------------------------------------

SERVER = """
from werkzeug.serving import make_server
from registry import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


class Server:
    """An app process of its own (another machine: its own data folder and index, the same catalog)."""

    def __init__(self, db_url: str, data_dir: Path):
        env = {**os.environ, "REGISTRY_DATABASE_URL": db_url, "REGISTRY_DATA_DIR": str(data_dir),
               "REGISTRY_EXPORTS_DIR": str(data_dir / "exports"), "REGISTRY_RENDER_WARM": "0",
               "REGISTRY_LOG_LEVEL": "WARNING", "REGISTRY_SEARCH_CATCH_UP_MS": "200"}
        self.log = data_dir.with_suffix(".log")
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([sys.executable, "-c", SERVER], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                            stderr=log, text=True)
        line = self.process.stdout.readline()
        assert line.strip().isdigit(), self.log.read_text()
        self.base = f"http://127.0.0.1:{int(line)}"

    def call(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
             json_body: dict | None = None) -> tuple[int, dict]:
        headers = dict(headers or {})
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as failure:
            return failure.code, json.loads(failure.read() or b"{}")

    def search(self, q: str) -> dict:
        status, body = self.call("GET", f"{API}?{urllib.parse.urlencode({'q': q})}")
        assert status == 200, body
        return body

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()


def _visible_within(server: Server, predicate, seconds: float) -> float:
    started = time.monotonic()
    while not predicate(server.search(UNIQUE)):
        assert time.monotonic() - started < seconds, f"not visible within {seconds} s ({server.log.read_text()})"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_publish_and_a_withdrawal_are_visible_on_another_machine_within_a_second(
        db_url, corpus, corpus_index, tmp_path, cesi, registrar):
    servers = []
    try:
        for name in ("machine-a", "machine-b"):
            _copy_index(corpus_index, tmp_path / name)
            servers.append(Server(db_url, tmp_path / name))
        a, b = servers
        assert a.search(UNIQUE)["total"] == 0 and b.search(UNIQUE)["total"] == 0
        status, draft = a.call("POST", "/api/v1/drafts", {**cesi, "Content-Type": "application/yaml"}, _revised())
        assert status == 201, draft
        for step, who in (("submit", cesi), ("approve", registrar)):
            assert a.call("POST", f"/api/v1/drafts/{draft['id']}/{step}", who)[0] == 200
        status, body = a.call("POST", f"/api/v1/drafts/{draft['id']}/publish", registrar,
                              json_body={"bump_reason": "search test"})
        assert status == 201, body
        _visible_within(b, lambda r: r["total"] >= 1 and {h["version"] for h in r["hits"]} == {"1.2"}, 1.0)
        status, body = a.call("POST", f"/api/v1/standards/{CODE}/versions/1.2/withdraw", registrar,
                              json_body={"reason": "search test"})
        assert status == 200, body
        _visible_within(b, lambda r: r["total"] == 0, 1.0)
        _visible_within(a, lambda r: r["total"] == 0, 1.0)
    finally:
        for server in servers:
            server.stop()


class ListFeed:
    """A change feed over an in-memory list (no catalog): enough to build and write an index."""

    def __init__(self, records=()):
        self.records = list(records)

    def head(self) -> int:
        return 0

    def changes(self, after, limit):
        return [], after

    def versions(self, part, parts):
        return iter(self.records[part::parts])

    def worker_copy(self):
        return self


class GapFeed(ListFeed):
    """A change log as PostgreSQL may show it: a transaction that took seq 2 commits after seq 3."""

    def __init__(self):
        super().__init__()
        self.entries = {}

    def head(self) -> int:
        return max(self.entries, default=0)

    def read(self, after, limit, recheck=(), *, records=True):
        from registry.search import Changes

        seqs = sorted(s for s in self.entries if s > after)[:limit]
        late = [s for s in recheck if s in self.entries]
        found = [self.entries[s] for s in seqs + late] if records else []
        return Changes(found, seqs[-1] if seqs else after, seqs + late)


def _records():
    from registry.loader import load_bytes
    from registry.search import VersionRecord

    out = []
    for path in sorted(STANDARDS.rglob("*.yaml")):
        data = load_bytes(path.read_bytes()).data
        out.append(VersionRecord(data["code"], data["version"], "superseded", data))
    return out


def test_a_change_committed_after_a_later_one_is_still_applied(tmp_path, monkeypatch):
    from registry.search import SearchIndex, SearchRequest

    first, late, third = _records()[:3]
    feed = GapFeed()
    index = SearchIndex(tmp_path / "index")
    index.rebuild(feed, procs=1)
    codes = lambda: {h["code"] for h in index.search(SearchRequest(kind="standard", all_versions=True)).hits}  # noqa: E731
    feed.entries.update({1: first, 3: third})  # 2 is not committed yet
    index.catch_up(feed)
    assert codes() == {first.code, third.code} and index.last_seq() == 3
    feed.entries[2] = late  # now it is, below the index's seq
    index.catch_up(feed)
    assert codes() == {first.code, late.code, third.code}
    monkeypatch.setattr("registry.search.GAP_GRACE", 0.0)  # a seq that never commits is forgotten in time
    feed.entries[5] = third
    index.catch_up(feed)
    assert index.catch_up(feed) == 0 and index._current(force=True).gaps == {}
    index.close()


def _writer(root: str, records, start, results):
    from registry.search import SearchIndex

    index = SearchIndex(root)
    start.wait()
    try:
        for record in records:
            index.apply([record])
        results.put("ok")
    except BaseException as exc:  # report the exception type: LockError must never appear
        results.put(f"{type(exc).__name__}: {exc}")


def _reader(root: str, start, stop, results):
    from registry.search import SearchIndex, SearchRequest

    index = SearchIndex(root, check_interval=0)
    start.wait()
    searches = 0
    try:
        while not stop.is_set():
            index.search(SearchRequest(q="数据 OR data", all_versions=True))
            searches += 1
        results.put(f"ok {searches}")
    except BaseException as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_writing_at_once_never_see_a_lock_error(tmp_path):
    from registry.search import SearchIndex, SearchRequest, document_from

    records = _records()
    root = tmp_path / "index"
    empty = SearchIndex(root)
    empty.rebuild(ListFeed([]), procs=1)
    empty.close()
    context = multiprocessing.get_context("fork")
    start, stop, results = context.Event(), context.Event(), context.Queue()
    halves = [records[0::2], records[1::2]]
    writers = [context.Process(target=_writer, args=(str(root), half, start, results)) for half in halves]
    reader = context.Process(target=_reader, args=(str(root), start, stop, results))
    for process in (*writers, reader):
        process.start()
    start.set()
    outcomes = [results.get(timeout=600) for _ in writers]
    stop.set()
    outcomes.append(results.get(timeout=120))
    for process in (*writers, reader):
        process.join(timeout=60)
    assert outcomes[:2] == ["ok", "ok"] and outcomes[2].startswith("ok"), outcomes
    index = SearchIndex(root)
    everything = index.search(SearchRequest(kind="standard", all_versions=True, per_page=100))
    assert sorted((h["code"], h["version"]) for h in everything.hits) == sorted(
        (r.code, r.version) for r in records)
    items = sum(len(document_from(r)) for r in records)
    assert index.search(SearchRequest(all_versions=True, per_page=1)).total == items
    index.close()


def test_searches_in_threads_of_one_process_run_at_the_same_time(sclient, corpus, monkeypatch):
    import registry.search as engine

    inside = threading.Barrier(2, timeout=10)  # both searches must be inside at once to pass
    original = engine._hit

    def hit(*args, **kwargs):
        inside.wait()
        return original(*args, **kwargs)

    expected = ids(search(sclient, q="数据清洗", per_page=1))
    monkeypatch.setattr(engine, "_hit", hit)
    results, errors = [], []

    def run():
        try:
            results.append(ids(search(sclient, q="数据清洗", per_page=1)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and results == [expected, expected]


def test_a_parallel_rebuild_indexes_the_same_documents_as_one_process(tmp_path):
    from registry.search import SearchIndex, SearchRequest

    records = _records()
    totals = []
    for procs in (1, 2):
        index = SearchIndex(tmp_path / f"p{procs}")
        report = index.rebuild(ListFeed(records), procs=procs)
        result = index.search(SearchRequest(q="数据 OR data", all_versions=True, per_page=100))
        totals.append((report["documents"], result.total, [(h["code"], h["item_id"]) for h in result.hits]))
        index.close()
    assert totals[0] == totals[1]


def test_meta_seq_is_committed_with_the_changes(tmp_path):
    from registry.search import SearchIndex

    records = _records()
    index = SearchIndex(tmp_path / "index")
    index.rebuild(ListFeed([]), procs=1)
    assert index.last_seq() == 0
    index.apply(records[:1], seq=7)
    assert index.last_seq() == 7
    index.apply(records[1:2], seq=3)  # never goes backwards
    assert index.last_seq() == 7
    index.close()


def test_an_index_ahead_of_a_restored_catalog_is_rebuilt(tmp_path):
    from registry.search import IndexProblem, SearchIndex

    records = _records()
    index = SearchIndex(tmp_path / "index")
    index.rebuild(ListFeed(records[:2]), procs=1)
    index.apply(records[2:3], seq=5)

    class Behind(ListFeed):
        def head(self):
            return 2  # the catalog was restored from a backup taken before change 5

    with pytest.raises(IndexProblem, match="ahead of the catalog"):
        index.catch_up(Behind(records))
    before = index.generation_dir()
    assert index.ensure(Behind(records[:2]), procs=1, replace=before) is not None
    assert index.generation_dir() != before and index.last_seq() == 2
    index.close()


# --- the module ----------------------------------------------------------------------------------


def _importers(*modules: str) -> list[str]:
    root = Path(__file__).resolve().parent.parent / "registry"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                  if any(f"import {m}" in p.read_text() or f"from {m}" in p.read_text() for m in modules))


def test_the_module_is_the_only_importer_of_whoosh_and_jieba():
    assert _importers("whoosh", "jieba", "opencc", "Stemmer") == ["search.py"]
    # the tries of the analyzers and of the postings mirrors: the engine's two modules only
    assert _importers("marisa_trie") == ["postings.py", "search.py"]


def _python(code: str, **env) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_module_builds_nothing():
    out = _python("import registry.search as s, registry.api.search, registry.services.search\n"
                  "print(s.schema.cache_info().currsize, s._JIEBA, len(s._OPENCC))")
    assert out.split() == ["0", "None", "0"]


def test_jiebas_dictionary_cache_is_private(tmp_path):
    out = _python("import registry.search as s\n"
                  f"s.SearchIndex({str(tmp_path / 'index')!r})\n"
                  "s.analyze('数据清洗', 'english')\n"
                  "print(s._jieba_trie_path())", TMPDIR=str(tmp_path / "tmp"))
    trie = Path(out.strip())
    assert trie.parent == tmp_path / "index" / "cache" and trie.exists()
    assert stat.S_IMODE(trie.stat().st_mode) == 0o600 and stat.S_IMODE(trie.parent.stat().st_mode) == 0o700
    # without an index directory: a folder of the user's own, not a predictable file in shared /tmp
    (tmp_path / "tmp").mkdir()
    out = _python("import registry.search as s\ns.analyze('数据清洗', 'english')\nprint(s._jieba_trie_path())",
                  TMPDIR=str(tmp_path / "tmp"))
    folder = Path(out.strip()).parent
    assert folder == tmp_path / "tmp" / f"registry-{os.getuid()}" and stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize("q", ["数据清洗", "数据清洗的方法", "data cleaning", '"data cleaning"', "数据 OR security",
                               "data -security", "calibrat*", "securty~1", "2-02-38-03", "E-K1", "人工智能 AND 训练"])
def test_the_vectorised_search_finds_what_whoosh_finds_with_whooshs_scores(corpus_index, q):
    """Each query compiled to Whoosh's query objects: Whoosh's own matching and BM25F scores, one
    document at a time, against the plan evaluated over the postings' mirrors."""
    from registry import search as S

    index = S.SearchIndex(corpus_index)
    view = index._current(force=True)
    try:
        with view.lease() as searcher:
            compiler = S._Compiler(searcher.reader())
            query = S._combine(compiler.compile(S.parse_query(q)), S._filters(S.SearchRequest(q=q), False))
            expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
        mask, scores = view.layout.matches(S._plan(query), float("inf"))
    finally:
        index.close()
    assert expected, q
    assert set(np.flatnonzero(mask).tolist()) == set(expected)
    if "\"" not in q:  # Whoosh scores a phrase by its own formula; the plan by its terms' BM25F
        for docnum, score in expected.items():
            assert scores[docnum] == pytest.approx(score, rel=1e-4, abs=1e-5), docnum


def test_a_new_segment_is_mirrored_before_the_index_lists_it(tmp_path, monkeypatch):
    """Other processes open a new table of contents within a tick: a segment it lists must already
    have its mirror, or each of them would copy the segment's postings into memory."""
    from registry import postings
    from registry import search as S

    records = _records()
    index = S.SearchIndex(tmp_path / "index")
    index.rebuild(ListFeed(records[:1]), procs=1)
    listed_when_mirrored = []
    write_mirror = postings.write_mirror

    def watching(mirror, directory, prefix):
        toc = S._open_index(directory)._read_toc()
        listed_when_mirrored.append(prefix in {seg.segment_id() for seg in toc.segments})
        return write_mirror(mirror, directory, prefix)

    monkeypatch.setattr(postings, "write_mirror", watching)
    index.apply(records[1:3], seq=3)
    assert listed_when_mirrored and not any(listed_when_mirrored)
    folder = Path(index.generation_dir())
    for segment in S._open_index(folder)._read_toc().segments:
        assert postings.read_mirror(folder, segment.segment_id()) is not None
    index.close()
