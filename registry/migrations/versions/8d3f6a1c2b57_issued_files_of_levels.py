"""issued files of one level: the ledger names the level, and longer format names

Revision ID: 8d3f6a1c2b57
Revises: 5e2b9d7c1a40
Create Date: 2027-01-10 12:00:00

- ``issued_file.scope``: the level (and direction) a file covers, for the level sheets and the documents
  generated from a level (job description, assessment checklist, training plan); NULL for the files of a
  whole version (every row written before this revision).
- ``issued_file.format`` holds up to 40 characters (``assessment-checklist.docx``).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '8d3f6a1c2b57'
down_revision = '5e2b9d7c1a40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issued_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.alter_column('format', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=40), existing_nullable=False)


def downgrade() -> None:
    raise NotImplementedError("a catalog is not downgraded: restore the backup taken before upgrading")
