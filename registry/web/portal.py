"""Pages for standards bodies under /portal/: drafts, YAML upload with errors by line, review comments."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import read_session, write_session
from ..errors import Conflict, InvalidStandard, PreconditionFailed
from ..services import drafts as service
from .auth import current_actor, login_required
from .common import engine, register_error_pages, status_of

bp = Blueprint("portal", __name__, url_prefix="/portal")
register_error_pages(bp)


def _source_from_form() -> bytes:
    """The YAML of a form: the uploaded file when there is one, else the pasted text."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read()
    return request.form.get("source", "").replace("\r\n", "\n").encode("utf-8")


def annotated_lines(source: bytes, issues: list[dict]) -> tuple[list[dict], list[dict]]:
    """The YAML as numbered lines, each with the issues found on it; and the issues with no line."""
    text = source.decode("utf-8", errors="replace")
    lines = [{"number": n, "text": line, "issues": []} for n, line in enumerate(text.split("\n"), start=1)]
    unplaced = []
    for issue in issues:
        line = issue.get("line")
        if isinstance(line, int) and 1 <= line <= len(lines):
            lines[line - 1]["issues"].append(issue)
        else:
            unplaced.append(issue)
    return lines, unplaced


@bp.get("/")
@login_required(body=True)
def drafts():
    with read_session(engine()) as session:
        rows = service.list_drafts(session, current_actor())
    return render_template("web/portal/drafts.html", drafts=rows)



@bp.route("/drafts/new", methods=["GET", "POST"])
@login_required(body=True)
def new_draft():
    """Paste or upload YAML; every validation problem is shown beside its line."""
    if request.method == "GET":
        return render_template("web/portal/edit.html", draft=None, source="", lines=None, unplaced=[])
    source = _source_from_form()
    try:
        with write_session(engine()) as session:
            draft_id = service.create_draft(session, source, current_actor()).id
    except InvalidStandard as error:
        lines, unplaced = annotated_lines(source, error.details or [])
        return render_template("web/portal/edit.html", draft=None, source=source.decode("utf-8", "replace"),
                               lines=lines, unplaced=unplaced, count=len(error.details or [])), status_of(error)
    flash(_("Draft saved. Submit it for review when it is ready."))
    return redirect(url_for("portal.draft", draft_id=draft_id))


@bp.get("/drafts/<int:draft_id>")
@login_required(body=True)
def draft(draft_id: int):
    with read_session(engine()) as session:
        row = service.get_draft(session, draft_id, current_actor())
        comments = service.list_comments(session, draft_id, current_actor())
    return render_template("web/portal/draft.html", draft=row, comments=comments, etag=service.etag(row))


@bp.route("/drafts/<int:draft_id>/edit", methods=["GET", "POST"])
@login_required(body=True)
def edit_draft(draft_id: int):
    """Replace a draft's YAML; a stale form (someone saved in between) is refused, not merged."""
    actor = current_actor()
    if request.method == "GET":
        with read_session(engine()) as session:
            row = service.get_draft(session, draft_id, actor)
        return render_template("web/portal/edit.html", draft=row, source=row.source.decode("utf-8", "replace"),
                               etag=service.etag(row), lines=None, unplaced=[])
    source = _source_from_form()
    etag = request.form.get("etag", "")
    try:
        with write_session(engine()) as session:
            service.update_draft(session, draft_id, source, actor, etag)
    except InvalidStandard as error:
        with read_session(engine()) as session:
            row = service.get_draft(session, draft_id, actor)
        lines, unplaced = annotated_lines(source, error.details or [])
        return render_template("web/portal/edit.html", draft=row, source=source.decode("utf-8", "replace"),
                               etag=etag, lines=lines, unplaced=unplaced, count=len(error.details or [])), \
            status_of(error)
    except PreconditionFailed as error:
        with read_session(engine()) as session:
            row = service.get_draft(session, draft_id, actor)
        return render_template("web/portal/edit.html", draft=row, source=source.decode("utf-8", "replace"),
                               etag=etag, lines=None, unplaced=[], stale=True), status_of(error)
    flash(_("Draft saved."))
    return redirect(url_for("portal.draft", draft_id=draft_id))


@bp.post("/drafts/<int:draft_id>/submit")
@login_required(body=True)
def submit(draft_id: int):
    try:
        with write_session(engine()) as session:
            service.submit(session, draft_id, current_actor())
    except Conflict as error:  # not submittable in its state: say so on the draft's page
        flash(error.message, "error")
    else:
        flash(_("Submitted for review."))
    return redirect(url_for("portal.draft", draft_id=draft_id))


@bp.get("/drafts/<int:draft_id>/compare")
@login_required()
def compare(draft_id: int):
    """The draft against the published version it would replace."""
    actor = current_actor()
    with read_session(engine()) as session:
        row = service.get_draft(session, draft_id, actor)
        base, diff = service.compare_with_published(session, draft_id, actor)
    return render_template("web/portal/compare.html", draft=row, base=base, diff=diff, doc=row.document,
                           old_doc=base.document if base else None)


@bp.get("/drafts/<int:draft_id>/draft.pdf")
@login_required()
def draft_pdf(draft_id: int):
    """The draft as a PDF with the DRAFT watermark on every page (cached privately per revision, never public)."""
    with read_session(engine()) as session:
        row = service.get_draft(session, draft_id, current_actor())
    pdf = render_draft_pdf(row, current_app.config["REGISTRY_BASE_URL"])
    filename = f"{row.code}_v{row.version}_draft{row.id}.{row.revision}.pdf"
    return pdf, 200, {"Content-Type": "application/pdf", "Cache-Control": "private, no-store",
                      "Content-Disposition": f'attachment; filename="{filename}"'}


def render_draft_pdf(draft, base_url: str) -> bytes:
    """Rendered once per revision, then served from a private cache (never the public exports folder)."""
    from pathlib import Path

    from ..services.exports import draft_pdf as cached_draft_pdf

    config = current_app.config
    return cached_draft_pdf(Path(config["REGISTRY_DATA_DIR"]) / "cache" / "drafts", draft, base_url,
                            timeout=config["REGISTRY_RENDER_TIMEOUT"])
