"""Search: Chinese and English, facets, filters, ranking, paging, errors, freshness and several processes.

Every API test runs on SQLite and PostgreSQL (the ``app`` fixture). Building the index of the sample
corpus is the slow part, so it is built once per session and copied into each test's data folder;
tests that are about building it (missing, corrupt, reindex) start from nothing.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import STANDARDS

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
    assert report["documents"] > 2000
    return folder / "index"


def _wire(app):
    """Register the blueprint and open the index, as create_app will once it is wired in."""
    from registry.api.search import bp
    from registry.services.search import init_app

    if "search_api" not in app.blueprints:
        app.register_blueprint(bp)
    return init_app(app)


@pytest.fixture
def search_app(app, request):
    """The app with search, its index copied from the session's build when the test has the corpus."""
    if "corpus" in request.fixturenames:
        target = Path(app.config["REGISTRY_DATA_DIR"]).resolve() / "index"
        shutil.copytree(request.getfixturevalue("corpus_index"), target, symlinks=True)
    _wire(app)
    yield app
    app.extensions["registry.search"].index.close()


@pytest.fixture
def sclient(search_app):
    return search_app.test_client()


@pytest.fixture
def cesi(tokens) -> dict:
    return tokens.body("cesi", "China Electronics Standardization Institute")


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


def ids(result: dict) -> list[tuple]:
    return [(h["code"], h["version"], h["kind"], h["item_id"]) for h in result["hits"]]


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
                            "text", "snippet", "score", "url"}


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
    ("數據清洗", "数据清洗"),               # traditional
    ("人工智慧", "人工智慧"),               # a Taiwan term stays itself, and matches itself
    ("ＤＡＴＡ　ＣＬＥＡＮＩＮＧ", "data cleaning"),  # full-width letters and space
    ("数据清洗，ＳＱＬ", "数据清洗,SQL"),
])
def test_traditional_and_full_width_variants_find_the_same_items(sclient, corpus, variant, plain):
    assert ids(search(sclient, q=variant, per_page=50)) == ids(search(sclient, q=plain, per_page=50))


def test_traditional_text_in_a_document_is_found_by_a_simplified_query():
    from registry.search import analyze

    assert [t for t, *_ in analyze("數據標註與機器學習", "english")] == [t for t, *_ in analyze("数据标注与机器学习", "english")]


def test_english_phrase_positions_survive_chinese_segmentation():
    from registry.search import analyze

    tokens = analyze("使用Python进行数据分析 and data cleaning", "english", subwords=False)
    positions = {t: p for t, p, *_ in tokens}
    assert positions["clean"] == positions["data"] + 1
    assert positions["python"] + 1 == positions["进行"]


# --- facets, filters, ranking, paging ----------------------------------------------------------


def test_facets_count_every_match(sclient, corpus):
    result = search(sclient, q="数据")
    facets = result["facets"]
    assert set(facets) == {"sector", "level", "direction", "occupation", "kind", "type"}
    assert sum(f["count"] for f in facets["kind"]) == result["total"]
    assert sum(f["count"] for f in facets["occupation"]) == result["total"]
    assert sum(f["count"] for f in facets["sector"]) == result["total"]
    filtered = search(sclient, q="数据", sector=facets["sector"][0]["value"])
    assert filtered["total"] == facets["sector"][0]["count"]


@pytest.mark.parametrize("name, param", [("sector", "sector"), ("level", "level"), ("kind", "kind"),
                                          ("occupation", "code"), ("type", "type"), ("direction", "direction")])
def test_each_filter_matches_its_facet_count(sclient, corpus, name, param):
    base = search(sclient, q="数据 OR data")
    assert base["facets"][name], name
    value = base["facets"][name][-1]
    filtered = search(sclient, q="数据 OR data", **{param: value["value"]}, per_page=100)
    assert filtered["total"] == value["count"]
    key = {"occupation": "code"}.get(name, name)
    if key in ("code", "kind", "sector", "level", "direction"):
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


def test_pages_are_disjoint_and_stable(sclient, corpus):
    whole = ids(search(sclient, q="数据", per_page=30))
    paged = []
    for page in (1, 2, 3):
        paged += ids(search(sclient, q="数据", per_page=10, page=page))
    assert paged == whole and len(set(whole)) == 30
    assert ids(search(sclient, q="数据", per_page=30)) == whole


def test_did_you_mean_for_a_misspelled_english_word(sclient, corpus):
    result = search(sclient, q="data anotation")
    assert result["suggestion"] == "data annotation"
    assert search(sclient, q="data annotation")["suggestion"] is None
    assert search(sclient, q="calibraton")["suggestion"] == "calibration"


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
    ("((((((((((data))))))))))", "nest"), ("title:[a TO", None),
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


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "-1"}, {"page": "abc"}, {"page": str(10 ** 9)},
                                    {"per_page": "1000000"}, {"per_page": "0"}, {"page": "11", "per_page": "100"},
                                    {"kind": "chapter"}, {"all": "maybe"}, {"sector": "x" * 200}])
def test_bad_parameters_are_400(sclient, corpus, params):
    body = error(sclient, q="数据", **params)
    assert body["details"]["field"] in params


def test_drafts_need_a_token(sclient, corpus):
    assert error(sclient, 401, q="数据", drafts="1")["code"] == "unauthorized"


# --- versions, freshness ------------------------------------------------------------------------


def test_only_current_versions_by_default_and_all_published_on_request(sclient, corpus):
    current = search(sclient, q="数据", code=CODE, per_page=100)
    assert {h["version"] for h in current["hits"]} == {"1.1"}
    everything = search(sclient, q="数据", code=CODE, per_page=100, all="1")
    assert {h["version"] for h in everything["hits"]} == {"1.0", "1.1"}
    assert everything["total"] > current["total"]


def _publish(client, body: dict, registrar: dict, source: bytes) -> float:
    created = client.post("/api/v1/drafts", data=source, headers={**body, "Content-Type": "application/yaml"})
    assert created.status_code == 201, created.get_data(as_text=True)
    draft_id = created.get_json()["id"]
    assert client.post(f"/api/v1/drafts/{draft_id}/submit", headers=body).status_code == 200
    assert client.post(f"/api/v1/drafts/{draft_id}/approve", headers=registrar).status_code == 200
    published = client.post(f"/api/v1/drafts/{draft_id}/publish", headers=registrar,
                            json={"bump_reason": "search test"})
    assert published.status_code == 201, published.get_data(as_text=True)
    return time.monotonic()


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


def test_a_publish_is_visible_within_a_second_without_restart(sclient, corpus, cesi, registrar, make_second_app):
    other = make_second_app()  # another machine: its own index folder, the same catalog
    other_client = other.test_client()
    assert search(sclient, q=UNIQUE)["total"] == 0 and search(other_client, q=UNIQUE)["total"] == 0
    _publish(sclient, cesi, registrar, _revised())
    found = lambda r: r["total"] >= 1 and all(h["version"] == "1.2" for h in r["hits"])  # noqa: E731
    _wait_for(sclient, found, q=UNIQUE)
    _wait_for(other_client, found, q=UNIQUE)
    # the version it superseded left the default results and stays under all=1
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100)["hits"]} == {"1.2"}
    assert "1.1" in {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100, all=1)["hits"]}


def test_a_withdrawn_version_disappears(sclient, corpus, registrar):
    response = sclient.post(f"/api/v1/standards/{CODE}/versions/1.1/withdraw", headers=registrar,
                            json={"reason": "search test"})
    assert response.status_code == 200, response.get_data(as_text=True)
    _wait_for(sclient, lambda r: r["total"] == 0, q="数据", code=CODE)
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, all=1, per_page=100)["hits"]} == {"1.0"}


def test_a_body_sees_its_own_drafts(sclient, corpus, cesi, tokens):
    created = sclient.post("/api/v1/drafts", data=_revised("1.3"), headers={**cesi, "Content-Type": "application/yaml"})
    assert created.status_code == 201
    mine = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=cesi).get_json()
    assert mine["total"] >= 1 and mine["hits"][0]["status"] == "draft"
    assert mine["hits"][0]["url"] == f"/api/v1/drafts/{created.get_json()['id']}#{mine['hits'][0]['item_id']}"
    assert search(sclient, q=UNIQUE)["total"] == 0
    other = tokens.body("caict", "China Academy of Information and Communications Technology")
    theirs = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=other).get_json()
    assert theirs["total"] == 0


@pytest.fixture
def make_second_app(db_url, tmp_path):
    from registry import create_app

    made = []

    def build():
        application = create_app({"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "machine-b"),
                                  "LOG_LEVEL": "WARNING"})
        _wire(application)
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["registry.search"].index.close()
        application.extensions["registry.engine"].dispose()


# --- a missing or damaged index ----------------------------------------------------------------


def test_a_missing_index_is_rebuilt_on_start_with_a_log_line(app, corpus, caplog):
    caplog.set_level(logging.WARNING, logger="registry.search")
    _wire(app)
    assert any("is missing: rebuilding" in r.getMessage() for r in caplog.records)
    assert search(app.test_client(), q="数据清洗")["total"] > 0


@pytest.mark.parametrize("damage", ["truncate-toc", "delete-segment", "garbage-segment", "dangling-link"])
def test_a_corrupt_index_is_rebuilt_on_start_with_a_log_line(app, corpus, corpus_index, caplog, damage):
    target = Path(app.config["REGISTRY_DATA_DIR"]).resolve() / "index"
    shutil.copytree(corpus_index, target, symlinks=True)
    generation = (target / os.readlink(target / "current"))
    if damage == "truncate-toc":
        toc = max(generation.glob("_MAIN_*.toc"))
        toc.write_bytes(toc.read_bytes()[:20])
    elif damage == "delete-segment":
        for segment in generation.glob("MAIN_*.seg"):
            segment.unlink()
            break
    elif damage == "garbage-segment":
        for segment in generation.glob("MAIN_*.seg"):
            segment.write_bytes(b"\0" * 64)
    else:
        shutil.rmtree(generation)
    caplog.set_level(logging.WARNING, logger="registry.search")
    _wire(app)
    assert any("rebuilding it from the catalog" in r.getMessage() for r in caplog.records), caplog.text
    assert search(app.test_client(), q="数据清洗")["total"] > 0


def test_reindex_command_rebuilds_from_the_catalog(db_url, corpus, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from registry.search_cli import reindex

    monkeypatch.setenv("REGISTRY_DATABASE_URL", db_url)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "cli"))
    result = CliRunner().invoke(reindex, ["--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.output
    from registry.search import SearchIndex, SearchRequest

    index = SearchIndex(tmp_path / "cli" / "index")
    assert index.search(SearchRequest(q="数据清洗")).total > 0
    index.close()


# --- several processes -------------------------------------------------------------------------


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


def _records():
    from registry.loader import load_bytes
    from registry.search import VersionRecord

    out = []
    for path in sorted(STANDARDS.rglob("*.yaml")):
        data = load_bytes(path.read_bytes()).data
        out.append(VersionRecord(data["code"], data["version"], "superseded", data))
    return out


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
    from registry.search import SearchIndex, SearchRequest

    records = _records()
    root = tmp_path / "index"
    SearchIndex(root).rebuild(ListFeed([]), procs=1)
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
    from registry.search import document_from

    items = sum(len(document_from(r)) for r in records)
    assert index.search(SearchRequest(all_versions=True, per_page=1)).total == items
    index.close()


def test_a_parallel_rebuild_indexes_the_same_documents_as_one_process(tmp_path):
    from registry.search import SearchIndex, SearchRequest

    records = _records()
    totals = []
    for procs in (1, 2):
        index = SearchIndex(tmp_path / f"p{procs}")
        report = index.rebuild(ListFeed(records), procs=procs)
        result = index.search(SearchRequest(q="数据 OR data", all_versions=True, per_page=100))
        totals.append((report["documents"], result.total))
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


def test_the_module_is_the_only_importer_of_whoosh_and_jieba():
    root = Path(__file__).resolve().parent.parent / "registry"
    importers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                       if any(f"import {m}" in p.read_text() or f"from {m}" in p.read_text()
                              for m in ("whoosh", "jieba", "opencc", "marisa_trie", "Stemmer")))
    assert importers == ["search.py"]
    assert json.loads(json.dumps({"ok": True}))


def test_with_the_start_check_off_the_first_search_builds_the_index(app, corpus, caplog):
    from registry.api.search import bp
    from registry.services.search import init_app

    app.register_blueprint(bp)
    service = init_app(app, check=False)
    assert service.index.current_dir() is None  # nothing was done at start
    caplog.set_level(logging.WARNING, logger="registry.search")
    assert search(app.test_client(), q="数据清洗")["total"] > 0
    assert any("is missing: rebuilding" in r.getMessage() for r in caplog.records)
    service.index.close()


def test_an_index_ahead_of_a_restored_catalog_is_rebuilt(tmp_path, caplog):
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
    index.close()
