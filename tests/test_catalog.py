"""The catalog as the system of record: loading, immutability, supersession, dates, withdrawal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from registry.db import read_session, write_session
from registry.errors import BumpTooSmall, NotFound, VersionConflict
from registry.loader import load_bytes
from registry.models import AuditEvent, ChangeLog, StandardVersion
from registry.services import catalog
from registry.services.catalog import load_corpus
from registry.services.context import Actor

from .conftest import STANDARDS

REGISTRAR = Actor("registrar:test", "registrar")


def _copy_corpus(tmp_path, code: str):
    target = tmp_path / "corpus" / code
    target.mkdir(parents=True)
    for path in (STANDARDS / code).glob("*.yaml"):
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_loading_twice_changes_nothing(engine, corpus):
    with read_session(engine) as session:
        before = session.exec(select(AuditEvent)).all()
    again = load_corpus(engine, [str(STANDARDS)])
    assert {o.status for o in again} == {"unchanged"}
    with read_session(engine) as session:
        assert len(session.exec(select(AuditEvent)).all()) == len(before)
        versions = session.exec(select(StandardVersion)).all()
    assert len(versions) == len(list(STANDARDS.rglob("*.yaml")))
    for v in versions:
        source = (STANDARDS / v.code / f"{v.version}.yaml").read_bytes()
        assert v.source == source and v.sha256 == catalog.sha256(source)


def test_different_bytes_under_a_published_version_are_refused(engine, corpus, tmp_path):
    folder = _copy_corpus(tmp_path, "2-02-38-03")
    path = folder / "1.1.yaml"
    path.write_bytes(path.read_bytes().replace(b"edition: 2022", b"edition: 2023"))
    (outcome,) = [o for o in load_corpus(engine, [str(folder)]) if o.version == "1.1"]
    assert outcome.status == "refused"
    assert "already published with different content" in outcome.message
    assert "fields that differ: edition" in outcome.details["differences"]
    with read_session(engine) as session:
        stored = catalog.get_version(session, "2-02-38-03", "1.1")
    assert stored.source == (STANDARDS / "2-02-38-03" / "1.1.yaml").read_bytes()


def test_a_later_version_supersedes_the_current_one(engine, corpus):
    with read_session(engine) as session:
        old = catalog.get_version(session, "4-04-05-05", "1.0")
        new = catalog.get_version(session, "4-04-05-05", "2.0")
        assert (old.status, new.status) == ("superseded", "published")
        assert old.successor_id == new.id and new.predecessor_id == old.id
        assert old.effective_until == new.effective_from == date(2025, 7, 1)
        assert catalog.current_version(session, "4-04-05-05").version == "2.0"
        log = session.exec(select(ChangeLog).where(ChangeLog.code == "4-04-05-05").order_by(ChangeLog.seq)).all()
    assert [(e.op, e.version) for e in log] == [("publish", "1.0"), ("publish", "2.0"), ("supersede", "1.0")]


def test_version_in_force_on_a_date(engine, corpus):
    with read_session(engine) as session:
        assert catalog.version_as_of(session, "4-04-05-05", date(2023, 5, 1)).version == "1.0"
        assert catalog.version_as_of(session, "4-04-05-05", date(2025, 7, 1)).version == "2.0"
        assert catalog.version_as_of(session, "4-04-05-05", date(2030, 1, 1)).version == "2.0"
        with pytest.raises(NotFound):
            catalog.version_as_of(session, "4-04-05-05", date(2019, 1, 1))


def test_withdrawal_is_recorded_with_its_reason(engine, corpus):
    with write_session(engine) as session:
        catalog.withdraw(session, "2-02-38-09", "1.0", REGISTRAR, "replaced by a regional pilot")
    with read_session(engine) as session:
        version = catalog.get_version(session, "2-02-38-09", "1.0")
        assert version.status == "withdrawn" and version.withdrawn_reason == "replaced by a regional pilot"
        with pytest.raises(NotFound):
            catalog.current_version(session, "2-02-38-09")
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "withdraw")).all()
    assert (event.actor, event.from_state, event.to_state) == ("registrar:test", "published", "withdrawn")


def _bumped(version: str, edit) -> bytes:
    source = (STANDARDS / "2-02-38-03" / "1.1.yaml").read_bytes()
    source = source.replace(b'\nversion: "1.1"', f'\nversion: "{version}"'.encode())
    return edit(source)


def _publish(engine, source: bytes, reason: str | None = None):
    loaded = load_bytes(source)
    with write_session(engine) as session:
        return catalog.publish(session, loaded, REGISTRAR, bump_reason=reason)


def _remove_first_requirement(source: bytes) -> bytes:
    from registry.loader import load_bytes as load

    import yaml

    doc = load(source).data
    content = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    content["requirements"].pop()
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()


def test_a_bump_smaller_than_the_changes_need_is_refused_without_a_reason(engine, corpus):
    source = _bumped("1.2", _remove_first_requirement)
    with pytest.raises(BumpTooSmall) as info:
        _publish(engine, source)
    assert info.value.details["required"] == "2.0"
    result = _publish(engine, source, reason="correction of an error in the 2022 edition")
    assert result.created and result.version.bump_reason.startswith("correction")
    with read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.version == "1.2")).first()
    assert event.details["bump_reason"].startswith("correction")


def test_a_wording_change_needs_only_a_minor_bump(engine, corpus):
    source = _bumped("1.2", lambda s: s.replace("能".encode(), "能够".encode(), 1))
    assert _publish(engine, source).created


def test_version_conflict_error_type(engine, corpus):
    source = _bumped("1.1", lambda s: s.replace(b"edition: 2022", b"edition: 2024"))
    with pytest.raises(VersionConflict):
        _publish(engine, source)
