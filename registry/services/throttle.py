"""Sign-in rate limits whose state every process shares: failure counters in the catalog.

Three limits, each over a fixed window that starts at a key's first counted attempt:

* one account from one address, ``PAIR_LIMIT`` (5): someone mistyping, or one attacker on one account;
* one account from any address, ``ACCOUNT_LIMIT`` (20): a guess at one account spread over many
  addresses. Strangers can lock a person out this way, but only for one window and only after
  this many guesses, which is why it is larger than the pair limit;
* one address against any accounts, ``ADDRESS_LIMIT`` (30): password spraying. IPv6 addresses
  count per /64, the block one subscriber usually gets.

An attempt is counted *before* its password is checked, with one atomic upsert per key (INSERT ...
ON CONFLICT DO UPDATE ... RETURNING) in a transaction that commits before Argon2 runs. Concurrent
attempts, from any number of processes and machines, therefore each see a distinct count and at
most the limit of them are ever checked; no lock is held while a password is hashed. A successful
sign-in gives its attempt back. Keys are hashed (no e-mail address is stored), and rows whose window
has passed are deleted, so the table holds at most the keys of one window.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..errors import TooManyAttempts
from ..models import SignInCounter, utcnow

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
ACCOUNT_LIMIT = 20
ADDRESS_LIMIT = 30
#: expired rows deleted per sign-in attempt (enough to keep up with any rate of new keys)
PRUNE_BATCH = 200

_TABLE = SignInCounter.__table__  # type: ignore[attr-defined]


def address_key(address: str) -> str:
    """The part of a client address that identifies a client: the address, or an IPv6 /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def limits(email: str, address: str) -> list[tuple[str, int]]:
    """(hashed key, limit) for one attempt, sorted by key: every transaction locks rows in this order."""
    client = address_key(address)
    keys = [(f"pair\0{email}\0{client}", PAIR_LIMIT), (f"account\0{email}", ACCOUNT_LIMIT),
            (f"address\0{client}", ADDRESS_LIMIT)]
    return sorted((hashlib.sha256(key.encode()).hexdigest(), limit) for key, limit in keys)


def count_attempt(session: Session, email: str, address: str) -> None:
    """Count one attempt under each key; refuse it when any key is over its limit.

    :raises TooManyAttempts: with ``details["retry_after"]`` (seconds); the caller's transaction
        then rolls back, so a refused attempt counts nowhere
    """
    now = utcnow()
    refused_until: datetime | None = None
    for key, limit in limits(email, address):
        failures, started = _increment(session, key, now)
        if failures > limit:
            ends = started + WINDOW
            refused_until = max(refused_until or ends, ends)
    if refused_until is not None:
        wait = max(1, math.ceil((refused_until - now).total_seconds()))
        raise TooManyAttempts("too many failed sign-ins; try again later", details={"retry_after": wait})


def _increment(session: Session, key: str, now: datetime) -> tuple[int, datetime]:
    """Add one to a key's count (starting a new window when the old one has passed), atomically."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(_TABLE)
    stamp = literal(now, type_=_TABLE.c.window_start.type)
    expired = _TABLE.c.window_start < literal(now - WINDOW, type_=_TABLE.c.window_start.type)
    statement = insert.values(key=key, failures=1, window_start=now).on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={"failures": case((expired, 1), else_=_TABLE.c.failures + 1),
              "window_start": case((expired, stamp), else_=_TABLE.c.window_start)},
    ).returning(_TABLE.c.failures, _TABLE.c.window_start)
    failures, started = session.execute(statement).one()
    return failures, started


def give_back(session: Session, email: str, address: str) -> None:
    """Uncount the attempt of a successful sign-in (key by key, in the same order as counting)."""
    for key, _ in limits(email, address):
        session.execute(update(_TABLE).where(_TABLE.c.key == key, _TABLE.c.failures > 0)
                        .values(failures=_TABLE.c.failures - 1))


def prune(session: Session) -> None:
    """Delete rows whose window has passed. Rows another transaction holds are skipped (SKIP LOCKED on
    PostgreSQL), so pruning never waits for, nor deadlocks with, a sign-in."""
    cutoff = literal(utcnow() - WINDOW, type_=_TABLE.c.window_start.type)
    stale = (select(_TABLE.c.key).where(_TABLE.c.window_start < cutoff).limit(PRUNE_BATCH)
             .with_for_update(skip_locked=True))
    session.execute(delete(_TABLE).where(_TABLE.c.key.in_(stale.scalar_subquery())))
