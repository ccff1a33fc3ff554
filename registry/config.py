"""Configuration: documented defaults, overridden by ``REGISTRY_*`` environment variables.

Every setting is listed here with its default and meaning; README's configuration table is
checked against this module by the tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _flag(raw: str) -> int:
    """1 or 0, from 1/0, true/false, yes/no, on/off."""
    return 0 if raw.strip().lower() in ("0", "false", "no", "off") else 1


#: name -> (default, converter, description)
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DATA_DIR": ("instance", str, "Folder for local state: the SQLite catalog and the search index."),
    "EXPORTS_DIR": ("exports", str, "Folder for rendered exports (a cache, rebuildable from the catalog)."),
    "DATABASE_URL": ("", str, "SQLAlchemy URL of the catalog; empty means sqlite:///<DATA_DIR>/registry.sqlite3. "
                              "Use postgresql+psycopg://user@host/db for PostgreSQL."),
    "STANDARDS_DIR": ("standards", str, "Corpus loaded by `registry serve` and `registry load` without arguments."),
    "MAX_UPLOAD_BYTES": (4 * 1024 * 1024, int, "Largest request body accepted (413 beyond)."),
    "BASE_URL": ("http://127.0.0.1:5000", str, "Public address of the registry, used in permalinks."),
    "SQLITE_BUSY_TIMEOUT_MS": (30000, int, "How long a SQLite writer waits for the write lock before failing."),
    "PG_LOCK_TIMEOUT_MS": (30000, int, "PostgreSQL lock_timeout: how long a statement waits for a lock before the "
                                       "request fails with 503 (0: forever). Migrations are exempt."),
    "PG_STATEMENT_TIMEOUT_MS": (60000, int, "PostgreSQL statement_timeout: the longest a statement may run before "
                                            "the request fails with 503 (0: no limit). Migrations are exempt."),
    "TIMEZONE": ("Asia/Shanghai", str, "Time zone whose calendar day is 'today' for which version is in force "
                                       "(an IANA name, e.g. Asia/Shanghai or UTC)."),
    "LOG_LEVEL": ("INFO", str, "Logging level of the application."),
    "SECRET_KEY": ("", str, "Key signing session cookies and CSRF tokens; empty means a random key kept in "
                            "<DATA_DIR>/secret_key, shared by this machine's processes. Set the same value on "
                            "every machine when several serve the registry."),
    "TRUSTED_PROXIES": (0, int, "How many reverse proxies in front of the app set X-Forwarded-For/-Proto; the "
                                "client address (sign-in rate limits) and HTTPS are read from them only when > 0."),
    "RENDER_TIMEOUT": (60.0, float, "Seconds a PDF render may take before it is stopped (422 render_failed)."),
    "RENDER_MEMORY_MB": (2048, int, "Address-space limit of the PDF render process, in MB."),
    "RENDER_WARM": (1, int, "1: each app process starts a warm PDF renderer, so the first PDF pays no cold start."),
    "FONTS_CACHE": ("", str, "Folder where `scripts/prepare-fonts` (make install) keeps each build of the PDF fonts "
                             "for the machine's other checkouts; empty means $XDG_CACHE_HOME/registry-fonts "
                             "(~/.cache/registry-fonts), 'off' keeps none."),
    "SEARCH_CHECK_ON_START": (1, _flag, "1: each app process checks its search index at start (rebuilding it "
                                        "when missing or damaged); 0 (or false): at its first search."),
    "SEARCH_CATCH_UP_MS": (200, int, "Milliseconds between two looks at the catalog's change log by each "
                                     "process's search index."),
    "WATCH_INTERVAL": (5.0, float, "Seconds between two looks of each app process for a new day (a version "
                                   "coming into force) and for other machines' publications, to refresh the "
                                   "exports folder's plain copies; 0 turns the watcher off."),
    "FAULT_PUBLISH_DELAY": (0.0, float, "Test-only fault injection: seconds to sleep inside the publish transaction."),
    "FAULT_PUBLISH_POINT": ("versions", str, "Test-only: where FAULT_PUBLISH_DELAY holds the publish open: "
                                             "'versions' (the version rows written), 'commit' (every row "
                                             "written, just before COMMIT) or 'committed' (just after COMMIT, "
                                             "before what it causes)."),
}

PREFIX = "REGISTRY_"


def load_config(environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> dict:
    """Return the effective configuration: defaults < environment < explicit overrides."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for name, (default, convert, _) in SETTINGS.items():
        raw = environ.get(PREFIX + name)
        config[name] = convert(raw) if raw not in (None, "") else default
    config.update(overrides or {})
    return config


def database_url(config: Mapping[str, Any]) -> str:
    """The catalog's URL: the configured one, or the embedded SQLite file in DATA_DIR."""
    if config.get("DATABASE_URL"):
        return str(config["DATABASE_URL"])
    path = Path(config["DATA_DIR"]).resolve() / "registry.sqlite3"
    return f"sqlite:///{path}"
