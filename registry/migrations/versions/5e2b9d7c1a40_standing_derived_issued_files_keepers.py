"""standings derived from dates, a ledger of issued files, keepers of standards

Revision ID: 5e2b9d7c1a40
Revises: 3c5d0f2a8e61
Create Date: 2026-12-05 12:00:00

- ``standard_version``: the stored standing goes (``status``, ``predecessor_id``, ``successor_id``):
  the time model derives it from facts whenever it is read (``registry.lifecycle``), so nothing is
  recomputed here. ``effective_from`` and ``effective_until`` now hold what the version's document
  states (its first and last day, inclusive), or nothing where it states nothing; earlier releases
  stored computed values there (a start invented from the edition year, an end set at supersession
  or withdrawal). They are read again from each version's stored document, the fact they came from.
- ``issued_file``: the ledger of every file the registry issues for a published version, by sha256.
- ``standard.body_id`` keeps its column and becomes the standard's keeper; keepers set by earlier
  releases (the first body that published) stay.
"""
from datetime import date

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '5e2b9d7c1a40'
down_revision = '3c5d0f2a8e61'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('issued_file',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('standing', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['standard_version.id'], ),
    sa.PrimaryKeyConstraint('sha256')
    )
    with op.batch_alter_table('issued_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_file_version_id'), ['version_id'], unique=False)

    _stated_dates()
    # on SQLite this copies the table and drops the old one: registry.migrate runs migrations with
    # the foreign keys off, and checks them all before the commit
    with op.batch_alter_table('standard_version', schema=None) as batch_op:
        batch_op.drop_index('ix_standard_version_status')
        batch_op.drop_column('status')
        batch_op.drop_column('predecessor_id')
        batch_op.drop_column('successor_id')


def _stated_dates() -> None:
    """Each version's dates as its stored document states them (None where it states none)."""
    versions = sa.table('standard_version', sa.column('id', sa.Integer()), sa.column('document', sa.JSON()),
                        sa.column('effective_from', sa.Date()), sa.column('effective_until', sa.Date()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.id, versions.c.document)).all():
        provenance = (row.document or {}).get("provenance", {})
        bind.execute(versions.update().where(versions.c.id == row.id).values(
            effective_from=_day(provenance.get("effective_from")),
            effective_until=_day(provenance.get("effective_until"))))


def _day(value):
    return date.fromisoformat(value) if value else None


def downgrade() -> None:
    raise NotImplementedError("a catalog is not downgraded: restore the backup taken before upgrading")
