"""Pages for standards bodies under /portal/: drafts and their checks (every problem where it is), the
version number their changes need, starting the next version of a published one, review comments."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import read_session, write_session
from ..errors import Conflict, PreconditionFailed
from ..services import authoring
from ..services import drafts as service
from .auth import current_actor, login_required
from .common import clock, engine, register_error_pages, status_of
from .problems import problems

bp = Blueprint("portal", __name__, url_prefix="/portal")
register_error_pages(bp)


@bp.app_context_processor
def _next_numbers():
    """``next_number`` for the "Start a new version" buttons of the standard's page."""
    from ..next_edition import next_number

    return {"next_number": next_number}


def _source_from_form() -> bytes:
    """The YAML of a form: the uploaded file when there is one, else the pasted text."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read()
    return request.form.get("source", "").replace("\r\n", "\n").encode("utf-8")


def _tools():
    """What checking a text needs: the catalog, the registry's clock and this process's lint corpus."""
    from ..api.lint import corpus_cache

    return engine(), clock(), corpus_cache()


def _edit_page(draft_id: int | None, source: bytes, checked=None, *, etag: str = "", succession=None,
               stale: bool = False) -> str:
    """The draft form; with the problems of the text sent, when it was checked (saved or not)."""
    found = problems(checked.report, checked.source) if checked is not None else None
    if checked is not None and checked.succession is not None:
        succession = checked.succession
    return render_template("web/portal/edit.html", draft_id=draft_id, source=source.decode("utf-8", "replace"),
                           etag=etag, checked=checked, problems=found, succession=succession, stale=stale)


@bp.get("/")
@login_required(body=True)
def drafts():
    with read_session(engine()) as session:
        rows = service.list_drafts(session, current_actor())
    return render_template("web/portal/drafts.html", drafts=rows)


@bp.route("/drafts/new", methods=["GET", "POST"])
@login_required(body=True)
def new_draft():
    """Paste or upload YAML: "Check only" shows every problem where it is; "Check and save" also saves a valid text."""
    if request.method == "GET":
        return _edit_page(None, b"")
    source = _source_from_form()
    if request.form.get("action") == "check":
        return _edit_page(None, source, authoring.check_text(*_tools(), source))
    draft_id, checked = authoring.save_draft(*_tools(), source, current_actor())
    if draft_id is None:
        return _edit_page(None, source, checked), 422
    flash(_("Draft saved. Submit it for review when it is ready."))
    return redirect(url_for("portal.draft", draft_id=draft_id))


@bp.get("/drafts/<int:draft_id>")
@login_required(body=True)
def draft(draft_id: int):
    """A draft with its checks (every problem where it is), the version number its changes need, and its diff."""
    bench = authoring.workbench(*_tools(), draft_id, current_actor())
    row, checked = bench.draft, bench.checked
    return render_template("web/portal/draft.html", draft=row, comments=bench.comments, etag=service.etag(row),
                           problems=problems(checked.report, checked.source), succession=checked.succession,
                           doc=row.document)


@bp.route("/drafts/<int:draft_id>/edit", methods=["GET", "POST"])
@login_required(body=True)
def edit_draft(draft_id: int):
    """Replace a draft's YAML; a stale form (someone saved in between) is refused, not merged."""
    actor = current_actor()
    if request.method == "GET":
        bench = authoring.workbench(*_tools(), draft_id, actor)
        return _edit_page(draft_id, bench.draft.source, etag=service.etag(bench.draft),
                          succession=bench.checked.succession)
    source = _source_from_form()
    etag = request.form.get("etag", "")
    if request.form.get("action") == "check":
        return _edit_page(draft_id, source, authoring.check_text(*_tools(), source, draft_id=draft_id, actor=actor),
                          etag=etag)
    try:
        saved, checked = authoring.save_draft(*_tools(), source, actor, draft_id=draft_id, if_match=etag)
    except PreconditionFailed as error:
        return _edit_page(draft_id, source, etag=etag, stale=True), status_of(error)
    if saved is None:
        return _edit_page(draft_id, source, checked, etag=etag), 422
    flash(_("Draft saved."))
    return redirect(url_for("portal.draft", draft_id=draft_id))


@bp.post("/standards/<code>/<version>/next")
@login_required(body=True)
def next_version(code: str, version: str):
    """The button "Start a new version" of a version's page: a draft of its exact text with the next number."""
    bump = request.form.get("bump", "minor")
    try:
        with write_session(engine()) as session:
            row = service.start_next_version(session, code, version, current_actor(), bump=bump,
                                             today=clock().today())
            draft_id, number, edition = row.id, row.version, row.document["edition"]
    except Conflict as error:
        existing = (error.details or {}).get("draft_id") if isinstance(error.details, dict) else None
        if existing is None:
            raise
        flash(_("Your body already has a draft of version %(v)s: here it is.", v=error.details["version"]), "error")
        return redirect(url_for("portal.draft", draft_id=existing))
    flash(_("Draft of version %(v)s (edition %(edition)s) started from version %(from_v)s. Edit it, check it, then "
            "submit it for review.", v=number, edition=edition, from_v=version))
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
