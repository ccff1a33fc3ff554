"""``registry reindex``: rebuild the search index from the catalog (attached to ``registry.cli.main``)."""

from __future__ import annotations

import click


@click.command("reindex")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes that build index segments in parallel [default: up to 2, one per core].")
def reindex(jobs: int | None) -> None:
    """Rebuild the search index from the catalog, then swap it in atomically.

    Running searches keep answering from the previous index until the new one is in place; changes
    published while it builds are replayed from the change log before the swap.
    """
    import logging

    from .cli import _engine
    from .config import load_config
    from .services.search import reindex as rebuild

    logging.basicConfig(level=logging.WARNING)
    config = load_config()
    engine = _engine()
    try:
        report = rebuild(engine, config["DATA_DIR"], procs=jobs)
    finally:
        engine.dispose()
    click.echo(f"search index rebuilt: {report['documents']} documents up to change {report['seq']} "
               f"in {report['seconds']:.1f} s with {report['procs']} process(es) at {report['path']}")
