"""What the fault scripts that need a real server share: a catalog made ready with a body and a
registrar, and the suite's live server (``tests.live_server``: gunicorn on loopback, killed whole).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.live_server import LiveServer, free_port  # noqa: E402

__all__ = ["ROOT", "LiveServer", "free_port", "prepare_catalog"]


def prepare_catalog(url: str, *, body: str = "cesi", keeps: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """Migrate the catalog at ``url``, load standards/ into it, and make a body (keeper of ``keeps``)
    and a registrar; returns their Authorization headers as {"body": ..., "registrar": ...}."""
    from registry.db import make_engine, write_session
    from registry.migrate import upgrade
    from registry.models import Body
    from registry.services.accounts import add_body, create_token
    from registry.services.catalog import load_corpus
    from registry.services.context import SYSTEM
    from registry.services.stewardship import assign

    engine = make_engine(url)
    try:
        upgrade(engine)
        load_corpus(engine, [str(ROOT / "standards")])
        with write_session(engine) as session:
            if session.get(Body, body) is None:
                add_body(session, body, body)
            body_token, _ = create_token(session, body_id=body)
            registrar_token, _ = create_token(session, registrar="fault-registrar")
        for code in keeps:
            with write_session(engine) as session:
                assign(session, code, body, SYSTEM)
    finally:
        engine.dispose()
    return {"body": {"Authorization": f"Bearer {body_token}"},
            "registrar": {"Authorization": f"Bearer {registrar_token}"}}
