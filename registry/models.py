"""The catalog: the system of record. Every table of the registry lives here.

The search index and the exports are caches derived from these tables. Published versions keep
their exact YAML bytes and sha256 forever; the audit trail is append-only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from .lifecycle import DRAFT


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- people and organisations ----------------------------------------------------------------

ROLE_BODY_MEMBER = "body-member"
ROLE_REGISTRAR = "registrar"
ROLE_ADMIN = "admin"
ROLES = (ROLE_BODY_MEMBER, ROLE_REGISTRAR, ROLE_ADMIN)


class Body(SQLModel, table=True):
    """A standards body (起草单位/行业组织) that authors and maintains standards."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class Account(SQLModel, table=True):
    """A person or a service identity: a body member, a registrar or an admin."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=254, unique=True, index=True)  # an e-mail for people
    role: str = Field(max_length=20)
    body_id: str | None = Field(default=None, foreign_key="body.id", max_length=64)
    password_hash: str | None = Field(default=None, max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """An API token: ``osr_<public_id>_<secret>``, shown once.

    The public id is stored in clear (to find the row and to tell tokens apart in listings); of the
    secret only a SHA-256 hash is stored, compared in constant time.
    """

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    public_id: str = Field(max_length=32, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


# --- standards and their versions ------------------------------------------------------------


class Standard(SQLModel, table=True):
    """An occupation's standard, across its versions. Listing fields mirror the latest version.

    ``body_id`` is the standard's keeper: the one standards body whose drafts may change it. A
    registrar assigns or transfers it (``services.stewardship``); a corpus loads unassigned.
    """

    code: str = Field(primary_key=True, max_length=16)
    body_id: str | None = Field(default=None, foreign_key="body.id", max_length=64, index=True)
    title: str = Field(max_length=500)
    title_en: str = Field(default="", max_length=500)
    sector: str = Field(max_length=64, index=True)
    standard_type: str = Field(max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class StandardVersion(SQLModel, table=True):
    """One published version: exact source bytes, their sha256, the parsed document, and facts.

    Only facts are stored: the dates the document states (``effective_from``, ``effective_until``:
    its first and last day, inclusive, or None where it states none), when it was published, and
    when and why a registrar withdrew it. Its standing on a day (in force, superseded...) is
    derived from these by ``registry.lifecycle``, never stored.
    """

    __tablename__ = "standard_version"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_version_code_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(foreign_key="standard.code", max_length=16, index=True)
    version: str = Field(max_length=16)
    major: int
    minor: int
    sha256: str = Field(max_length=64, index=True)
    source: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    effective_from: date | None = None
    effective_until: date | None = None
    published_at: datetime = Field(default_factory=utcnow)
    published_by: str = Field(max_length=254)
    bump_reason: str | None = None  # why a smaller version bump than the diff suggests was accepted
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None


class IssuedFile(SQLModel, table=True):
    """The ledger of files the registry issued for a published version: every file it served
    (PDF, HTML, CSV, CASE JSON, JSON...), by the sha256 of its exact bytes, so that anyone holding
    a downloaded file can check it is genuine (``/verify``). Append-only: rows are never changed.
    The YAML source needs no row: its sha256 is the version's own."""

    __tablename__ = "issued_file"

    sha256: str = Field(primary_key=True, max_length=64)
    version_id: int = Field(foreign_key="standard_version.id", index=True)
    format: str = Field(max_length=40)
    lang: str | None = Field(default=None, max_length=20)
    #: the standing the file prints (``Standing.key()``), empty for formats that print none
    standing: str = Field(default="", max_length=300)
    issued_at: datetime = Field(default_factory=utcnow)
    #: the level (and direction) a level file covers (``L3``, ``junior/cv``); None for a whole version
    scope: str | None = Field(default=None, max_length=200)


# --- drafts and review ----------------------------------------------------------------------


class Draft(SQLModel, table=True):
    """A proposed version under review. ``revision`` grows with every edit (the ETag).

    ``status`` is one of ``registry.lifecycle.DRAFT_STATES``."""

    id: int | None = Field(default=None, primary_key=True)
    body_id: str = Field(foreign_key="body.id", max_length=64, index=True)
    code: str = Field(max_length=16, index=True)
    version: str = Field(max_length=16)
    source: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DRAFT, max_length=20, index=True)
    revision: int = 1
    created_by: str = Field(max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_version_id: int | None = Field(default=None, foreign_key="standard_version.id")


class ReviewComment(SQLModel, table=True):
    __tablename__ = "review_comment"

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    author: str = Field(max_length=254)
    body: str
    path: str | None = Field(default=None, max_length=500)  # JSON path the comment is about
    created_at: datetime = Field(default_factory=utcnow)


# --- history -----------------------------------------------------------------------------------


class AuditEvent(SQLModel, table=True):
    """Append-only audit trail: who did what, when, from which state to which.

    The database refuses UPDATE and DELETE of its rows (triggers, migration 3c5d0f2a8e61). Ids are
    handed out in commit order (see ``ChangeLog``).
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_code_id", "code", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=254)
    action: str = Field(max_length=40)
    code: str | None = Field(default=None, max_length=16)
    version: str | None = Field(default=None, max_length=16)
    draft_id: int | None = None
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ChangeLog(SQLModel, table=True):
    """Ordered log of changes to what is published; derived stores (the search index) replay it.

    Written in the same transaction as the change itself, so a cache that has applied every
    entry up to ``seq`` is exactly as current as the catalog was at that entry.

    Invariant (relied on by every reader paging with ``seq > after``): ``seq`` order is commit
    order. An entry with a larger ``seq`` was committed after every entry with a smaller one, so
    once a reader has seen ``seq`` N, no entry with ``seq`` <= N can appear later; gaps (rolled-back
    transactions) stay gaps forever. It holds because rows are inserted only through
    ``registry.db.append_in_commit_order``: as the last statements before the commit, under a lock
    held until the commit (a PostgreSQL advisory transaction lock; on SQLite the write lock).
    ``AuditEvent.id`` has the same guarantee.
    """

    __tablename__ = "change_log"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    op: str = Field(max_length=20)  # "publish" | "withdraw" ("supersede" in catalogs of earlier releases)
    code: str = Field(max_length=16)
    version: str = Field(max_length=16)
    version_id: int = Field(foreign_key="standard_version.id")


# --- web sign-in: rate-limit counters and sessions ---------------------------------------------------


class SignInCounter(SQLModel, table=True):
    """Failed sign-ins under one key (an account, an address, or both) within the current window.

    The rate limit's shared state: one row per key, counted with one atomic upsert, so processes on
    several machines see the same count. Rows whose window has passed are deleted, so failed
    sign-ins never grow a table (they are logged, not audited).
    """

    __tablename__ = "sign_in_counter"

    key: str = Field(primary_key=True, max_length=64)  # sha256 of scope and value: no e-mail in clear
    failures: int = 0
    window_start: datetime = Field(default_factory=utcnow, index=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser session. The cookie holds a random id; only its SHA-256 is stored.

    Signing out deletes the row, so a copy of the cookie stops working everywhere at once.
    """

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
