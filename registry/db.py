"""The catalog's database: engines and transactions, for SQLite (embedded) and PostgreSQL.

SQLite runs in WAL mode so readers never block the writer. Write transactions start with
``BEGIN IMMEDIATE``: the write lock is taken up front (waiting up to the busy timeout), so a
transaction never has to upgrade a read lock into a write lock halfway, which is what produces
"database is locked" under concurrent writers. Read transactions stay deferred and concurrent.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from .errors import Conflict, ServiceUnavailable


def make_engine(url: str, *, busy_timeout_ms: int = 30000, echo: bool = False) -> Engine:
    """Create the engine for a catalog URL (no connection is made until first use)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
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


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose work commits as one transaction, or not at all.

    On SQLite the transaction takes the write lock at its start; on PostgreSQL it is an ordinary
    transaction and conflicts surface as integrity errors or row locks in the service code.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    try:
        with Session(bind, expire_on_commit=False) as session:
            with session.begin():
                yield session
    except IntegrityError as exc:
        # two writers raced past the service's checks; the database kept its invariant
        raise Conflict("the change conflicts with a concurrent change; reload and retry",
                       details={"constraint": str(exc.orig).splitlines()[0]}) from exc
    except OperationalError as exc:
        if "locked" in str(exc.orig) or "deadlock" in str(exc.orig).lower():
            raise ServiceUnavailable("the catalog is busy; retry shortly") from exc
        raise
