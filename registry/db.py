"""The catalog's database: engines and transactions, for SQLite (embedded) and PostgreSQL.

SQLite runs in WAL mode so readers never block the writer. Write transactions start with
``BEGIN IMMEDIATE``: the write lock is taken up front (waiting up to the busy timeout), so a
transaction never has to upgrade a read lock into a write lock halfway, which is what produces
"database is locked" under concurrent writers. Read transactions stay deferred and concurrent.

PostgreSQL connections get a ``lock_timeout`` and a ``statement_timeout``, so a request stuck
behind a lock answers 503 (retry) instead of hanging its worker. While the server cannot be reached
(stopped, restarting) a request answers 503 too (``DatabaseUnavailable``); the pool checks each
connection before use (``pool_pre_ping``) and drops every connection when one is found cut, so the
app works again as soon as the server is back, without a restart.

The append-only logs (``change_log`` and ``audit_event``) are written with
:func:`append_in_commit_order`: their rows are inserted as the last statements of the
transaction, after a lock that serialises those inserts, so their ids follow commit order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

from .errors import Conflict, DatabaseUnavailable, ServiceUnavailable

#: PostgreSQL advisory lock serialising the inserts into the append-only logs (see below)
LOG_ORDER_LOCK = 7321002
_PENDING = "registry.commit_ordered"
_AFTER = "registry.after_commit_ordered"

#: PostgreSQL SQLSTATEs that mean "busy, retry": lock_not_available (lock_timeout), query_canceled
#: (statement_timeout), deadlock_detected, serialization_failure
_BUSY_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001"})
#: PostgreSQL SQLSTATE classes and codes that mean "the server is out of reach, retry": connection
#: exceptions (08xxx), the server shutting down, crashed or starting up (57P01, 57P02, 57P03)
_UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
_UNIQUE_SQLSTATE = "23505"
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def make_engine(url: str, *, busy_timeout_ms: int = 30000, lock_timeout_ms: int = 30000,
                statement_timeout_ms: int = 60000, echo: bool = False) -> Engine:
    """Create the engine for a catalog URL (no connection is made until first use).

    ``busy_timeout_ms`` applies to SQLite; ``lock_timeout_ms`` and ``statement_timeout_ms`` to
    PostgreSQL (0 disables them).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options = f"-c lock_timeout={int(lock_timeout_ms)} -c statement_timeout={int(statement_timeout_ms)}"
        return create_engine(url, echo=echo, pool_pre_ping=True, connect_args={"options": options})
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False,
                                                         "timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised on every connect
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def engine_from_config(config: Mapping[str, Any]) -> Engine:
    """The catalog's engine as the ``REGISTRY_*`` settings describe it (``registry.config``)."""
    from .config import database_url

    return make_engine(database_url(config), busy_timeout_ms=config["SQLITE_BUSY_TIMEOUT_MS"],
                       lock_timeout_ms=config["PG_LOCK_TIMEOUT_MS"],
                       statement_timeout_ms=config["PG_STATEMENT_TIMEOUT_MS"])


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with _translated_errors(), Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose work commits as one transaction, or not at all.

    On SQLite the transaction takes the write lock at its start; on PostgreSQL it is an ordinary
    transaction and conflicts surface as integrity errors or row locks in the service code.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    with _translated_errors(), Session(bind, expire_on_commit=False) as session:
        with session.begin():
            yield session


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Database errors a client can act on become domain errors; any other stays an error (a 500)."""
    try:
        yield
    except IntegrityError as exc:
        if not _is_unique_violation(exc):
            raise  # a broken invariant is a bug: logged as a 500, never shown to the client
        # two writers raced past the service's checks; the database kept its invariant
        raise Conflict("the change conflicts with a concurrent change; reload and retry") from exc
    except OperationalError as exc:
        if _is_busy(exc):
            raise ServiceUnavailable("the catalog is busy; retry shortly") from exc
        if _is_unreachable(exc):
            raise DatabaseUnavailable("the catalog's database cannot be reached; retry shortly") from exc
        raise
    except DBAPIError as exc:  # psycopg's InterfaceError on a connection closed under it, for one
        if _is_unreachable(exc):
            raise DatabaseUnavailable("the catalog's database cannot be reached; retry shortly") from exc
        raise


def _is_unique_violation(exc: IntegrityError) -> bool:
    return (getattr(exc.orig, "sqlstate", None) == _UNIQUE_SQLSTATE
            or getattr(exc.orig, "sqlite_errorname", None) in _SQLITE_UNIQUE)


def _is_unreachable(exc: DBAPIError) -> bool:
    """A lost or refused connection to PostgreSQL (SQLite is a file: nothing to reach)."""
    if exc.connection_invalidated:  # SQLAlchemy saw a disconnect (and has emptied the pool)
        return True
    if not getattr(exc.orig, "__module__", "").startswith("psycopg"):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    # no SQLSTATE: the client could not connect at all (refused, reset); the server never answered
    return sqlstate is None or sqlstate.startswith(_UNREACHABLE_SQLSTATES)


def _is_busy(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return getattr(exc.orig, "sqlite_errorname", "").startswith("SQLITE_BUSY") or "locked" in str(exc.orig)


# --- the append-only logs, in commit order --------------------------------------------------------


def append_in_commit_order(session: Session, row: SQLModel) -> None:
    """Queue a row of an append-only log (``change_log``, ``audit_event``) for this transaction.

    The queued rows are inserted, in the order queued, when the transaction commits: as its last
    statements, after :data:`LOG_ORDER_LOCK` (PostgreSQL; SQLite's write lock already serialises
    writers), which is held until the commit. So ids and sequence numbers are handed out in commit
    order, and a reader paging by ``id > last seen`` never skips a row committed late (see
    ``registry.models.ChangeLog``). A rollback discards the queue.
    """
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "before_commit", _insert_pending)
        event.listen(session, "after_soft_rollback", _discard_pending)
    session.info[_PENDING].append(row)


def _insert_pending(session: Session) -> None:
    rows, session.info[_PENDING] = session.info[_PENDING], []
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_ORDER_LOCK})
    session.add_all(rows)
    session.flush()
    for callback in session.info.pop(_AFTER, []):
        callback(session)


def run_after_appends(session: Session, callback) -> None:
    """Call ``callback(session)`` at the commit, once the queued log rows are inserted (and their
    ordering lock taken): the last moment before COMMIT. Needs a queued row; for fault injection."""
    session.info.setdefault(_AFTER, []).append(callback)


def _discard_pending(session: Session, _previous) -> None:
    session.info[_PENDING] = []
    session.info.pop(_AFTER, None)


# --- after the commit ----------------------------------------------------------------------------

_ON_COMMIT = "registry.on_commit"


def on_commit(session: Session, callback) -> None:
    """Call ``callback()`` once this session's transaction has committed (never after a rollback).

    For what a change causes outside the catalog (caches, files): it must not happen for a change
    that is rolled back, and must not be done inside the transaction it depends on.
    """
    if _ON_COMMIT not in session.info:
        session.info[_ON_COMMIT] = []
        event.listen(session, "after_commit", _run_on_commit)
        event.listen(session, "after_soft_rollback", _drop_on_commit)
    session.info[_ON_COMMIT].append(callback)


def _run_on_commit(session: Session) -> None:
    callbacks, session.info[_ON_COMMIT] = session.info[_ON_COMMIT], []
    for callback in callbacks:
        callback()


def _drop_on_commit(session: Session, _previous) -> None:
    session.info[_ON_COMMIT] = []


def catalog_id(session_or_engine) -> str:
    """The catalog a session or engine works on, as the sender of ``services.events`` signals."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.url.render_as_string(hide_password=True)
