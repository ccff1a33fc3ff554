"""Standards bodies, accounts and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session
from sqlmodel import select

from ..errors import Conflict, NotFound, Unauthorized
from ..models import ROLE_BODY_MEMBER, ROLE_REGISTRAR, Account, ApiToken, Body, utcnow
from .audit import record
from .context import SYSTEM, Actor

TOKEN_PREFIX = "osr_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_body(session: Session, body_id: str, name: str, actor: Actor = SYSTEM) -> Body:
    if session.get(Body, body_id) is not None:
        raise Conflict(f"body {body_id!r} already exists")
    body = Body(id=body_id, name=name)
    session.add(body)
    record(session, actor, "body-add", details={"body": body_id, "name": name})
    return body


def get_or_create_account(session: Session, name: str, role: str, body_id: str | None = None) -> Account:
    account = session.exec(select(Account).where(Account.name == name)).first()
    if account is None:
        account = Account(name=name, role=role, body_id=body_id)
        session.add(account)
        session.flush()
    elif account.role != role or account.body_id != body_id:
        raise Conflict(f"account {name!r} exists with another role or body")
    return account


def create_token(session: Session, *, body_id: str | None = None, registrar: str | None = None,
                 actor: Actor = SYSTEM) -> tuple[str, ApiToken]:
    """Create a token for a body's service account or for a registrar; return it once, in clear."""
    if (body_id is None) == (registrar is None):
        raise ValueError("give exactly one of body_id and registrar")
    if body_id is not None:
        if session.get(Body, body_id) is None:
            raise NotFound(f"no body {body_id!r}; add it with `registry body add`")
        account = get_or_create_account(session, f"body:{body_id}", ROLE_BODY_MEMBER, body_id)
    else:
        account = get_or_create_account(session, f"registrar:{registrar}", ROLE_REGISTRAR)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(account_id=account.id, token_hash=hash_token(token), prefix=token[:12])
    session.add(row)
    session.flush()
    record(session, actor, "token-create", details={"token_id": row.id, "account": account.name})
    return token, row


def revoke_token(session: Session, token_or_prefix: str, actor: Actor = SYSTEM) -> ApiToken:
    """Revoke a token given in full, by its listed prefix, or by its id."""
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
    if token_or_prefix.isdigit():
        matches = list(session.exec(query.where(ApiToken.id == int(token_or_prefix))))
    elif len(token_or_prefix) > 12:
        matches = list(session.exec(query.where(ApiToken.token_hash == hash_token(token_or_prefix))))
    else:
        matches = list(session.exec(query.where(ApiToken.prefix == token_or_prefix)))
    if len(matches) != 1:
        raise NotFound("no single active token matches" if not matches else "several tokens match; use the id")
    token = matches[0]
    token.revoked_at = utcnow()
    session.add(token)
    record(session, actor, "token-revoke", details={"token_id": token.id})
    return token


def list_tokens(session: Session) -> list[tuple[ApiToken, Account]]:
    rows = session.exec(select(ApiToken, Account).where(ApiToken.account_id == Account.id).order_by(ApiToken.id))
    return list(rows)


def authenticate(session: Session, token: str) -> Actor:
    """Return who a bearer token belongs to. Only hashes are stored; the compare is constant-time."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthorized("invalid token")
    digest = hash_token(token)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    # compare_digest keeps the final check constant-time even though the lookup is by hash
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        raise Unauthorized("invalid or revoked token")
    account = session.get(Account, row.account_id)
    if account is None or not account.active:
        raise Unauthorized("the token's account is disabled")
    return Actor(account.name, account.role, account.body_id)
