"""token ids and hashed secrets, an append-only audit trail, documents' own end dates

Revision ID: 3c5d0f2a8e61
Revises: b7e41c2d9a10
Create Date: 2026-11-28 12:00:00

- ``apitoken``: a token is now ``osr_<public_id>_<secret>``; the row keeps the public id in clear
  and a SHA-256 of the secret. The old columns (a hash of the whole token, and its first twelve
  characters, eight of them secret) are dropped. Old tokens cannot be converted (their secret part
  is unknown): they are kept for the record, revoked, under the public id ``legacy<id>``;
  ``registry token create`` issues new ones.
- ``audit_event``: UPDATE and DELETE are refused by the database (triggers). On SQLite a batch
  migration that recreates ``audit_event`` would drop them: re-create them after such a step.
- ``standard_version.effective_until``: the earlier of what it was and the document's own
  ``provenance.effective_until`` (its last day, so the day after).
"""
from datetime import date, datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '3c5d0f2a8e61'
down_revision = 'b7e41c2d9a10'
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "audit_event is append-only"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
]
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % refused', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
]


def upgrade() -> None:
    _token_ids()
    for statement in (POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS):
        op.execute(statement)
    _documents_end_dates()


def _token_ids() -> None:
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    tokens = sa.table('apitoken', sa.column('id', sa.Integer()), sa.column('public_id', sa.String()),
                      sa.column('secret_hash', sa.String()),
                      sa.column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime()))
    bind = op.get_bind()
    # an empty secret hash never equals a SHA-256: the legacy rows can never authenticate
    bind.execute(tokens.update().values(public_id=sa.literal("legacy") + sa.cast(tokens.c.id, sa.String()),
                                        secret_hash=""))
    bind.execute(tokens.update().where(tokens.c.revoked_at.is_(None)).values(revoked_at=datetime.now(timezone.utc)))
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
                              nullable=False)
        batch_op.alter_column('secret_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=False)
        batch_op.drop_index(batch_op.f('ix_apitoken_token_hash'))
        batch_op.drop_column('token_hash')
        batch_op.drop_column('prefix')
        batch_op.create_index(batch_op.f('ix_apitoken_public_id'), ['public_id'], unique=True)


def _documents_end_dates() -> None:
    versions = sa.table('standard_version', sa.column('id', sa.Integer()), sa.column('document', sa.JSON()),
                        sa.column('effective_until', sa.Date()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.id, versions.c.document, versions.c.effective_until)).all():
        declared = ((row.document or {}).get("provenance") or {}).get("effective_until")
        if not declared:
            continue
        until = date.fromisoformat(declared) + timedelta(days=1)  # the document names its last day
        if row.effective_until is None or until < row.effective_until:
            bind.execute(versions.update().where(versions.c.id == row.id).values(effective_until=until))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
    # tokens cannot be converted back (only a hash of their secret part is stored): all are revoked
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apitoken_public_id'))
        batch_op.add_column(sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    tokens = sa.table('apitoken', sa.column('id', sa.Integer()), sa.column('public_id', sa.String()),
                      sa.column('token_hash', sa.String()), sa.column('prefix', sa.String()),
                      sa.column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime()))
    bind = op.get_bind()
    bind.execute(tokens.update().values(token_hash=tokens.c.public_id, prefix=sa.literal("revoked")))
    bind.execute(tokens.update().where(tokens.c.revoked_at.is_(None)).values(revoked_at=datetime.now(timezone.utc)))
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=False)
        batch_op.alter_column('prefix', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False)
        batch_op.drop_column('secret_hash')
        batch_op.drop_column('public_id')
        batch_op.create_index(batch_op.f('ix_apitoken_token_hash'), ['token_hash'], unique=True)
