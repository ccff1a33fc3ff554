"""The Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from .clock import Clock, clock_from_config
from .config import load_config
from .db import engine_from_config


def create_app(test_config: Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    """The registry as a WSGI app. ``clock``: what day it is (default: the real clock in
    ``REGISTRY_TIMEZONE``); tests pass one they can move."""
    app = Flask(__name__, instance_relative_config=False)
    config = load_config(overrides=test_config)
    app.config.update({f"REGISTRY_{k}": v for k, v in config.items()})
    app.config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_BYTES"]
    app.config["JSON_SORT_KEYS"] = False
    logging.basicConfig(level=config["LOG_LEVEL"])
    # Alembic's INFO lines (plugins set up, the DDL mode) come with every check of the schema at start;
    # a migration is announced by the command that runs it (`registry serve`, `registry db upgrade`).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # One engine per application (per process), made here, never at import time.
    engine = engine_from_config(config)
    app.extensions["registry.engine"] = engine
    app.extensions["registry.clock"] = clock or clock_from_config(config)
    _bring_catalog_current(engine)
    _connect_receivers(app, engine, config)

    from .api.requests import limit_streamed_bodies

    limit_streamed_bodies(app)  # first: before any hook or route reads the body
    from .api import bp as api_bp
    from .api import lint as _lint_route  # noqa: F401  (adds POST /lint to the api blueprint)
    from .api import search as _search_route  # noqa: F401  (adds GET /search to the api blueprint)
    from .api.case import bp as case_bp
    from .api.errors import register_error_handlers

    app.register_blueprint(api_bp)
    app.register_blueprint(case_bp)

    from .web import bp as web_bp

    app.register_blueprint(web_bp)
    if config["RENDER_WARM"] and not app.testing:
        from .render.worker import start_warm_worker

        start_warm_worker(timeout=config["RENDER_TIMEOUT"], memory_mb=config["RENDER_MEMORY_MB"])
    register_error_handlers(app)
    from .search.service import init_app as init_search

    init_search(app)  # checks the search index (rebuilt in the background when missing) and keeps it current
    return app


#: the modules create_app imports as it runs (lazily, so that importing this module stays light): a
#: server's master imports them before it forks its workers (registry.serving.on_starting)
SERVED_MODULES = ("registry.api", "registry.api.case", "registry.api.errors", "registry.api.lint",
                  "registry.api.requests", "registry.api.search", "registry.migrate", "registry.render.worker",
                  "registry.search.service", "registry.services.exports", "registry.services.plain_copies",
                  "registry.services.watcher", "registry.web")


def _connect_receivers(app: Flask, engine: Engine, config: Mapping[str, Any]) -> None:
    """What follows a change of standing in this process (``services.events``); and, outside tests,
    the watcher that notices new days and other machines' changes (``REGISTRY_WATCH_INTERVAL``)."""
    from .services import exports, plain_copies, watcher

    folder = exports.folder(config["EXPORTS_DIR"])
    # kept on the app: the signals hold receivers weakly, so they live as long as the app
    receivers = app.extensions["registry.receivers"] = [plain_copies.connect(engine, folder)]
    if config["FAULT_PUBLISH_DELAY"]:
        from .services import faults

        receivers.append(faults.hold_publications(engine, config["FAULT_PUBLISH_DELAY"],
                                                  config["FAULT_PUBLISH_POINT"]))
    if config["WATCH_INTERVAL"] > 0:
        since = plain_copies.seen(folder)  # resume where the exports folder's copies were last made right
        app.extensions[watcher.EXTENSION] = watcher.StandingWatcher(engine, app.extensions["registry.clock"],
                                                                    config["WATCH_INTERVAL"], since_seq=since.seq,
                                                                    since_day=since.day)
        app.extensions[watcher.EXTENSION].start()


def _bring_catalog_current(engine: Engine) -> None:
    """Create or migrate the catalog, so that a fresh data directory just works (`flask run`).

    Safe when many processes start at once (one migrates, the others wait and find it current);
    when the catalog is current it costs one query.
    """
    from .migrate import upgrade

    try:
        upgrade(engine)
    except OperationalError as exc:
        raise RuntimeError(f"cannot open or migrate the catalog at {engine.url!r}: {exc.orig}") from exc
