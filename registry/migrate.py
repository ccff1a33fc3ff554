"""Apply the catalog's migrations (Alembic), safely when several processes start at once.

One migrator at a time, across every process and machine sharing the catalog: on PostgreSQL an
advisory transaction lock, on SQLite the write lock (``BEGIN IMMEDIATE``), taken before Alembic
reads the catalog's revision and held until the migration commits. Whoever comes second waits,
then finds the catalog current and does nothing. SQLite's DDL is transactional, so the check and
the upgrade are one transaction on both backends.
"""

from __future__ import annotations

import functools

from sqlalchemy import text
from sqlalchemy.engine import Engine

MIGRATION_LOCK = 7321001
#: how long a SQLite migrator waits for another one's migration to commit
MIGRATION_WAIT_MS = 600_000


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "registry:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revisions() -> frozenset[str]:
    """The revisions of this code's migrations that nothing follows (read once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def is_current(engine: Engine) -> bool:
    """Whether the catalog is at this code's head revision (a read, no lock)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads()) == head_revisions()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the catalog to ``revision``. Concurrent callers wait for each other (see the module)."""
    from alembic import command

    if revision == "head" and is_current(engine):
        return  # the common case at every start: no lock, no Alembic environment
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    with bind.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Waiting for another migrator is expected, however long its migration takes on a busy
            # machine (as PostgreSQL's lock_timeout = 0 below): the engine's busy timeout is for requests.
            busy_timeout = connection.connection.driver_connection.execute("PRAGMA busy_timeout").fetchone()[0]
            _pragma(connection, f"busy_timeout={MIGRATION_WAIT_MS}")
            # SQLite rebuilds a table to change it (copy, drop, rename); dropping a table that others
            # reference would count their rows as violations for good. So, as SQLite's own procedure
            # says: foreign keys off for the migration (outside the transaction, where the pragma
            # applies), checked whole before the commit, and on again afterwards.
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # a migration may outlast the request timeouts; waiting for another migrator is expected
                    connection.execute(text("SET LOCAL lock_timeout = 0"))
                    connection.execute(text("SET LOCAL statement_timeout = 0"))
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration would break foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")
                _pragma(connection, f"busy_timeout={int(busy_timeout)}")


def _pragma(connection, pragma: str) -> None:
    """A SQLite pragma outside any transaction (through the driver: SQLAlchemy would begin one)."""
    connection.connection.driver_connection.execute(f"PRAGMA {pragma}")


def revision_autogenerate(url: str, message: str) -> None:  # pragma: no cover - a developer tool
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)
