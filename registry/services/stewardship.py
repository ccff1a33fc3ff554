"""Who keeps a standard: the one standards body whose drafts may change it.

A registrar assigns a standard to a body, or transfers it to another (audited). A standard loaded
from a corpus starts without a keeper and accepts no drafts until a registrar assigns it; a new
standard published from a body's draft is kept by that body (``catalog.publish``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import select

from ..errors import Forbidden, NotFound
from ..models import Body, Standard
from . import events
from .audit import record
from .context import Actor
from .events import emit_after_commit


def assign(session: Session, code: str, body_id: str, actor: Actor) -> Standard:
    """Make ``body_id`` the keeper of ``code``, inside a write transaction (a no-op when it already is)."""
    actor.require_registrar()
    standard = session.exec(select(Standard).where(Standard.code == code).with_for_update()
                            .execution_options(populate_existing=True)).first()
    if standard is None:
        raise NotFound(f"no standard with code {code!r}")
    if session.get(Body, body_id) is None:
        raise NotFound(f"no standards body {body_id!r}", details={"field": "body"})
    previous = standard.body_id
    if previous != body_id:
        standard.body_id = body_id
        session.add(standard)
        record(session, actor, "assign", code=code, details={"keeper": body_id, "previous": previous})
        emit_after_commit(session, events.keeper_assigned, code=code, keeper=body_id)
    return standard


def list_bodies(session: Session) -> list[Body]:
    """Every standards body, by id (the choices of a keeper)."""
    return list(session.exec(select(Body).order_by(Body.id)))


def check_may_draft(session: Session, code: str, body_id: str | None) -> None:
    """A body may draft a new standard, or one it keeps; any other is refused, naming why."""
    standard = session.get(Standard, code)
    if standard is None or standard.body_id == body_id:
        return
    if standard.body_id is None:
        raise Forbidden(f"standard {code} has no keeper yet: a registrar must assign it to your body before it "
                        "accepts drafts", details={"code": code, "keeper": None})
    keeper = session.get(Body, standard.body_id)
    name = f"{keeper.name} ({keeper.id})" if keeper is not None else standard.body_id
    raise Forbidden(f"standard {code} is kept by {name}: only that body's drafts may change it",
                    details={"code": code, "keeper": standard.body_id})
