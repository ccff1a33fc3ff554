"""Concurrency and crashes against a real server (gunicorn, two workers), on both databases."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import select

from registry.db import make_engine, read_session
from registry.models import AuditEvent, ChangeLog, Draft, StandardVersion

from .conftest import STANDARDS
from .live_server import LiveServer

SOURCE = (STANDARDS / "2-02-38-03" / "1.1.yaml").read_bytes()


def live_server(db_url: str, tmp_path: Path, publish_delay: float = 0.0, publish_point: str = "versions") -> LiveServer:
    """gunicorn serving the app on the test catalog, with the publish fault injection as asked."""
    env = {"REGISTRY_DATABASE_URL": db_url, "REGISTRY_DATA_DIR": str(tmp_path / "instance"),
           "REGISTRY_EXPORTS_DIR": str(tmp_path / "exports"), "REGISTRY_FAULT_PUBLISH_DELAY": str(publish_delay),
           "REGISTRY_FAULT_PUBLISH_POINT": publish_point,
           "REGISTRY_SEARCH_CHECK_ON_START": "0"}  # these tests never search
    return LiveServer(env, tmp_path / f"server-{len(list(tmp_path.glob('server-*.log')))}.log", start_limit=60)


@pytest.fixture
def server_factory(db_url, tmp_path):
    servers: list[LiveServer] = []

    def start(**kwargs) -> LiveServer:
        server = live_server(db_url, tmp_path, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


@pytest.fixture
def outside(db_url):
    """An engine on the server's catalog, to look at it from outside the server."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def yaml_headers(auth: dict) -> dict:
    return {**auth, "Content-Type": "application/yaml"}


def json_headers(auth: dict) -> dict:
    return {**auth, "Content-Type": "application/json"}


def _approved_draft(server: LiveServer, body: dict, registrar: dict, source: bytes) -> int:
    status, _, data = server.request("POST", "/api/v1/drafts", source, yaml_headers(body))
    assert status == 201, data
    draft_id = json.loads(data)["id"]
    assert server.request("POST", f"/api/v1/drafts/{draft_id}/submit", headers=body)[0] == 200
    assert server.request("POST", f"/api/v1/drafts/{draft_id}/approve", headers=registrar)[0] == 200
    return draft_id


def _at_once(*calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _minor_revision(version: str, marker: str) -> bytes:
    return (SOURCE.replace(b'\nversion: "1.1"', f'\nversion: "{version}"'.encode())
            .replace("能".encode(), f"能{marker}".encode(), 1))


def test_two_registrars_publishing_one_version_at_once_get_one_success_and_one_409(
        server_factory, tokens, corpus, db_url):
    server = server_factory(publish_delay=0.5)
    body, first, second = tokens.body("cesi", keeps=("2-02-38-03",)), tokens.registrar("wang"), tokens.registrar("li")
    draft_a = _approved_draft(server, body, first, _minor_revision("1.2", "够"))
    draft_b = _approved_draft(server, body, first, _minor_revision("1.2", "正确"))  # same version, other text
    results = _at_once(
        lambda: server.request("POST", f"/api/v1/drafts/{draft_a}/publish", headers=first),
        lambda: server.request("POST", f"/api/v1/drafts/{draft_b}/publish", headers=second),
    )
    statuses = sorted(r[0] for r in results)
    assert statuses == [201, 409], results
    loser = next(r for r in results if r[0] == 409)
    assert json.loads(loser[2])["error"]["code"] in ("version_conflict", "conflict")
    engine = make_engine(db_url)
    with read_session(engine) as session:
        versions = session.exec(select(StandardVersion).where(StandardVersion.version == "1.2")).all()
        published = session.exec(select(AuditEvent).where(AuditEvent.action == "publish",
                                                          AuditEvent.version == "1.2")).all()
    engine.dispose()
    assert len(versions) == 1 and len(published) == 1


def test_the_same_draft_published_twice_at_once(server_factory, tokens, corpus):
    server = server_factory(publish_delay=0.5)
    body, first, second = tokens.body("cesi", keeps=("2-02-38-03",)), tokens.registrar("wang"), tokens.registrar("li")
    draft = _approved_draft(server, body, first, _minor_revision("1.2", "够"))
    results = _at_once(
        lambda: server.request("POST", f"/api/v1/drafts/{draft}/publish", headers=first),
        lambda: server.request("POST", f"/api/v1/drafts/{draft}/publish", headers=second),
    )
    assert sorted(r[0] for r in results) == [201, 409], results


def test_concurrent_edits_with_the_same_etag_lose_nothing_silently(server_factory, tokens, corpus):
    server = server_factory()
    alice = tokens.body("cesi", keeps=("2-02-38-03",))
    bob = tokens.body("cesi", keeps=("2-02-38-03",))  # a second member of the same body
    status, headers, data = server.request("POST", "/api/v1/drafts", _minor_revision("1.2", "够"),
                                           yaml_headers(alice))
    draft = json.loads(data)["id"]
    etag = headers["ETag"]
    edits = {"alice": _minor_revision("1.2", "熟练"), "bob": _minor_revision("1.2", "准确")}
    results = _at_once(
        lambda: server.request("PUT", f"/api/v1/drafts/{draft}", edits["alice"],
                               {**yaml_headers(alice), "If-Match": etag}),
        lambda: server.request("PUT", f"/api/v1/drafts/{draft}", edits["bob"],
                               {**yaml_headers(bob), "If-Match": etag}),
    )
    assert sorted(r[0] for r in results) == [200, 412], results
    winner = "alice" if results[0][0] == 200 else "bob"
    status, headers, source = server.request("GET", f"/api/v1/drafts/{draft}/source", headers=alice)
    assert source == edits[winner]
    loser = results[1] if winner == "alice" else results[0]
    assert json.loads(loser[2])["error"]["details"]["etag"] == headers["ETag"].strip('"')


@pytest.mark.parametrize("point", ["versions", "commit"])
def test_sigkill_in_the_middle_of_publishing_leaves_the_catalog_consistent(server_factory, tokens, corpus, outside,
                                                                          point):
    """Killed once the version rows are written, or at the last moment before COMMIT (every row written,
    the log-order lock held): nothing of the publish survives, and a restarted server can publish."""
    server = server_factory(publish_delay=30, publish_point=point)
    body, registrar = tokens.body("cesi", keeps=("2-02-38-03",)), tokens.registrar("wang")
    draft = _approved_draft(server, body, registrar, _minor_revision("1.2", "够"))
    outcome: dict = {}

    def publish():
        try:
            outcome["response"] = server.request("POST", f"/api/v1/drafts/{draft}/publish", headers=registrar,
                                                 timeout=60)
        except OSError as exc:  # the connection dies with the server
            outcome["error"] = exc

    thread = threading.Thread(target=publish)
    thread.start()
    _wait_until_publish_is_inside_its_transaction(server, outside, holds_log_lock=point == "commit")
    server.kill()
    thread.join(30)
    assert "error" in outcome, outcome
    _assert_consistent(outside, draft, published=False)

    restarted = server_factory()
    status, _, data = restarted.request("POST", f"/api/v1/drafts/{draft}/publish", headers=registrar)
    assert status == 201, data
    _assert_consistent(outside, draft, published=True)


def _wait_until_publish_is_inside_its_transaction(server: LiveServer, engine, *, holds_log_lock: bool) -> None:
    """Wait for the fault injection to say it holds the publish open (its rows written), then check from
    outside that a write transaction is indeed open (and, at the commit point, holds the log-order lock)."""
    deadline = time.monotonic() + 30
    while b"fault injection: holding the publish" not in server.log_path.read_bytes():
        assert server.process.poll() is None and time.monotonic() < deadline, server.log_path.read_text()
        time.sleep(0.02)
    assert _write_transaction_open(engine)
    if engine.dialect.name == "postgresql":
        assert _log_lock_held(engine) == holds_log_lock


def _write_transaction_open(engine) -> bool:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'idle in transaction' AND pid <> pg_backend_pid()").scalar() >= 1
    probe = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")  # the write lock: free unless a write transaction is open
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        probe.close()


def _log_lock_held(engine) -> bool:
    from registry.db import LOG_ORDER_LOCK

    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            f"AND ((classid::bigint << 32) | objid::bigint) = {LOG_ORDER_LOCK}").scalar() == 1


def _standings(engine) -> dict[str, str]:
    from registry.clock import Clock
    from registry.services.standing import history

    with read_session(engine) as session:
        return {v: s.state for v, s in history(session, "2-02-38-03", Clock()).standings().items()}


def _assert_consistent(engine, draft_id: int, *, published: bool) -> None:
    with read_session(engine) as session:
        draft = session.get(Draft, draft_id)
        versions = session.exec(select(StandardVersion).where(StandardVersion.code == "2-02-38-03")).all()
        log = session.exec(select(ChangeLog).where(ChangeLog.code == "2-02-38-03")).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.code == "2-02-38-03")).all()
    by_version = {v.version: v for v in versions}
    publishes = [e for e in events if e.action == "publish"]
    if not published:
        assert draft.status == "approved" and draft.published_version_id is None
        assert "1.2" not in by_version
        assert _standings(engine) == {"1.0": "superseded", "1.1": "in-force"}
        assert not [e for e in log if e.version == "1.2"]
        assert not [e for e in publishes if e.version == "1.2"]
        return
    assert draft.status == "published" and draft.published_version_id == by_version["1.2"].id
    assert _standings(engine) == {"1.0": "superseded", "1.1": "superseded", "1.2": "in-force"}
    assert [e.op for e in log if e.version == "1.2"] == ["publish"]
    assert [e.op for e in log if e.version == "1.1"] == ["publish"]
    assert len([e for e in publishes if e.version == "1.2"]) == 1
    assert [e.action for e in events if e.draft_id == draft_id][-1] == "publish-draft"


def test_many_concurrent_writers_never_see_database_is_locked(server_factory, tokens, corpus):
    """Twenty drafts created and commented at once: every request succeeds (no 'database is locked')."""
    server = server_factory()
    body = tokens.body("cesi", keeps=("2-02-38-03",))
    calls = [lambda i=i: server.request("POST", "/api/v1/drafts", _minor_revision(f"1.{i + 2}", "够"),
                                        yaml_headers(body)) for i in range(20)]
    results = _at_once(*calls)
    assert [r[0] for r in results] == [201] * 20, [r for r in results if r[0] != 201]
    ids = [json.loads(r[2])["id"] for r in results]
    comments = _at_once(*[lambda d=d: server.request("POST", f"/api/v1/drafts/{d}/comments",
                                                     json.dumps({"body": "ok"}).encode(), json_headers(body))
                          for d in ids])
    assert [r[0] for r in comments] == [201] * 20
