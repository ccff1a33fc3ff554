"""A catalog written by the previous release (standings stored in rows) upgrades to derived standings.

The catalog is ``tests/data/catalogs/release-0893459.json``, made by that release's own services
(``make_release_catalog.py`` says how): a standard with a version announced for 2027 that the
release wrongly marked as superseding the one in force, a version without a start date to which it
gave an invented one, and a withdrawal.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import MetaData, text

from registry.clock import Clock
from registry.db import make_engine, read_session
from registry.loader import load_bytes
from registry.migrate import upgrade
from registry.services import catalog, standing

RELEASE = Path(__file__).resolve().parent / "data" / "catalogs" / "release-0893459.json"
TODAY = date(2026, 12, 5)


def _restore(engine, tables: dict) -> None:
    """The rows as that release wrote them, into a catalog at its schema (documents parsed from the
    sources, as it stored them)."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        for name in ("standard", "standard_version", "change_log", "audit_event"):
            table = metadata.tables[name]
            rows = []
            for row in tables[name]:
                row = dict(row)
                if name == "standard_version":
                    row["source"] = row["source"].encode("utf-8")
                    row["document"] = load_bytes(row["source"]).data
                for key, value in row.items():  # back from JSON: dates, times, the audit's details
                    if value is not None and (key.endswith("_at") or key == "at"):
                        row[key] = datetime.fromisoformat(value)
                    elif value is not None and key in ("effective_from", "effective_until"):
                        row[key] = date.fromisoformat(value)
                    elif key == "details" and isinstance(value, str):
                        row[key] = json.loads(value)
                rows.append(row)
            if name == "standard_version":  # self-references once every row exists
                links = [(r["id"], r.pop("predecessor_id"), r.pop("successor_id")) for r in rows]
                connection.execute(table.insert(), rows)
                for row_id, predecessor, successor in links:
                    connection.execute(table.update().where(table.c.id == row_id)
                                       .values(predecessor_id=predecessor, successor_id=successor))
            else:
                connection.execute(table.insert(), rows)
        if connection.dialect.name == "postgresql":
            for name, column in (("standard_version", "id"), ("change_log", "seq"), ("audit_event", "id")):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                                        f"(SELECT max({column}) FROM {name}))"))


def test_a_catalog_of_the_previous_release_upgrades_and_its_standings_follow_from_the_dates(fresh_db_url):
    tables = json.loads(RELEASE.read_text("utf-8"))
    engine = make_engine(fresh_db_url)
    upgrade(engine, tables["alembic_version"][0]["version_num"])
    _restore(engine, tables)
    with engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT version, status FROM standard_version "
                                              "WHERE code = '2-02-38-02'")).all())
    assert stored == {"1.0": "superseded", "1.1": "superseded", "2.0": "published"}  # what that release said

    upgrade(engine)
    columns = {c["name"] for c in __import__("sqlalchemy").inspect(engine).get_columns("standard_version")}
    assert not columns & {"status", "predecessor_id", "successor_id"}  # no stored standing is left
    clock = Clock()
    with read_session(engine) as session:
        announced = standing.history(session, "2-02-38-02", clock, TODAY)
        # 2.0 is announced for June 2027: 1.1 stays in force until then, and 2.0 is upcoming
        assert {v: s.state for v, s in announced.standings().items()} == {
            "1.0": "superseded", "1.1": "in-force", "2.0": "upcoming"}
        assert announced.standing("1.1").end == date(2027, 5, 31)
        assert standing.history(session, "2-02-38-02", clock, date(2027, 6, 1)).in_force().version == "2.0"
        # the dates are the documents' own again: no start invented for the version that states none
        unstated = catalog.get_version(session, "2-02-38-06", "1.0")
        assert (unstated.effective_from, unstated.effective_until) == (None, None)
        assert standing.history(session, "2-02-38-06", clock, TODAY).standing("1.0").start_basis == "not-stated"
        # a withdrawal stays a withdrawal, with its reason, and the standard has nothing in force
        withdrawn = standing.history(session, "2-02-38-07", clock, TODAY)
        assert withdrawn.standing("1.0").state == "withdrawn" and withdrawn.in_force() is None
        assert withdrawn.standing("1.0").withdrawn_reason == "published in error"
        # the logs are untouched (append-only): the old "supersede" events stay as history
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_event")).scalar() == len(tables["audit_event"])
            assert connection.execute(text("SELECT count(*) FROM change_log")).scalar() == len(tables["change_log"])
    engine.dispose()
