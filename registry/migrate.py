"""Apply the catalog's migrations (Alembic), safely when several processes start at once."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "registry:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the catalog to ``revision``. Concurrent callers wait for each other (lock below)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # one migrator at a time across every process and machine sharing the database
            connection.execute(text("SELECT pg_advisory_lock(7321001)"))
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(7321001)"))
                connection.commit()


def revision_autogenerate(url: str, message: str) -> None:  # pragma: no cover - a developer tool
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)
