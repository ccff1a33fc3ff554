"""Standards bodies, accounts and API tokens.

A token is ``osr_<public id>_<secret>``. The public id (random, in clear in the catalog) finds the
token's row and names it in listings; the secret (256 random bits) is stored only as a SHA-256
hash and compared in constant time. A fast hash suffices: the secret is random, not a password.
"""

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

TOKEN_PREFIX = "osr_"  # noqa: S105 - the marker every token starts with, not a secret
PUBLIC_ID_BYTES = 6  # 12 hex characters: unique enough to tell tokens apart, never a secret
SECRET_BYTES = 32
#: compared against when no token has the public id, so a miss costs as long as a hit
_NO_SUCH_HASH = "0" * 64


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_label(row: ApiToken) -> str:
    """How listings name a token: its public part, which ``revoke_token`` accepts."""
    return f"{TOKEN_PREFIX}{row.public_id}"


def split_token(token: str) -> tuple[str, str] | None:
    """(public id, secret) of a token, or None when it does not have a token's shape."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    public_id, separator, secret = token[len(TOKEN_PREFIX):].partition("_")
    if not separator or not public_id or not secret:
        return None
    return public_id, secret


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
    public_id, secret = secrets.token_hex(PUBLIC_ID_BYTES), secrets.token_urlsafe(SECRET_BYTES)
    row = ApiToken(account_id=account.id, public_id=public_id, secret_hash=hash_secret(secret))
    session.add(row)
    session.flush()
    record(session, actor, "token-create", details={"token_id": row.id, "account": account.name})
    return f"{TOKEN_PREFIX}{public_id}_{secret}", row


def revoke_token(session: Session, reference: str, actor: Actor = SYSTEM) -> ApiToken:
    """Revoke a token given by its id, by the label ``token list`` shows (``osr_<public id>``), or whole."""
    token = _referenced(session, reference)
    if token is None or token.revoked_at is not None:
        raise NotFound("no active token matches")
    token.revoked_at = utcnow()
    session.add(token)
    record(session, actor, "token-revoke", details={"token_id": token.id})
    return token


def _referenced(session: Session, reference: str) -> ApiToken | None:
    if reference.isdigit():
        return session.get(ApiToken, int(reference)) if int(reference) < 2**31 else None
    parts = split_token(reference)
    if parts is not None:
        return _find(session, *parts)
    if reference.startswith(TOKEN_PREFIX):
        return session.exec(select(ApiToken).where(ApiToken.public_id == reference[len(TOKEN_PREFIX):])).first()
    return None


def list_tokens(session: Session) -> list[tuple[ApiToken, Account]]:
    rows = session.exec(select(ApiToken, Account).where(ApiToken.account_id == Account.id).order_by(ApiToken.id))
    return list(rows)


def authenticate(session: Session, token: str) -> Actor:
    """Return who a bearer token belongs to (found by its public id, its secret's hash compared in
    constant time)."""
    parts = split_token(token)
    row = _find(session, *parts) if parts is not None else None
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid or revoked token")
    account = session.get(Account, row.account_id)
    if account is None or not account.active:
        raise Unauthorized("the token's account is disabled")
    return Actor(account.name, account.role, account.body_id)


def _find(session: Session, public_id: str, secret: str) -> ApiToken | None:
    """The token with this public id whose secret this is, or None."""
    row = session.exec(select(ApiToken).where(ApiToken.public_id == public_id)).first()
    matches = hmac.compare_digest(row.secret_hash if row is not None else _NO_SUCH_HASH, hash_secret(secret))
    return row if row is not None and matches else None
