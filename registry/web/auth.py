"""Signing in and out with a password; who is signed in; pages that need a role; the language choice."""

from __future__ import annotations

import time
from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..db import read_session, write_session
from ..errors import RegistryError, TooManyAttempts, Unauthorized
from ..services import browser_sessions, people
from ..services.context import Actor
from .common import engine, register_error_pages, status_of
from .setup import LANGUAGES, is_local_path, remember_language

bp = Blueprint("auth", __name__)
register_error_pages(bp)

#: the signed cookie's last-use time is rewritten at most this often (seconds), not on every request
_SEEN_RESOLUTION = 60


def current_actor() -> Actor | None:
    """The signed-in person, loaded once per request (None when anonymous, signed out, idle or disabled).

    The idle timeout is checked against the last-use time in the signed cookie, which nobody can
    forge and which costs no write per page; the session id is checked against the catalog, so a
    session ended by signing out is over in every process.
    """
    if "actor" not in g:
        g.actor = None
        sid, seen, now = session.get("sid"), session.get("seen"), int(time.time())
        if isinstance(sid, str) and isinstance(seen, int) \
                and now - seen <= browser_sessions.IDLE_TIMEOUT.total_seconds():
            with read_session(engine()) as db:
                account = browser_sessions.account_of(db, sid)
            if account is not None:
                g.actor = Actor(account.name, account.role, account.body_id)
                if now - seen >= _SEEN_RESOLUTION:
                    session["seen"] = now
        if g.actor is None and "sid" in session:
            session.clear()
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


def _refusal(error: RegistryError) -> str:
    """What the sign-in form says about a refusal (the domain messages are for logs and the API)."""
    if isinstance(error, TooManyAttempts):
        minutes = -(-int((error.details or {}).get("retry_after", 900)) // 60)
        return _("Too many failed sign-ins. Try again in %(num)d minutes.", num=minutes)
    return _("Wrong e-mail or password.")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a success starts a fresh session."""
    target = request.values.get("next")
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        try:
            signed_in = people.sign_in(engine(), email, password, request.remote_addr or "?")
        except (TooManyAttempts, Unauthorized) as error:
            wait = isinstance(error, TooManyAttempts)
            headers = {"Retry-After": str(error.details["retry_after"])} if wait else {}
            page = render_template("web/login.html", error=_refusal(error),
                                   next=target if is_local_path(target) else None)
            return page, status_of(error), headers
        session.clear()  # a new session on sign-in: nothing from before carries over
        session.permanent = True  # the cookie ends with the server-side session (PERMANENT_SESSION_LIFETIME)
        session["sid"], session["seen"] = signed_in.session_id, int(time.time())
        flash(_("Signed in."))
        return redirect(target if is_local_path(target) else home_for(current_actor()))
    return render_template("web/login.html", error=None, next=target if is_local_path(target) else None)


@bp.post("/logout")
def logout():
    """End the session on the server too: a copy of the cookie stops working."""
    sid = session.get("sid")
    if isinstance(sid, str):
        with write_session(engine()) as db:
            browser_sessions.end(db, sid)
    session.clear()
    flash(_("Signed out."))
    return redirect(url_for("web.home"))


@bp.route("/lang", methods=["GET", "POST"])
def set_language():
    """Remember the interface language in a year-long cookie, then go back.

    The header's switch is a GET form, so it works without JavaScript and without a session; a
    POST (with the CSRF token, checked for every form) does the same.
    """
    chosen = request.values.get("lang")
    target = request.values.get("next")
    response = redirect(target if is_local_path(target) else url_for("web.home"))
    if chosen in LANGUAGES:
        remember_language(response, chosen)
    return response
