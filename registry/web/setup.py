"""Everything the web pages need from the application: secret key, cookies, CSRF, headers, languages.

Called once per application by :func:`registry.web.init_app`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "en"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

#: pages: scripts and styles from this origin only, no inline script, no framing
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

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
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    https = urlsplit(app.config.get("REGISTRY_BASE_URL", "")).scheme == "https"
    app.config["SECRET_KEY"] = secret_key(app.config)
    app.config.update(
        SESSION_COOKIE_NAME="registry_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        # the API authenticates with Authorization headers only; pages are protected in _csrf below
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE,
    )
    app.config.setdefault("MAX_FORM_MEMORY_SIZE", app.config.get("MAX_CONTENT_LENGTH"))
    app.config.setdefault("MAX_FORM_PARTS", 100)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _csrf():
        # every form outside /api/ that changes anything carries the session's CSRF token
        if not request.path.startswith("/api/") and not request.path.startswith("/ims/"):
            csrf.protect()

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if session.get("uid") is not None and "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-store"  # signed-in pages are not cached by proxies
        return response


def is_local_path(target: str | None) -> bool:
    """True for a path on this site (``/x``), never ``//host`` or ``https://host``: safe to redirect to."""
    return bool(target) and target.startswith("/") and not target.startswith("//") and "\\" not in target


def base_url() -> str:
    return current_app.config["REGISTRY_BASE_URL"]
