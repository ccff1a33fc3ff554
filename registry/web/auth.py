"""Signing in and out with a password; who is signed in; pages that need a role."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..db import read_session, write_session
from ..services import people
from ..services.context import Actor
from .common import engine, register_error_pages
from .setup import is_local_path

bp = Blueprint("auth", __name__)
register_error_pages(bp)


def current_actor() -> Actor | None:
    """The signed-in person, loaded once per request (None when anonymous or disabled)."""
    if "actor" not in g:
        g.actor = None
        uid = session.get("uid")
        if isinstance(uid, int):
            with read_session(engine()) as db:
                account = people.get_active(db, uid)
            if account is not None:
                g.actor = Actor(account.name, account.role, account.body_id)
            else:
                session.pop("uid", None)
    return g.actor


def login_required(*, registrar: bool = False, body: bool = False):
    """Send anonymous people to /login; refuse (403) people without the role the page needs."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if registrar and not actor.is_registrar:
                abort(403)
            if body and actor.body_id is None:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def home_for(actor: Actor) -> str:
    if actor.is_registrar:
        return url_for("review.queue")
    return url_for("portal.drafts")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a success starts a fresh session."""
    target = request.values.get("next")
    error, status = None, 200
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        try:
            with write_session(engine()) as db:
                account = people.sign_in(db, email, password, request.remote_addr or "?")
                uid = account.id if account else None
        except people.TooManyAttempts:
            error, status = _("Too many failed sign-ins. Try again in 15 minutes."), 429
        else:
            if uid is None:
                error, status = _("Wrong e-mail or password."), 401
            else:
                lang = session.get("lang")
                session.clear()  # a new session on sign-in: nothing from before carries over
                session["uid"] = uid
                if lang:
                    session["lang"] = lang
                flash(_("Signed in."))
                actor = current_actor()
                return redirect(target if is_local_path(target) else home_for(actor))
    response = render_template("web/login.html", error=error, next=target if is_local_path(target) else None)
    headers = {"Retry-After": "900"} if status == 429 else {}
    return response, status, headers


@bp.post("/logout")
def logout():
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Signed out."))
    return redirect(url_for("web.home"))


@bp.post("/lang")
def set_language():
    """Remember the interface language in the session (a form: it works without JavaScript)."""
    from .setup import LANGUAGES

    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    target = request.form.get("next")
    return redirect(target if is_local_path(target) else url_for("web.home"))
