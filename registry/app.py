"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask

from .config import database_url, load_config
from .db import make_engine


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    config = load_config(overrides=test_config)
    app.config.update({f"REGISTRY_{k}": v for k, v in config.items()})
    app.config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_BYTES"]
    app.config["JSON_SORT_KEYS"] = False
    logging.basicConfig(level=config["LOG_LEVEL"])
    # One engine per application (per process); nothing is connected until the first request.
    app.extensions["registry.engine"] = make_engine(database_url(config),
                                                    busy_timeout_ms=config["SQLITE_BUSY_TIMEOUT_MS"])

    from .api import bp as api_bp
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
    return app
