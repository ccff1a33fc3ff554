"""Make ``release-0893459.json``: a catalog written by the release before derived standings.

Run it with a checkout of commit 0893459 on the path (it uses that release's own services):

    git worktree add /tmp/old 0893459
    PYTHONPATH=/tmp/old /tmp/old/.venv/bin/python tests/data/catalogs/make_release_catalog.py

It publishes variants of ``tests/data/valid/example.yaml`` the way that release did (the corpus
loader's actor), including a version announced for a later date (which that release wrongly marked
as superseding the current one), a version without a start date (to which it gave 1 January of the
edition year), and a withdrawal; then it writes every row of the tables a standard's history
touches, with the sources as text (the stored documents are the sources, parsed).
"""

import json
import re
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = (HERE.parent / "valid" / "example.yaml").read_text("utf-8")


def variant(version: str, *, start: str | None, code: str = "2-02-38-02", wording: str = "") -> bytes:
    text = re.sub(r'(?m)^version: "1.0"', f'version: "{version}"', EXAMPLE, count=1)
    text = re.sub(r"(?m)^code: 2-02-38-02", f"code: {code}", text, count=1)
    text = text.replace('  effective_from: "2021-10-01"\n', f'  effective_from: "{start}"\n' if start else "", 1)
    if wording:  # the definition reworded: a minor change
        text = text.replace("的研究和开发的工程技术人员", wording, 1)
    return text.encode("utf-8")


def main() -> None:
    from sqlalchemy import text

    from registry.db import make_engine, write_session
    from registry.loader import load_bytes
    from registry.migrate import upgrade
    from registry.services import catalog
    from registry.services.context import SYSTEM

    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{folder / 'old.sqlite3'}")
    upgrade(engine)
    steps = [("2-02-38-02", "1.0", variant("1.0", start="2021-10-01")),
             ("2-02-38-02", "1.1", variant("1.1", start="2024-01-01", wording="的研究、开发和应用的工程技术人员")),
             ("2-02-38-02", "2.0", variant("2.0", start="2027-06-01", wording="的研究、开发和应用的工程技术人员")),  # announced for later
             ("2-02-38-06", "1.0", variant("1.0", start=None, code="2-02-38-06")),  # no start stated
             ("2-02-38-07", "1.0", variant("1.0", start="2021-10-01", code="2-02-38-07"))]
    for _, _, source in steps:
        with write_session(engine) as session:
            catalog.publish(session, load_bytes(source), SYSTEM, bump_reason="test data")
    with write_session(engine) as session:
        catalog.withdraw(session, "2-02-38-07", "1.0", SYSTEM, "published in error")
    tables = {}
    with engine.connect() as connection:
        for table in ("alembic_version", "standard", "standard_version", "change_log", "audit_event"):
            rows = [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            for row in rows:
                row.pop("document", None)  # the parsed source: rebuilt from it by the test
                for key, value in row.items():
                    if isinstance(value, bytes):
                        row[key] = value.decode("utf-8")
                    elif isinstance(value, (date, datetime)):
                        row[key] = value.isoformat()
            tables[table] = rows
    out = HERE / "release-0893459.json"
    out.write_text(json.dumps(tables, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
