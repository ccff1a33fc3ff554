"""Who is acting, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Forbidden
from ..models import ROLE_ADMIN, ROLE_BODY_MEMBER, ROLE_REGISTRAR


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    body_id: str | None = None

    @property
    def is_registrar(self) -> bool:
        return self.role in (ROLE_REGISTRAR, ROLE_ADMIN)

    def require_registrar(self) -> None:
        if not self.is_registrar:
            raise Forbidden("only registrars may do this")

    def require_body(self, body_id: str) -> None:
        """Only members of ``body_id`` may edit its drafts."""
        if not (self.role == ROLE_BODY_MEMBER and self.body_id == body_id):
            raise Forbidden(f"only members of body {body_id!r} may do this")


#: the identity of the command line's corpus loader in the audit trail
SYSTEM = Actor("system:loader", ROLE_ADMIN)
