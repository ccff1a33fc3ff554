"""Configuration is documented, and the migrations build exactly the models' schema."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from registry.config import PREFIX, SETTINGS, database_url, load_config

from .conftest import ROOT


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in SETTINGS:
        assert f"`{PREFIX}{name}`" in readme, name


def test_environment_overrides_defaults(tmp_path):
    config = load_config({"REGISTRY_DATA_DIR": str(tmp_path), "REGISTRY_MAX_UPLOAD_BYTES": "1000"})
    assert config["MAX_UPLOAD_BYTES"] == 1000
    assert database_url(config) == f"sqlite:///{tmp_path.resolve() / 'registry.sqlite3'}"
    assert database_url(load_config({"REGISTRY_DATABASE_URL": "postgresql+psycopg://x@h/db"})).startswith("postgresql")


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_sqlite_runs_in_wal_mode(tmp_path):
    from registry.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_every_setting_the_code_reads_is_a_documented_setting():
    """Settings read by name (app.config["REGISTRY_X"], REGISTRY_X in the environment) are in SETTINGS."""
    read = set()
    for path in (ROOT / "registry").rglob("*.py"):
        read |= set(re.findall(r"""["']REGISTRY_([A-Z][A-Z0-9_]*)["']""", path.read_text(encoding="utf-8")))
    assert read and read <= set(SETTINGS), sorted(read - set(SETTINGS))


def test_flags_read_from_the_environment():
    assert load_config({"REGISTRY_SEARCH_CHECK_ON_START": "false"})["SEARCH_CHECK_ON_START"] == 0
    assert load_config({"REGISTRY_SEARCH_CHECK_ON_START": "1"})["SEARCH_CHECK_ON_START"] == 1
    assert load_config({})["SEARCH_CHECK_ON_START"] == 1


def test_postgres_connections_get_the_configured_timeouts(postgres_catalog):
    from registry.db import engine_from_config

    engine = engine_from_config(load_config({"REGISTRY_DATABASE_URL": postgres_catalog.url,
                                             "REGISTRY_PG_LOCK_TIMEOUT_MS": "1234",
                                             "REGISTRY_PG_STATEMENT_TIMEOUT_MS": "5678"}))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "1234ms"
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "5678ms"
    engine.dispose()


def test_the_declared_sqlmodel_is_new_enough_for_the_migrations():
    """The migrations use sqlmodel.sql.sqltypes.UTCDateTime, which sqlmodel has since 0.0.45."""
    migrations = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "registry/migrations/versions").glob("*.py"))
    assert "UTCDateTime" in migrations
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    (floor,) = [re.search(r">=\s*([0-9.]+)", d).group(1) for d in dependencies if d.startswith("sqlmodel")]
    assert tuple(int(part) for part in floor.split(".")) >= (0, 0, 45), floor


# --- migrating: at start, from several processes at once, and what the migrations do to data -------------------

RACER = """
import os, sys, time
ready, go = sys.argv[1], sys.argv[2]
{prepare}
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
{act}
"""


def _race(tmp_path, prepare: str, act: str, processes: int = 3) -> list[subprocess.CompletedProcess]:
    """Run ``prepare`` in several Python processes, then ``act`` in all of them at once (three: one that
    migrates and two that wait for it, one of them while the other is already waiting)."""
    script, go = RACER.format(prepare=prepare, act=act), tmp_path / "go"
    env = {**os.environ, "REGISTRY_LOG_LEVEL": "WARNING", "REGISTRY_RENDER_WARM": "0",
           "REGISTRY_SEARCH_CHECK_ON_START": "0"}
    ready = [tmp_path / f"ready-{n}" for n in range(processes)]
    running = [subprocess.Popen([sys.executable, "-c", script, str(flag), str(go)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path) for flag in ready]
    deadline = time.monotonic() + 60
    while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    return [subprocess.CompletedProcess(p.args, p.wait(120), *p.communicate()) for p in running]


def _at_head(url: str) -> bool:
    from registry.db import make_engine
    from registry.migrate import is_current

    engine = make_engine(url)
    try:
        return is_current(engine)
    finally:
        engine.dispose()


def test_several_processes_migrate_a_fresh_catalog_at_once(fresh_db_url, tmp_path):
    results = _race(tmp_path, prepare=f"from registry.db import make_engine\nfrom registry.migrate import upgrade\n"
                                      f"engine = make_engine({fresh_db_url!r})",
                    act="upgrade(engine)\nprint('migrated')")
    assert [(r.returncode, r.stdout) for r in results] == [(0, "migrated\n")] * len(results), [r.stderr for r in results]
    assert _at_head(fresh_db_url)


def test_several_app_processes_start_on_a_fresh_catalog_at_once(fresh_db_url, tmp_path):
    """Each app process brings the catalog to the current revision as it starts: none fails, none serves
    a catalog without tables."""
    settings = {"DATABASE_URL": fresh_db_url, "DATA_DIR": str(tmp_path / "instance")}
    results = _race(tmp_path, prepare="from registry import create_app",
                    act=f"app = create_app({settings!r})\n"
                        "print(app.test_client().get('/api/v1/standards').status_code)\n"
                        "app.extensions['registry.engine'].dispose()")
    assert [(r.returncode, r.stdout) for r in results] == [(0, "200\n")] * len(results), [r.stderr for r in results]
    assert _at_head(fresh_db_url)


def test_flask_run_serves_a_fresh_data_directory(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "REGISTRY_DATA_DIR": str(tmp_path / "instance"), "REGISTRY_RENDER_WARM": "0",
           "REGISTRY_EXPORTS_DIR": str(tmp_path / "exports"), "REGISTRY_DATABASE_URL": ""}
    flask = Path(sys.executable).with_name("flask")
    server = subprocess.Popen([str(flask), "--app", "registry", "run", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        status, body = _get_when_up(port, "/api/v1/standards")
        assert (status, json.loads(body)["total"]) == (200, 0)
        assert _get_when_up(port, "/api/v1/audit")[0] == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "Traceback" not in output, output


def _get_when_up(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_token_migration_revokes_the_tokens_it_cannot_convert(fresh_db_url):
    """Tokens made before public ids existed are kept for the record, revoked, their 12 leaked
    characters gone; the documents' own end dates are carried into effective_until."""
    from alembic.script import ScriptDirectory

    from registry.db import make_engine, read_session
    from registry.errors import Unauthorized
    from registry.loader import load_bytes
    from registry.migrate import alembic_config, upgrade
    from registry.models import ApiToken, Standard
    from registry.services.accounts import authenticate

    before = ScriptDirectory.from_config(alembic_config(fresh_db_url)).get_revision("3c5d0f2a8e61").down_revision
    engine = make_engine(fresh_db_url)
    upgrade(engine, before)
    old_token = "osr_" + "Q" * 43
    source = (ROOT / "standards/2-02-38-03/1.1.yaml").read_bytes().replace(
        b'effective_from: "2022-07-01"', b'effective_from: "2022-07-01"\n  effective_until: "2026-09-30"')
    doc = load_bytes(source).data
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO account (name, role, active, created_at) "
                                "VALUES ('registrar:wang', 'registrar', true, CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO apitoken (account_id, token_hash, prefix, created_at) "
                                "VALUES (1, :hash, :prefix, CURRENT_TIMESTAMP)"),
                           {"hash": hashlib.sha256(old_token.encode()).hexdigest(), "prefix": old_token[:12]})
        connection.execute(Standard.__table__.insert().values(code=doc["code"], title="t", title_en="",
                                                              sector=doc["sector"], standard_type=doc["standard_type"],
                                                              created_at=datetime.now(UTC)))
        connection.execute(text(  # the table as that release had it
            "INSERT INTO standard_version (code, version, major, minor, sha256, source, document, status, "
            "effective_from, published_at, published_by) VALUES (:code, '1.1', 1, 1, :sha, :source, :document, "
            "'published', :start, :at, 'system:loader')"),
            {"code": doc["code"], "sha": "0" * 64, "source": source, "document": json.dumps(doc),
             "start": date(2022, 7, 1), "at": datetime.now(UTC)})
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM apitoken")).mappings().one()
        until = connection.execute(text("SELECT effective_until FROM standard_version")).scalar()
    assert (row["public_id"], row["revoked_at"] is not None) == ("legacy1", True)
    assert "token_hash" not in row and "prefix" not in row
    assert not any(old_token[4:12] in str(value) for value in row.values())
    # that migration stored the day after; the current catalog keeps the document's own last day
    assert str(until) == "2026-09-30"
    with read_session(engine) as session:
        assert session.get(ApiToken, 1).revoked_at is not None
        with pytest.raises(Unauthorized):
            authenticate(session, old_token)
    engine.dispose()


def test_importing_the_application_does_no_work():
    """No engine, no password hash, no renderer at import time: only create_app and the commands do work."""
    script = """
import argon2, sqlalchemy, sqlmodel
def refuse(*args, **kwargs):
    raise AssertionError("work at import time")
argon2.PasswordHasher.hash = refuse
sqlalchemy.create_engine = sqlmodel.create_engine = refuse
import registry.app, registry.cli, registry.api, registry.web, registry.services.people, registry.services.accounts
print("imported")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "imported\n"), result.stderr


def test_a_sqlite_migrator_waits_for_another_longer_than_the_request_busy_timeout(tmp_path):
    # Under load one migration outlasted the others' busy timeout and they failed ("database is
    # locked"): a migrator waits for another as long as it takes, as on PostgreSQL.
    import sqlite3
    import threading

    from registry.db import make_engine
    from registry.migrate import upgrade

    path = tmp_path / "registry.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")  # another migrator, in the middle of its migration
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=100)
    releaser = threading.Timer(1.0, holder.execute, ("COMMIT",))  # well past the engine's 0.1 s
    releaser.start()
    try:
        upgrade(engine)
        assert _at_head(f"sqlite:///{path}")
        with engine.connect() as connection:  # the engine's own busy timeout is back for requests
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 100
    finally:
        releaser.join(60)
        holder.close()
        engine.dispose()
