"""What ``registry serve`` does before and as it serves: the catalog made ready, then gunicorn.

:func:`prepare_catalog` brings the catalog to this code's schema, loads ``REGISTRY_STANDARDS_DIR``
and builds the search index when this machine has none, each step with a line saying what it does
and how long it took, so that the app processes start on a ready catalog and index (no rebuild in
every worker, no warning on a normal first start).

This module is also the gunicorn configuration that ``registry serve`` hands to gunicorn
(``--config python:registry.serving``): its :func:`on_starting` hook imports the app's modules in the
master before the workers fork, and :func:`post_worker_init` prints the addresses to open once the first
worker has built its app and can answer.
"""

from __future__ import annotations

import os
import sys
import time

#: The addresses each kind of user opens, printed when the server is ready.
ADDRESSES = (
    ("Public pages (trainers, HR, anyone)", "/"),
    ("Portal for standards bodies (sign in)", "/portal/"),
    ("Review for registrars (sign in)", "/review/"),
    ("JSON API (OpenAPI 3.1 description)", "/api/v1/openapi.json"),
)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare_catalog(engine, load: bool) -> None:
    """Migrate the catalog, load REGISTRY_STANDARDS_DIR into it (unless ``load`` is false) and build
    the search index when it is missing or unusable, saying what each step does."""
    from .config import load_config
    from .migrate import is_current, upgrade
    from .search.interfaces import IndexProblem
    from .search.service import index_dir, open_index, reindex
    from .services.catalog import load_corpus

    config = load_config()
    if not is_current(engine):
        started = time.monotonic()
        say("catalog: applying migrations...")
        upgrade(engine)
        say(f"catalog: migrated ({time.monotonic() - started:.1f} s)")
    standards = config["STANDARDS_DIR"]
    if load and os.path.isdir(standards):
        started = time.monotonic()
        say(f"catalog: loading {standards} (validating and publishing each file)...")
        outcomes = load_corpus(engine, [standards])
        refused = [o for o in outcomes if o.status in ("invalid", "refused")]
        for outcome in refused:
            say(f"{outcome.file}: {outcome.status}: {outcome.message}")
        new = sum(o.status == "published" for o in outcomes)
        say(f"catalog: {len(outcomes) - len(refused)} versions from {standards} ({new} new), "
            f"{len(refused)} refused ({time.monotonic() - started:.1f} s)")
    index = open_index(index_dir(config))
    try:
        index.check()
        problem = None
    except IndexProblem as found:
        problem = found
    finally:
        index.close()
    if problem is not None:
        started = time.monotonic()
        say(f"search: the index is {problem}; building it from the catalog...")
        report = reindex(engine, config["DATA_DIR"])
        say(f"search: {report['documents']} documents indexed ({time.monotonic() - started:.1f} s)")


def on_starting(server) -> None:
    """gunicorn hook, in the master before it forks the workers: import the app's modules (only the
    modules: no app, engine, connection or thread), so that each worker starts with them loaded instead
    of importing them again, and shares their memory with the others until it writes to it."""
    import importlib

    from .app import SERVED_MODULES

    for name in SERVED_MODULES:
        importlib.import_module(name)


def post_worker_init(worker) -> None:
    """gunicorn hook, in each worker once its app is built: the first worker prints the addresses."""
    if worker.age != 1:  # 1: the first worker the master started; later ones replace or add to it
        return
    host, _, port = str(worker.cfg.bind[0]).rpartition(":")
    base = f"http://{host}:{port}"
    width = max(len(label) for label, _ in ADDRESSES)
    lines = [f"ready: the registry answers on {base} (Ctrl-C stops it). Open:"]
    lines += [f"  {label:<{width}}  {base}{path}" for label, path in ADDRESSES]
    lines.append("  Accounts for the portal and review: .venv/bin/registry user add NAME --body BODY | --registrar")
    say("\n".join(lines))
