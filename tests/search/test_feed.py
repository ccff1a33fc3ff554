"""The catalog's change feed (registry.search.feed) kept applied by the service's thread: publications,
withdrawals and drafts visible to searches, on this machine and on others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.conftest import ROOT

from .helpers import API, CODE, UNIQUE, copy_index, publish, revised, search, service_of, wait_for


def test_a_withdrawn_version_disappears_and_the_one_before_is_searched_again(sclient, corpus, registrar):
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100)["hits"]} == {"1.1"}
    response = sclient.post(f"/api/v1/standards/{CODE}/versions/1.1/withdraw", headers=registrar,
                            json={"reason": "search test"})
    assert response.status_code == 200, response.get_data(as_text=True)
    # at once, before the index has caught up: a withdrawn version is void, and 1.0 is in force again
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100)["hits"]} == {"1.0"}
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, all=1, per_page=100)["hits"]} == {"1.0"}
    assert {h["status"] for h in search(sclient, q="数据", code=CODE, per_page=100)["hits"]} == {"in-force"}


def test_changes_are_applied_in_the_background_never_by_a_request(search_app, sclient, corpus, cesi, registrar,
                                                                  monkeypatch):
    from registry.search.service import open_index

    index_class = type(service_of(search_app).index)
    callers = []
    original = index_class.catch_up

    def catch_up(self, *args, **kwargs):
        callers.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(index_class, "catch_up", catch_up)
    assert search(sclient, q=UNIQUE)["total"] == 0  # starts the maintenance thread
    publish(sclient, cesi, registrar, revised())
    index = open_index(Path(search_app.config["REGISTRY_DATA_DIR"]) / "index")  # another reader of the folder
    head = service_of(search_app).feed.head()
    deadline = time.monotonic() + 60  # a generous limit: how fast it is, is measured in benchmarks/
    while index.last_seq() < head:  # no search was made meanwhile
        assert time.monotonic() < deadline, "the change was not applied in the background"
        time.sleep(0.02)
    index.close()
    # the app's own searchers reopen the new generation within a tick
    wait_for(sclient, lambda r: r["total"] >= 1 and {h["version"] for h in r["hits"]} == {"1.2"}, q=UNIQUE)
    assert callers and all(name.startswith("search-index") for name in callers), callers
    # the version it superseded left the default results and stays under all=1
    assert {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100)["hits"]} == {"1.2"}
    assert "1.1" in {h["version"] for h in search(sclient, q="数据", code=CODE, per_page=100, all=1)["hits"]}


def test_a_body_sees_its_own_drafts(sclient, corpus, cesi, tokens):
    created = sclient.post("/api/v1/drafts", data=revised("1.3"), headers={**cesi, "Content-Type": "application/yaml"})
    assert created.status_code == 201
    mine = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=cesi).get_json()
    assert mine["drafts"] is True and mine["total"] >= 1 and mine["hits"][0]["status"] == "draft"
    assert mine["hits"][0]["url"] == f"/api/v1/drafts/{created.get_json()['id']}#{mine['hits'][0]['item_id']}"
    assert search(sclient, q=UNIQUE)["total"] == 0
    other = tokens.body("caict", "China Academy of Information and Communications Technology")
    theirs = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=other).get_json()
    assert theirs["drafts"] is True and theirs["total"] == 0


def test_drafts_are_searched_only_with_a_valid_token(sclient, corpus, cesi):
    assert sclient.post("/api/v1/drafts", data=revised("1.3"),
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


def test_a_publish_and_a_withdrawal_are_visible_on_another_machine_without_a_restart(
        db_url, corpus, corpus_index, tmp_path, cesi, registrar):
    servers = []
    try:
        for name in ("machine-a", "machine-b"):
            copy_index(corpus_index, tmp_path / name)
            servers.append(Server(db_url, tmp_path / name))
        a, b = servers
        assert a.search(UNIQUE)["total"] == 0 and b.search(UNIQUE)["total"] == 0
        status, draft = a.call("POST", "/api/v1/drafts", {**cesi, "Content-Type": "application/yaml"}, revised())
        assert status == 201, draft
        for step, who in (("submit", cesi), ("approve", registrar)):
            assert a.call("POST", f"/api/v1/drafts/{draft['id']}/{step}", who)[0] == 200
        status, body = a.call("POST", f"/api/v1/drafts/{draft['id']}/publish", registrar,
                              json_body={"bump_reason": "search test"})
        assert status == 201, body
        _visible_within(b, lambda r: r["total"] >= 1 and {h["version"] for h in r["hits"]} == {"1.2"}, 60)
        status, body = a.call("POST", f"/api/v1/standards/{CODE}/versions/1.2/withdraw", registrar,
                              json_body={"reason": "search test"})
        assert status == 200, body
        _visible_within(b, lambda r: r["total"] == 0, 60)
        _visible_within(a, lambda r: r["total"] == 0, 60)
    finally:
        for server in servers:
            server.stop()


def test_draft_searches_do_not_share_a_temporary_folder_with_other_processes(sclient, corpus, cesi, tmp_path,
                                                                              monkeypatch):
    # Whoosh's in-memory index wrote its temporary files under <tmp>/MAIN.tmp, which every process on
    # the machine shared and each writer deleted when done: another process's writer holding or
    # removing it broke this one (500). Here another process left a file where that folder would be.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "MAIN.tmp").write_text("another process's")
    assert sclient.post("/api/v1/drafts", data=revised("1.3"),
                        headers={**cesi, "Content-Type": "application/yaml"}).status_code == 201
    response = sclient.get(API, query_string={"q": UNIQUE, "drafts": "1"}, headers=cesi)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["total"] >= 1
    assert (tmp_path / "MAIN.tmp").read_text() == "another process's"
