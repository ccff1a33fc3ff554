"""Everything the web pages need from the application: proxies, secret key, cookies, CSRF, headers, languages.

Called once per application by :func:`registry.web.init_app`.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from ..services import browser_sessions
from .common import http_error_page

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "registry_lang"
LANG_COOKIE_AGE = int(timedelta(days=365).total_seconds())
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

#: pages: scripts and styles from this origin only, no inline script, no framing
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

#: set on every response that has not set its own (lower-case name, name, value)
SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
))

_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))

csrf = CSRFProtect()
babel = Babel()


def secret_key(config) -> str:
    """REGISTRY_SECRET_KEY, else a key kept in DATA_DIR/secret_key (created once, shared by processes)."""
    configured = config.get("REGISTRY_SECRET_KEY") or os.environ.get("REGISTRY_SECRET_KEY")
    if configured:
        return str(configured)
    folder = Path(config["REGISTRY_DATA_DIR"]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        # write a temporary file, then link it into place: the first process wins, the others read its key
        tmp = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def select_locale() -> str:
    """?lang= (links that work without cookies or scripts), the language cookie, the browser's, English."""
    for chosen in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def remember_language(response, chosen: str) -> None:
    """The language choice outlives the session: a year-long cookie of its own, readable by every process."""
    response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=_secure(current_app))


def _secure(app: Flask) -> bool:
    """Cookies are Secure when the registry's address is https, or this request came over HTTPS
    (behind trusted proxies, as X-Forwarded-Proto says through ProxyFix)."""
    return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, with the Secure flag decided per request (see :func:`_secure`).

    A request without the cookie (downloads, the API, most readers) gets an empty session without
    building the signing serializer, and an untouched empty session is not saved: Flask does both
    work on every request, a measurable share of a cached PDF download (benchmarks/RESULTS.md).
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return _secure(app)

    def open_session(self, app: Flask, request):
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def _is_page(response) -> bool:
    """A rendered page, in the negotiated language (not the API, static files or downloaded files)."""
    return not response.direct_passthrough and response.mimetype == "text/html" \
        and not request.path.startswith(("/api/", "/ims/", "/static/"))


def init_app(app: Flask) -> None:
    https = urlsplit(app.config.get("REGISTRY_BASE_URL", "")).scheme == "https"
    proxies = int(app.config.get("REGISTRY_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # the client's address (sign-in limits) and scheme (Secure cookies) from that many proxies'
        # X-Forwarded-For/-Proto; without trusted proxies these headers are anyone's to forge
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.config["SECRET_KEY"] = secret_key(app.config)
    app.config.update(
        SESSION_COOKIE_NAME="registry_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        # a sign-in lasts at most this long; the server-side session row expires with it
        PERMANENT_SESSION_LIFETIME=browser_sessions.LIFETIME,
        # the API authenticates with Authorization headers only; pages are protected in _csrf below
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE,
    )
    app.config.setdefault("MAX_FORM_MEMORY_SIZE", app.config.get("MAX_CONTENT_LENGTH"))
    app.config.setdefault("MAX_FORM_PARTS", 100)
    app.session_interface = _SessionInterface()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.extensions["registry.error_page"] = http_error_page  # see registry.api.errors

    @app.before_request
    def _csrf():
        # every form outside /api/ that changes anything carries the session's CSRF token (reads,
        # which Flask-WTF would let through anyway, skip the call: downloads stay cheap)
        # (a request no route takes, a 404 or a 405 with its Allow header, is answered as such first)
        if request.method not in _SAFE_METHODS and not request.path.startswith(("/api/", "/ims/")) \
                and request.routing_exception is None:
            csrf.protect()

    @app.after_request
    def _headers(response):
        headers = response.headers
        # one pass over the headers (setdefault scans them three times per header: on a cached
        # download this hook was a third of the registry's own cost)
        present = {name.lower() for name in headers.keys()}
        for lower, name, value in SECURITY_HEADERS:
            if lower not in present:
                headers.add(name, value)
        if https or request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # (the session is read only when its cookie came: reading it adds "Vary: Cookie" to downloads too)
        signed_in = app.config["SESSION_COOKIE_NAME"] in request.cookies and session.get("sid") is not None
        if signed_in and "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-store"  # signed-in pages are not cached by proxies
        if _is_page(response):
            # the language comes from these headers: a shared cache must keep one copy per language
            response.vary.update(("Accept-Language", "Cookie"))
            if request.args.get("lang") in LANGUAGES and response.status_code < 300:
                remember_language(response, request.args["lang"])  # a page read with ?lang=
        return response


def is_local_path(target: str | None) -> bool:
    r"""True only for a path on this site (``/x?y``), safe to redirect to.

    Browsers and Werkzeug are lenient: they drop tabs and newlines (``/\t/evil`` becomes
    ``//evil``, another host), read ``\`` as ``/`` and fold look-alike characters. So anything
    unusual is refused rather than cleaned: control characters, whitespace, backslashes, a second
    leading slash, a scheme or a host, in the target as given, after Unicode normalisation, and
    (for the path) after percent-decoding.
    """
    if not target or len(target) > 2048:
        return False
    for candidate in {target, unicodedata.normalize("NFKC", target)}:
        if any(unicodedata.category(c)[0] in "CZ" for c in candidate):  # controls, format chars, spaces
            return False
        parts = urlsplit(candidate)
        path = unquote(parts.path)
        if parts.scheme or parts.netloc or "\\" in candidate or "\\" in path:
            return False
        if not (candidate.startswith("/") and path.startswith("/")) or candidate.startswith("//") \
                or path.startswith("//") or any(unicodedata.category(c)[0] in "CZ" for c in path):
            return False
    return True


def base_url() -> str:
    return current_app.config["REGISTRY_BASE_URL"]
