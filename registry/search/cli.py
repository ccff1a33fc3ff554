"""``registry reindex``: rebuild the search index from the catalog.

:func:`reindex_command` makes the command for ``registry.cli.main``, which hands it the CLI's way to
open the catalog (so this module never imports ``registry.cli``). Only ``click`` is imported here:
``registry validate`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def reindex_command(catalog: Callable[[], Any]) -> click.Command:
    """The ``reindex`` command; ``catalog()`` gives the catalog's engine, migrated to the current schema."""

    @click.command("reindex")
    @click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                  help="Processes that build index segments in parallel [default: up to 2, one per core].")
    def reindex(jobs: int | None) -> None:
        """Rebuild this machine's search index from the catalog, then swap it in atomically.

        Running app processes keep answering from the previous index until the new one is in place, then
        reopen it; changes published while it builds are replayed from the change log before the swap.
        """
        import logging

        from ..config import load_config
        from .service import reindex as rebuild

        logging.basicConfig(level=logging.WARNING)
        report = rebuild(catalog(), load_config()["DATA_DIR"], procs=jobs)
        click.echo(f"search index rebuilt: {report['documents']} documents up to change {report['seq']} "
                   f"in {report['seconds']:.1f} s with {report['procs']} process(es) at {report['path']}")

    return reindex
