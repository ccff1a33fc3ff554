"""What the portal shows a standards body while it writes a draft.

Every problem of the text: the validator's (errors: nothing is saved while there is one) and the
linter's findings, near-duplicates looked up among the versions in force (``services.lint_corpus``);
and how the text follows the published version before its number: the diff and the version number
the changes need (``drafts.succession``), so the author sees both before submitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from ..clock import Clock
from ..db import read_session, write_session
from ..errors import InvalidStandard
from ..models import Draft, ReviewComment
from . import drafts
from .context import Actor
from .drafts import Succession
from .lint_corpus import CorpusCache, lint_upload

if TYPE_CHECKING:
    from ..lint.run import LintReport


@dataclass
class Checked:
    """A text with its problems, and (when it is valid) how it follows the published version."""

    source: bytes
    report: LintReport
    succession: Succession | None  # None while the text is not a valid standard


@dataclass
class Workbench:
    """A draft as its author works on it: the draft, its review comments, and its current text checked."""

    draft: Draft
    comments: list[ReviewComment]
    checked: Checked


def check_text(engine: Engine, clock: Clock, cache: CorpusCache, source: bytes, *,
               draft_id: int | None = None, actor: Actor | None = None) -> Checked:
    """Lint a text (nothing is stored) and, when it is valid, compare it with the version it follows.
    With ``draft_id``: a new text for that draft, which ``actor`` must be able to see."""
    if draft_id is not None:
        with read_session(engine) as session:
            drafts.get_draft(session, draft_id, actor)  # NotFound for a draft of another body
    report = lint_upload(engine, clock, source, cache)
    if not report.valid or report.document is None:
        return Checked(source, report, None)
    with read_session(engine) as session:
        return Checked(source, report, drafts.succession(session, report.document.data))


def save_draft(engine: Engine, clock: Clock, cache: CorpusCache, source: bytes, actor: Actor, *,
               draft_id: int | None = None, if_match: str = "") -> tuple[int | None, Checked | None]:
    """Create a draft (``draft_id`` None) or replace its text; ``(draft id, None)`` once saved.

    A text that is not a valid standard is not saved: ``(None, its check)``, every problem at its
    line. Refusals other than invalidity (keeper, state, a stale ``if_match``) are raised as usual.
    """
    try:
        with write_session(engine) as session:
            if draft_id is None:
                saved = drafts.create_draft(session, source, actor)
            else:
                saved = drafts.update_draft(session, draft_id, source, actor, if_match)
            return saved.id, None
    except InvalidStandard:
        return None, check_text(engine, clock, cache, source)


def workbench(engine: Engine, clock: Clock, cache: CorpusCache, draft_id: int, actor: Actor) -> Workbench:
    """A draft with its comments and its current revision checked (lint, diff and version number)."""
    with read_session(engine) as session:
        draft = drafts.get_draft(session, draft_id, actor)
        comments = drafts.list_comments(session, draft_id, actor)
    return Workbench(draft, comments, check_text(engine, clock, cache, draft.source))
