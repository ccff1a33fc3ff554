"""Configuration is documented, and the migrations build exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
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
