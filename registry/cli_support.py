"""What the commands share: the catalog as the settings describe it, and the registry's clock.

A module of its own so that command modules elsewhere (``registry.lint.cli``, ``registry.search.cli``)
use them without importing the main command group.
"""

from __future__ import annotations

import click


def catalog_engine(migrate: bool = True):
    """The catalog engine from REGISTRY_* settings, migrated to the current schema, with what follows
    a change of standing connected (the exports folder's plain copies: ``services.events``)."""
    from .config import load_config
    from .db import engine_from_config
    from .migrate import upgrade
    from .services import exports, plain_copies

    config = load_config()
    engine = engine_from_config(config)
    context = click.get_current_context()
    context.call_on_close(engine.dispose)
    if migrate:
        upgrade(engine)
    # the signals hold receivers weakly: keep this one for the command's life
    context.meta["registry.receiver"] = plain_copies.connect(engine, exports.folder(config["EXPORTS_DIR"]))
    return engine


def registry_clock():
    """The registry's clock as REGISTRY_TIMEZONE says."""
    from .clock import clock_from_config
    from .config import load_config

    return clock_from_config(load_config())
