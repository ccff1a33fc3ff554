"""Read-only use case behind the review page: a draft with its comments, its diff and the bump it needs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..diff import Diff
from ..models import Draft, ReviewComment, StandardVersion
from . import drafts
from .context import Actor


@dataclass
class DraftReview:
    draft: Draft
    comments: list[ReviewComment]
    base: StandardVersion | None  # the version in force the draft would replace
    diff: Diff | None
    suggested: str | None  # the smallest version number the changes need
    sufficient: bool  # the draft's own version number is at least that


def draft_review(session: Session, draft_id: int, actor: Actor) -> DraftReview:
    """A draft, its comments and its diff with the version in force, with the version bump it needs."""
    draft = drafts.get_draft(session, draft_id, actor)
    comments = drafts.list_comments(session, draft_id, actor)
    found = drafts.succession(session, draft.document)
    return DraftReview(draft, comments, found.base, found.diff, found.required, found.sufficient)

