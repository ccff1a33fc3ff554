from __future__ import annotations

import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STANDARDS = ROOT / "standards"
VALID = ROOT / "tests" / "data" / "valid"
INVALID = ROOT / "tests" / "data" / "invalid"


@pytest.fixture
def example_bytes() -> bytes:
    return (VALID / "example.yaml").read_bytes()


# --- passwords ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """Argon2id at its smallest work factor for the accounts of this process's tests; yields the
    registry's own hasher.

    The registry's parameters (64 MiB, 3 passes) cost 60-200 ms a hash or check, and the suite makes
    and checks over a thousand passwords: that was most of the web tests' time. Nothing the tests check
    depends on the work factor (hashes are Argon2id, the limits on attempts, a miss checked against a
    dummy hash); the registry's parameters are checked by test_passwords_are_hashed_with_argon2, and
    servers the suite starts as processes of their own keep them.
    """
    from argon2 import PasswordHasher

    from registry.services import people

    production = people._hasher
    people._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    people._dummy_hash.cache_clear()
    yield production
    people._hasher = production
    people._dummy_hash.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def url_builders_compiled_once():
    """Werkzeug compiles two URL-building functions for every route of every app it is given (Python's
    compiler on a generated syntax tree): some 60 ms of each app, and the suite makes well over a
    thousand apps of the same routes. A builder depends only on its rule's text, its parts and the names
    of its defaults (when no default fills a part of the URL), so each distinct one is compiled once per
    test process; rules with a default inside the URL are compiled as always. URLs are built and matched
    exactly as uncached (the same code, bound to each rule)."""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_builder
    yield
    Rule._compile_builder = original


# --- the catalog, on both backends ----------------------------------------------------------------

import os
import uuid
from collections.abc import Iterator

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

BACKENDS = ("sqlite", "postgresql")
#: for a test whose subject is a rendered file (a PDF's pages, a format's headers, the renderer's limits),
#: which reads the catalog as every other download does: on SQLite only. Reading and writing the catalog
#: are tested on both backends; rendering a PDF twice over the same rows would test nothing more.
RENDERED_ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def postgres_base_url() -> str:
    """The test server's URL; `make test` starts the server and sets it."""
    url = os.environ.get("REGISTRY_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("REGISTRY_TEST_POSTGRES_URL is not set: run the suite with `make test`, which starts "
                    "a local PostgreSQL server (scripts/postgres.sh) and sets it")
    return url


class PostgresCatalog:
    """One migrated database per test session, reset between tests.

    CREATE DATABASE takes seconds here, so tests do not get a database each: they get this one,
    truncated, and (when they ask for the corpus) refilled from rows captured once. Only a test that
    tried to write needs that: a trigger on every table counts the statements that insert, update,
    delete or truncate (before each runs, so a failed insert that used up a serial id counts too) on a
    sequence of the suite's own, which no transaction waits on or rolls back. A reset after a test that
    only read, to what the catalog already holds, has nothing to do.
    """

    WATCH = "registry_test"  # the schema of the counting sequence and function (the models' tables are in public)

    def __init__(self, base):
        from registry.db import make_engine
        from registry.migrate import upgrade

        self.admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.name = f"registry_t_{os.getpid()}"
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        self.engine = make_engine(self.url)
        upgrade(self.engine)
        self.snapshot: list | None = None
        self.holds: tuple[bool, int] | None = None  # (the corpus or empty, the write count) after the last reset
        with self.engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.WATCH}; CREATE SEQUENCE {self.WATCH}.writes; "
                              f"CREATE FUNCTION {self.WATCH}.count_write() RETURNS trigger LANGUAGE plpgsql AS "
                              f"$$ BEGIN PERFORM nextval('{self.WATCH}.writes'); RETURN NULL; END $$"))
            for table in self.tables():
                conn.execute(text(f'CREATE TRIGGER {self.WATCH}_write BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE '
                                  f'ON "{table.name}" FOR EACH STATEMENT EXECUTE FUNCTION {self.WATCH}.count_write()'))

    def tables(self):
        from sqlmodel import SQLModel

        return SQLModel.metadata.sorted_tables

    def _writes(self) -> int | None:
        """The write count, or None when it cannot be trusted (a table lost its trigger: dropped and made
        again) or the server is out of reach (a test restarted it)."""
        try:
            with self.engine.connect() as conn:
                watched = conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = :name"),
                                       {"name": f"{self.WATCH}_write"}).scalar_one()
                count = conn.execute(text(f"SELECT last_value + is_called::int FROM {self.WATCH}.writes")).scalar_one()
        except Exception:  # noqa: BLE001 - any doubt means the full reset
            return None
        return count if watched == len(self.tables()) else None

    def reset(self, with_corpus: bool) -> str:
        if self.holds is not None and self.holds == (with_corpus, self._writes()):
            return self.url  # nothing tried to write since the catalog held just this
        self.engine.dispose()
        names = ", ".join(f'"{t.name}"' for t in self.tables())
        with self.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        if with_corpus and self.snapshot is None:
            _load_sample_corpus(self.url)
            with self.engine.connect() as conn:
                self.snapshot = [(t, [dict(r._mapping) for r in conn.execute(t.select())]) for t in self.tables()]
        elif with_corpus:
            self._refill()
        self.engine.dispose()
        writes = self._writes()
        self.holds = None if writes is None else (with_corpus, writes)
        return self.url

    def _refill(self) -> None:
        with self.engine.begin() as conn:
            for table, rows in self.snapshot:
                if rows:
                    # self-references (a version's predecessor) are filled in after every row exists
                    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
                    conn.execute(table.insert(), [{**r, **{c: None for c in own}} for r in rows])
                    for column in own:
                        pk = table.primary_key.columns.values()[0]
                        conn.execute(table.update().where(pk == bindparam("_pk")).values({column: bindparam("_v")}),
                                     [{"_pk": r[pk.name], "_v": r[column]} for r in rows if r[column] is not None]
                                     or [{"_pk": -1, "_v": None}])
                    for column in table.primary_key.columns:
                        if column.autoincrement is True or (column.type.python_type is int):
                            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', "
                                              f"'{column.name}'), (SELECT max(\"{column.name}\") FROM "
                                              f"\"{table.name}\"))"))

    def close(self):
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_catalog():
    catalog = PostgresCatalog(make_url(postgres_base_url()))
    yield catalog
    catalog.close()


def _load_sample_corpus(url: str) -> None:
    from registry.db import make_engine
    from registry.services.catalog import load_corpus

    engine = make_engine(url)
    outcomes = load_corpus(engine, [str(STANDARDS)])
    engine.dispose()
    assert {o.status for o in outcomes} == {"published"}, [o for o in outcomes if o.status != "published"]


@pytest.fixture(params=BACKENDS)
def fresh_db_url(request, tmp_path):
    """A catalog nothing has touched yet (no tables, no migrations), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'registry.sqlite3'}"
        return
    base = make_url(postgres_base_url())
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"registry_fresh_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def built_once(tmp_path_factory, name: str, build) -> Path:
    """The folder ``name`` filled by ``build(folder)`` once for the whole run: the first test process to
    need it builds it under a lock; the others (xdist's workers share the parent of their temporary
    folders) wait for it and reuse it. A build that failed left no mark, so the next one tries again."""
    import fcntl
    import shutil

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


def _build_sqlite_templates(folder: Path) -> None:
    from registry.db import make_engine
    from registry.migrate import upgrade

    empty, full = folder / "empty.sqlite3", folder / "corpus.sqlite3"
    engine = make_engine(f"sqlite:///{empty}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    full.write_bytes(empty.read_bytes())
    _load_sample_corpus(f"sqlite:///{full}")
    engine = make_engine(f"sqlite:///{full}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory):
    """Migrated SQLite files, empty and with the corpus, copied for each test (loading is the slow part)."""
    folder = built_once(tmp_path_factory, "sqlite-templates", _build_sqlite_templates)
    return {False: folder / "empty.sqlite3", True: folder / "corpus.sqlite3"}


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, sqlite_templates) -> Iterator[Path]:
    """The index of the sample corpus, built once for the run (from the SQLite template) with two processes."""
    from registry.db import make_engine
    from registry.search.service import reindex

    def build(folder: Path) -> None:
        catalog = folder / "catalog.sqlite3"
        catalog.write_bytes(sqlite_templates[True].read_bytes())
        engine = make_engine(f"sqlite:///{catalog}")
        report = reindex(engine, folder, procs=2)
        engine.dispose()
        assert report["documents"] > 2000 and report["procs"] == 2

    index = built_once(tmp_path_factory, "search-template", build) / "index"
    before = _file_marks(index)
    yield index
    # tests link their apps' indexes to these files (tests/search/helpers.link_index): none may change one
    assert _file_marks(index) == before, "a test changed the session's index in place: it needs copy_index"


def is_lock_file(path: Path) -> bool:
    """A search index's lock file (Whoosh's MAIN_WRITELOCK, the registry's write.lock and build.lock)."""
    return "lock" in path.name.lower()


def _file_marks(folder: Path) -> dict[str, tuple[int, int]]:
    marks = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and not is_lock_file(path):
            info = path.stat()
            marks[str(path)] = (info.st_size, info.st_mtime_ns)
    return marks


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh, migrated catalog on each backend: empty, or with the corpus when the test asks for it."""
    with_corpus = "corpus" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "registry.sqlite3"
        path.write_bytes(request.getfixturevalue("sqlite_templates")[with_corpus].read_bytes())
        yield f"sqlite:///{path}"
        return
    yield request.getfixturevalue("postgres_catalog").reset(with_corpus)


@functools.cache
def compiled_templates():
    """The page templates' compiled code, kept for this test process (a Jinja bytecode cache).

    Every test makes its own app, so its own Jinja environment, which compiled each template it rendered
    again: a large share of the web tests' time. Jinja checks each entry against the template's source
    (an edited template is compiled again), and the templates render exactly as they do uncached."""
    import jinja2

    class Compiled(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket) -> None:
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    return Compiled()


def make_test_app(db_url: str, tmp_path, *, clock=None, **overrides):
    """An app on the test's catalog, its state in tmp_path; close it with :func:`close_app`.
    ``clock``: a ``registry.clock.Clock`` the test moves to any day (default: the real one)."""
    from registry import create_app

    application = create_app(clock=clock, test_config={
        "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "instance"), "EXPORTS_DIR": str(tmp_path / "exports"),
        "LOG_LEVEL": "WARNING", "RENDER_WARM": 0, "SEARCH_CHECK_ON_START": 0,  # search starts at its first use
        "WATCH_INTERVAL": 0,  # tests look for a new day themselves (watcher.check)
        **overrides})
    application.jinja_env.bytecode_cache = compiled_templates()
    return application


def close_app(application) -> None:
    if "registry.watcher" in application.extensions:
        application.extensions["registry.watcher"].stop()
    if "registry.search" in application.extensions:
        application.extensions["registry.search"].close()  # its maintenance thread
    application.extensions["registry.engine"].dispose()


@pytest.fixture
def app(db_url, tmp_path):
    application = make_test_app(db_url, tmp_path)
    yield application
    close_app(application)


@pytest.fixture
def engine(app):
    return app.extensions["registry.engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def corpus():
    """Asks db_url for a catalog with the sample corpus published (copied from a template)."""
    return sorted(STANDARDS.rglob("*.yaml"))


class Tokens:
    """Creates bodies and tokens, and builds Authorization headers."""

    def __init__(self, engine):
        self.engine = engine

    def body(self, body_id: str, name: str | None = None, *, keeps: tuple[str, ...] = ()) -> dict[str, str]:
        """A token of a member of ``body_id`` (created if new), the keeper of the standards ``keeps``."""
        from registry.db import write_session
        from registry.services.accounts import add_body, create_token

        with write_session(self.engine) as session:
            from registry.models import Body

            if session.get(Body, body_id) is None:
                add_body(session, body_id, name or body_id)
            token, _ = create_token(session, body_id=body_id)
        keep(self.engine, body_id, keeps)
        return {"Authorization": f"Bearer {token}"}

    def registrar(self, name: str = "reg") -> dict[str, str]:
        from registry.db import write_session
        from registry.services.accounts import create_token

        with write_session(self.engine) as session:
            token, _ = create_token(session, registrar=name)
        return {"Authorization": f"Bearer {token}"}


def keep(engine, body_id: str, codes) -> None:
    """Make ``body_id`` the keeper of those standards ``codes`` that the catalog has (a corpus loads
    them without a keeper; a new code needs none: its first publication gives it its body)."""
    from registry.db import write_session
    from registry.models import Standard
    from registry.services.context import SYSTEM
    from registry.services.stewardship import assign

    for code in codes:
        with write_session(engine) as session:
            if session.get(Standard, code) is not None:
                assign(session, code, body_id, SYSTEM)


@pytest.fixture
def tokens(engine):
    return Tokens(engine)
