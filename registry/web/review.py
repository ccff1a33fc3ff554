"""Pages for registrars under /review/: the queue, comments, request changes, approve, publish, withdraw."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import read_session, write_session
from ..errors import BadRequest, Conflict, NotFound, RegistryError
from ..lifecycle import APPROVED, CHANGES_REQUESTED, SUBMITTED
from ..services import catalog, reviewing, standing, stewardship
from ..services import drafts as service
from .auth import current_actor, login_required
from .common import CODE, VERSION_NAME, clock, engine, register_error_pages, status_of

bp = Blueprint("review", __name__, url_prefix="/review")
register_error_pages(bp)


@bp.get("/")
@login_required(registrar=True)
def queue():
    """Drafts waiting for a registrar: submitted first, then approved ones to publish."""
    with read_session(engine()) as session:
        rows = service.list_drafts(session, current_actor())
    groups = [(SUBMITTED, [d for d in rows if d.status == SUBMITTED]),
              (APPROVED, [d for d in rows if d.status == APPROVED]),
              (CHANGES_REQUESTED, [d for d in rows if d.status == CHANGES_REQUESTED])]
    return render_template("web/review/queue.html", groups=groups)


def _draft_page(draft_id: int, *, error: RegistryError | None = None):
    """The review page; with the refusal of an action when there was one (its status from the error table)."""
    with read_session(engine()) as session:
        review = reviewing.draft_review(session, draft_id, current_actor())
    draft, base = review.draft, review.base
    page = render_template("web/review/draft.html", draft=draft, comments=review.comments, base=base,
                           diff=review.diff, suggested=review.suggested, sufficient=review.sufficient,
                           error=error.message if error else None, doc=draft.document,
                           old_doc=base.document if base else None)
    return page, status_of(error) if error else 200


@bp.get("/drafts/<int:draft_id>")
@login_required(registrar=True)
def draft(draft_id: int):
    """A draft under review: its diff with the version in force, the suggested bump, comments, actions."""
    return _draft_page(draft_id)


def _act(draft_id: int, action, done: str):
    try:
        with write_session(engine()) as session:
            action(session)
    except (BadRequest, Conflict) as error:  # a refusal the registrar can act on: shown on the draft's page
        return _draft_page(draft_id, error=error)
    flash(done)
    return redirect(url_for("review.draft", draft_id=draft_id))


@bp.post("/drafts/<int:draft_id>/comment")
@login_required(registrar=True)
def comment(draft_id: int):
    body = request.form.get("body", "")[:10000]
    return _act(draft_id, lambda s: service.add_comment(s, draft_id, current_actor(), body), _("Comment added."))


@bp.post("/drafts/<int:draft_id>/request-changes")
@login_required(registrar=True)
def request_changes(draft_id: int):
    body = request.form.get("body", "")[:10000].strip() or None
    return _act(draft_id, lambda s: service.request_changes(s, draft_id, current_actor(), body),
                _("Changes requested."))


@bp.post("/drafts/<int:draft_id>/approve")
@login_required(registrar=True)
def approve(draft_id: int):
    return _act(draft_id, lambda s: service.approve(s, draft_id, current_actor()), _("Approved."))


@bp.post("/drafts/<int:draft_id>/publish")
@login_required(registrar=True)
def publish(draft_id: int):
    reason = request.form.get("bump_reason", "")[:2000].strip() or None
    published = {}

    def run(session):
        result = service.publish_draft(session, draft_id, current_actor(), bump_reason=reason)
        published.update(code=result.version.code, version=result.version.version)

    response = _act(draft_id, run, _("Published."))
    if published:
        return redirect(url_for("web.download", code=published["code"], name=published["version"]))
    return response


@bp.route("/standards/<code>/<version>/withdraw", methods=["GET", "POST"])
@login_required(registrar=True)
def withdraw(code: str, version: str):
    """Withdraw a version, with a reason that is shown on its page, its PDF and the feed."""
    if not (CODE.match(code) and VERSION_NAME.match(version)):
        raise NotFound(f"no version {version!r} of standard {code!r}")
    problem: RegistryError | None = None
    if request.method == "POST":
        reason = request.form.get("reason", "")[:2000].strip()
        try:
            if not reason:
                raise BadRequest(_("Give the reason for the withdrawal."))
            with write_session(engine()) as session:
                catalog.withdraw(session, code, version, current_actor(), reason)
        except (BadRequest, Conflict) as error:
            problem = error
        else:
            flash(_("Withdrawn."))
            return redirect(url_for("web.download", code=code, name=version))
    with read_session(engine()) as session:
        row = catalog.get_version(session, code, version)
        now = standing.history(session, code, clock()).standing(version)
    page = render_template("web/review/withdraw.html", version=row, doc=row.document, standing=now,
                           error=problem.message if problem else None)
    return page, status_of(problem) if problem else 200


@bp.route("/standards/<code>/keeper", methods=["GET", "POST"])
@login_required(registrar=True)
def keeper(code: str):
    """Assign a standard to the standards body that keeps it, or transfer it to another (audited)."""
    if not CODE.match(code):
        raise NotFound(f"no standard with code {code!r}")
    problem: RegistryError | None = None
    if request.method == "POST":
        body_id = request.form.get("body", "")[:64].strip()
        try:
            if not body_id:
                raise BadRequest(_("Choose a standards body."), details={"field": "body"})
            with write_session(engine()) as session:
                stewardship.assign(session, code, body_id, current_actor())
        except (BadRequest, Conflict, NotFound) as error:
            problem = error
        else:
            flash(_("The keeper is recorded."))
            return redirect(url_for("web.standard", code=code))
    with read_session(engine()) as session:
        found = catalog.get_standard(session, code)
        bodies = stewardship.list_bodies(session)
    page = render_template("web/review/keeper.html", standard=found, bodies=bodies,
                           error=problem.message if problem else None)
    return page, status_of(problem) if problem else 200
