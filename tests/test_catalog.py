"""The catalog as the system of record: loading, immutability, supersession, dates, withdrawal."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import select

from registry import db
from registry.clock import Clock
from registry.db import read_session, write_session
from registry.errors import BumpTooSmall, Conflict, VersionConflict
from registry.loader import load_bytes
from registry.models import AuditEvent, Body, ChangeLog, ReviewComment, StandardVersion
from registry.services import catalog, standing
from registry.services.catalog import load_corpus
from registry.services.context import Actor

from .conftest import STANDARDS

REGISTRAR = Actor("registrar:test", "registrar")
CLOCK = Clock()


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


def _in_force(session, code: str, day: date) -> str | None:
    found = standing.history(session, code, CLOCK, day).in_force()
    return found.version if found is not None else None


def test_a_later_version_supersedes_the_current_one_from_its_start(engine, corpus):
    with read_session(engine) as session:
        old = catalog.get_version(session, "4-04-05-05", "1.0")
        new = catalog.get_version(session, "4-04-05-05", "2.0")
        # the catalog keeps the dates as the documents state them...
        assert (old.effective_from, old.effective_until, new.effective_from) == (None, None, date(2025, 7, 1))
        # ...and the standings follow from them
        standings = standing.history(session, "4-04-05-05", CLOCK, date(2026, 12, 5)).standings()
        assert (standings["1.0"].state, standings["2.0"].state) == ("superseded", "in-force")
        assert (standings["1.0"].successor, standings["1.0"].end) == ("2.0", date(2025, 6, 30))
        log = session.exec(select(ChangeLog).where(ChangeLog.code == "4-04-05-05").order_by(ChangeLog.seq)).all()
    assert [(e.op, e.version) for e in log] == [("publish", "1.0"), ("publish", "2.0")]  # facts only


def test_version_in_force_on_a_date(engine, corpus):
    with read_session(engine) as session:
        assert _in_force(session, "4-04-05-05", date(2023, 5, 1)) == "1.0"
        assert _in_force(session, "4-04-05-05", date(2025, 6, 30)) == "1.0"
        assert _in_force(session, "4-04-05-05", date(2025, 7, 1)) == "2.0"
        assert _in_force(session, "4-04-05-05", date(2030, 1, 1)) == "2.0"
        # 1.0 states no start: the only text before 2.0, in force from a day nobody stated
        assert _in_force(session, "4-04-05-05", date(2019, 1, 1)) == "1.0"


def test_withdrawal_is_recorded_with_its_reason(engine, corpus):
    with write_session(engine) as session:
        catalog.withdraw(session, "2-02-38-09", "1.0", REGISTRAR, "replaced by a regional pilot")
    with read_session(engine) as session:
        version = catalog.get_version(session, "2-02-38-09", "1.0")
        assert version.withdrawn_at is not None and version.withdrawn_reason == "replaced by a regional pilot"
        assert standing.history(session, "2-02-38-09", CLOCK).standing("1.0").state == "withdrawn"
        assert _in_force(session, "2-02-38-09", CLOCK.today()) is None
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
    import yaml

    from registry.loader import load_bytes as load

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


def _dated(version: str, effective_from: str, effective_until: str | None = None) -> bytes:
    """2-02-38-03 1.1 as another version, taking effect (and, if given, ending) on these days."""
    dates = f'effective_from: "{effective_from}"'
    if effective_until:
        dates += f'\n  effective_until: "{effective_until}"'
    return _bumped(version, lambda s: s.replace(b'effective_from: "2022-07-01"', dates.encode(), 1))


def test_a_version_stops_being_in_force_after_the_last_day_its_document_says(engine, corpus):
    _publish(engine, _dated("1.2", "2024-01-01", "2024-12-31"))
    with read_session(engine) as session:
        # the document names its last day, and the catalog keeps it as stated
        assert catalog.get_version(session, "2-02-38-03", "1.2").effective_until == date(2024, 12, 31)
        assert _in_force(session, "2-02-38-03", date(2024, 12, 31)) == "1.2"
        assert _in_force(session, "2-02-38-03", date(2025, 1, 1)) is None  # ended, and nothing took its place
        assert standing.history(session, "2-02-38-03", CLOCK, date(2025, 1, 1)).standing("1.2").state == "expired"


@pytest.mark.parametrize("successor_from, last_day, in_force", [
    ("2024-06-01", date(2024, 5, 31), {"2024-05-31": "1.2", "2024-06-01": "1.3"}),  # the successor's start
    ("2025-03-01", date(2024, 12, 31), {"2024-12-31": "1.2", "2025-01-15": None, "2025-03-01": "1.3"}),  # its own
])
def test_a_version_ends_on_the_earlier_of_its_own_end_and_its_successors_start(engine, corpus, successor_from,
                                                                              last_day, in_force):
    _publish(engine, _dated("1.2", "2024-01-01", "2024-12-31"))
    _publish(engine, _dated("1.3", successor_from))
    with read_session(engine) as session:
        assert standing.history(session, "2-02-38-03", CLOCK).standing("1.2").end == last_day
        found = {day: _in_force(session, "2-02-38-03", date.fromisoformat(day)) for day in in_force}
    assert found == in_force


# --- concurrency: withdrawals, publishes and the order of the logs -------------------------------------


def _in_threads(*calls, timeout: float = 60):
    """Start each call in its own thread; return (threads, errors) once all have ended."""
    errors: list[BaseException] = []

    def run(call):
        try:
            call()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    return threads, errors


def test_a_withdrawal_racing_a_publish_never_mixes_their_states(engine, corpus, monkeypatch):
    """Publishing 1.2 supersedes 1.1 while a registrar withdraws 1.1: one must wait for the other."""
    read_the_versions = threading.Event()
    check_bump = catalog._check_bump

    def slow_check_bump(*args, **kwargs):  # publish has locked the standard and read its versions
        read_the_versions.set()
        time.sleep(1.0)  # the window in which a withdrawal used to change 1.1 under the publish
        return check_bump(*args, **kwargs)

    monkeypatch.setattr(catalog, "_check_bump", slow_check_bump)

    def withdraw_once_publish_has_read():
        assert read_the_versions.wait(30)
        with write_session(engine) as session:
            catalog.withdraw(session, "2-02-38-03", "1.1", REGISTRAR, "an error in the 2022 edition")

    threads, errors = _in_threads(lambda: _publish(engine, _bumped("1.2", _reworded)), withdraw_once_publish_has_read)
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    with read_session(engine) as session:
        old, new = (catalog.get_version(session, "2-02-38-03", v) for v in ("1.1", "1.2"))
        trail = session.exec(select(AuditEvent).where(AuditEvent.code == "2-02-38-03", AuditEvent.version == "1.1")
                             .order_by(AuditEvent.id)).all()
    assert (old.withdrawn_reason, new.withdrawn_at) == ("an error in the 2022 edition", None)
    with read_session(engine) as session:
        standings = standing.history(session, "2-02-38-03", CLOCK).standings()
    assert (standings["1.1"].state, standings["1.2"].state) == ("withdrawn", "in-force")
    assert [(e.action, e.from_state, e.to_state) for e in trail] == [
        ("publish", None, "published"), ("withdraw", "published", "withdrawn")]


def _reworded(source: bytes) -> bytes:
    return source.replace("能".encode(), "能够".encode(), 1)


class _Signal(logging.Handler):
    """Sets an event when the fault injection says it holds a publish open."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.event = threading.Event()

    def emit(self, record):
        if record.getMessage().startswith("fault injection: holding the publish"):
            self.event.set()


@pytest.fixture
def fault_signal():
    signal = _Signal()
    logger = logging.getLogger("registry.services.catalog")
    logger.addHandler(signal)
    yield signal.event
    logger.removeHandler(signal)


class _Reader:
    """A consumer of the append-only logs, paging as the search index and GET /audit do: id > last seen."""

    def __init__(self, engine):
        self.engine = engine
        with read_session(engine) as session:
            self.seq = session.exec(select(func.max(ChangeLog.seq))).one() or 0
            self.audit_id = session.exec(select(func.max(AuditEvent.id))).one() or 0
        self.start = (self.seq, self.audit_id)
        self.seen_seqs: list[int] = []
        self.seen_audit: list[int] = []

    def catch_up(self) -> None:
        with read_session(self.engine) as session:
            seqs = session.exec(select(ChangeLog.seq).where(ChangeLog.seq > self.seq).order_by(ChangeLog.seq)).all()
            ids = session.exec(select(AuditEvent.id).where(AuditEvent.id > self.audit_id)
                               .order_by(AuditEvent.id)).all()
        self.seen_seqs += seqs
        self.seen_audit += ids
        self.seq, self.audit_id = (seqs or [self.seq])[-1], (ids or [self.audit_id])[-1]

    def everything(self) -> tuple[list[int], list[int]]:
        with read_session(self.engine) as session:
            return (session.exec(select(ChangeLog.seq).where(ChangeLog.seq > self.start[0])
                                 .order_by(ChangeLog.seq)).all(),
                    session.exec(select(AuditEvent.id).where(AuditEvent.id > self.start[1])
                                 .order_by(AuditEvent.id)).all())


def _withdraw(engine, code: str, version: str = "1.0") -> None:
    with write_session(engine) as session:
        catalog.withdraw(session, code, version, REGISTRAR, "withdrawn by the test")


def test_a_reader_paging_the_logs_never_skips_a_late_commit(engine, corpus, fault_signal):
    """A publish of one standard holds its transaction open while another standard is withdrawn and
    committed, and a reader catches up in between: the reader must still get every entry. (On
    PostgreSQL, sequence numbers handed out at insert time let the withdrawal's entry overtake the
    publish's, which were then skipped forever.)"""
    reader = _Reader(engine)

    def publish_slowly():
        with write_session(engine) as session:
            catalog.publish(session, load_bytes(_bumped("1.2", _reworded)), REGISTRAR)

    from registry.services.faults import hold_publications

    holding = hold_publications(engine, 2.0)  # noqa: F841  (kept alive while the publish runs)

    (publisher,), errors = _in_threads(publish_slowly)
    assert fault_signal.wait(30)  # the publish is inside its transaction, its rows written
    (withdrawer,), more_errors = _in_threads(lambda: _withdraw(engine, "2-02-38-09"))
    withdrawer.join(1.0)  # PostgreSQL: committed by now; SQLite: waiting for the write lock
    reader.catch_up()
    publisher.join(60)
    withdrawer.join(60)
    assert not errors and not more_errors, errors + more_errors
    reader.catch_up()
    seqs, audit_ids = reader.everything()
    assert len(seqs) == 2 and len(audit_ids) == 2  # publish, withdraw
    assert (reader.seen_seqs, reader.seen_audit) == (seqs, audit_ids)


def test_the_logs_are_inserted_under_a_lock_held_until_commit(engine, corpus, monkeypatch):
    """While one transaction has inserted its log rows and not yet committed, another one's log rows
    wait: so a larger id is always committed later, on both databases."""
    inserted, release = threading.Event(), threading.Event()
    insert_pending = db._insert_pending

    def pausing(session):
        insert_pending(session)
        if threading.current_thread().name == "first":
            inserted.set()
            assert release.wait(30)

    monkeypatch.setattr(db, "_insert_pending", pausing)
    reader = _Reader(engine)
    first = threading.Thread(target=_withdraw, args=(engine, "2-02-38-09"), name="first")
    first.start()
    assert inserted.wait(30)
    (second,), errors = _in_threads(lambda: _withdraw(engine, "2-02-38-01"))
    second.join(1.0)
    assert second.is_alive()  # waiting for the first to commit
    reader.catch_up()
    assert (reader.seen_seqs, reader.seen_audit) == ([], [])
    release.set()
    first.join(30)
    second.join(30)
    assert not errors, errors
    reader.catch_up()
    with read_session(engine) as session:
        log = session.exec(select(ChangeLog).where(ChangeLog.seq > reader.start[0]).order_by(ChangeLog.seq)).all()
    assert [entry.code for entry in log] == ["2-02-38-09", "2-02-38-01"]  # in commit order
    assert reader.seen_seqs == [entry.seq for entry in log]


# --- the database keeps its own invariants ----------------------------------------------------------


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'someone else'", "DELETE FROM audit_event"])
def test_the_database_refuses_to_change_or_delete_audit_events(engine, corpus, statement):
    with read_session(engine) as session:
        before = [(e.id, e.actor, e.action) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert before
    with pytest.raises(DBAPIError, match="audit_event is append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement))
    with read_session(engine) as session:
        assert [(e.id, e.actor, e.action) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))] == before


def test_a_unique_conflict_is_a_409_without_the_databases_words(engine):
    with write_session(engine) as session:
        session.add(Body(id="cesi", name="China Electronics Standardization Institute"))
    with pytest.raises(Conflict) as info:
        with write_session(engine) as session:
            session.add(Body(id="cesi", name="a second writer that raced past add_body's check"))
    message = info.value.message.lower()
    assert "concurrent change" in message and info.value.details is None
    assert not any(word in message for word in ("unique", "duplicate", "constraint", "insert", "body.id"))


def test_any_other_integrity_error_is_not_a_conflict(engine):
    with pytest.raises(IntegrityError):  # a bug: it stays an error, logged as a 500 by the web layer
        with write_session(engine) as session:
            session.add(ReviewComment(draft_id=999_999, author="nobody", body="a comment on no draft"))
