"""Published versions: publish, load a corpus, read, withdraw.

Only facts are written here (a version, its dates as its document states them, a withdrawal);
which version is in force on a day is derived by ``services.standing`` from those facts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from ..db import append_in_commit_order, catalog_id
from ..documents import text_in
from ..errors import BumpTooSmall, InvalidStandard, InvalidTransition, NotFound, VersionConflict
from ..lifecycle import PUBLISHED, WITHDRAWN, parse_number
from ..loader import LoadedDocument
from ..models import ChangeLog, Standard, StandardVersion, utcnow
from ..validate import Report, iter_yaml_files, validate_bytes, validate_file
from . import events
from .audit import public_name, record
from .context import SYSTEM, Actor
from .events import emit_after_commit

if TYPE_CHECKING:
    from ..diff import Diff

def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def require_valid(report: Report) -> LoadedDocument:
    """Return the loaded document of a clean report, or raise with every issue."""
    if not report.valid or report.document is None:
        raise InvalidStandard(f"{len(report.issues)} problem(s) in the standard",
                              details=[issue.to_dict() for issue in report.issues])
    return report.document


@dataclass
class PublishResult:
    version: StandardVersion
    created: bool


def change_log_head(session: Session) -> int:
    """The last change-log entry's ``seq`` (0 for an empty catalog): every publication and withdrawal
    appends one in its own transaction, so an unchanged head means an unchanged catalog."""
    return session.exec(select(func.max(ChangeLog.seq))).one() or 0


def publish(session: Session, loaded: LoadedDocument, actor: Actor, *, bump_reason: str | None = None,
            body_id: str | None = None) -> PublishResult:
    """Publish a validated document as a new version, inside the caller's write transaction.

    The same bytes under an existing version change nothing; different bytes are refused. Nothing
    else changes: a version published today that states a later start leaves the version in force
    in force until then (the time model derives standings from the dates). The change log and audit
    trail are written in the same transaction, so a crash leaves either all of it or none of it. The
    standard's row is locked first, as :func:`withdraw` does, so the two never interleave on one
    standard. A new standard published from a body's draft gets that body as its keeper.
    """
    doc, source = loaded.data, loaded.source
    code, version = doc["code"], doc["version"]
    digest = sha256(source)
    standard = _lock_standard(session, doc, body_id, actor)
    existing = session.exec(
        select(StandardVersion).where(StandardVersion.code == code, StandardVersion.version == version)
    ).first()
    if existing is not None:
        if existing.sha256 == digest:
            return PublishResult(existing, created=False)
        raise VersionConflict(
            f"{code} version {version} is already published with different content",
            details={"code": code, "version": version, "published_sha256": existing.sha256, "sha256": digest,
                     "differences": _difference_summary(existing.document, doc)})
    # read after the lock, and refreshed even if this session loaded them before it
    versions = list(session.exec(select(StandardVersion).where(StandardVersion.code == code)
                                 .execution_options(populate_existing=True)))
    number = parse_number(version)
    _check_bump(previous_in(versions, number), doc, version, bump_reason)
    provenance = doc["provenance"]
    new = StandardVersion(
        code=code, version=version, major=number[0], minor=number[1], sha256=digest, source=source,
        document=doc, effective_from=_stated_day(provenance.get("effective_from")),
        effective_until=_stated_day(provenance.get("effective_until")),
        published_by=public_name(actor.name, actor.role, actor.body_id),  # public: never an e-mail
        bump_reason=bump_reason,
    )
    session.add(new)
    if not any(_number(v) > number and v.withdrawn_at is None for v in versions):
        _refresh_listing(standard, doc)  # the listing shows the latest version
    session.flush()
    append_in_commit_order(session, ChangeLog(op="publish", code=code, version=version, version_id=new.id))
    record(session, actor, "publish", code=code, version=version, from_state=None, to_state=PUBLISHED,
           details={"sha256": digest, **({"bump_reason": bump_reason} if bump_reason else {})})
    emit_after_commit(session, events.version_published, code=code, version=version)
    events.publishing.send(catalog_id(session), session=session, code=code, version=version)
    return PublishResult(new, created=True)


def _stated_day(value: str | None) -> date | None:
    """A date as the document states it (the schema checked its form), or None when it states none."""
    return date.fromisoformat(value) if value else None


def _number(version: StandardVersion) -> tuple[int, int]:
    return version.major, version.minor


def previous_in(versions: Iterable[StandardVersion], number: tuple[int, int]) -> StandardVersion | None:
    """The version a new one is compared with: the highest lower number that is not withdrawn."""
    return max((v for v in versions if _number(v) < number and v.withdrawn_at is None), key=_number, default=None)


def previous_version(session: Session, code: str, version: str) -> StandardVersion | None:
    """The published version that ``version`` of ``code`` follows (see :func:`_previous`), or None."""
    query = select(StandardVersion).where(StandardVersion.code == code)
    return previous_in(session.exec(query), parse_number(version))


def _lock_standard(session: Session, doc: dict, body_id: str | None, actor: Actor) -> Standard:
    """Fetch the standard's row FOR UPDATE (serialising publishes and withdrawals of one standard),
    or create it (two creations at once: one fails on the primary key, a 409). A standard created
    from a body's draft is kept by that body; one loaded from a corpus starts without a keeper."""
    standard = _locked_standard(session, doc["code"])
    if standard is None:
        standard = Standard(code=doc["code"], body_id=body_id, title="", sector=doc["sector"],
                            standard_type=doc["standard_type"])
        _refresh_listing(standard, doc)
        session.add(standard)
        session.flush()
        if body_id:
            record(session, actor, "assign", code=standard.code, details={"keeper": body_id, "previous": None})
    return standard


def _locked_standard(session: Session, code: str) -> Standard | None:
    """The standard's row, locked until the transaction ends (PostgreSQL; SQLite's write
    transactions are serialised whole), and re-read even if this session loaded it before."""
    query = select(Standard).where(Standard.code == code).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def _refresh_listing(standard: Standard, doc: dict) -> None:
    master = doc["languages"]["master"]
    standard.title = text_in(doc["title"], master, master)
    standard.title_en = text_in(doc["title"], "en", master)
    standard.sector = doc["sector"]
    standard.standard_type = doc["standard_type"]


def _check_bump(predecessor: StandardVersion | None, doc: dict, version: str, reason: str | None) -> None:
    """The version number must be as large as the changes since the previous (not withdrawn) version need."""
    if predecessor is None:
        return
    from ..diff import bump_is_sufficient, diff_documents, required_bump

    diff = diff_documents(predecessor.document, doc)
    if bump_is_sufficient(predecessor.version, version, diff) or (reason and reason.strip()):
        return
    needed = required_bump(predecessor.version, diff)
    raise BumpTooSmall(
        f"the changes since {predecessor.version} are {diff.change_class}: the version should be at least "
        f"{needed}, not {version}; give a reason to publish it anyway",
        details={"previous": predecessor.version, "required": needed, "change_class": diff.change_class,
                 "summary": diff.summary()})


def _difference_summary(old: dict, new: dict) -> str:
    """What differs, for the person whose file was refused: the diff, and the top-level fields."""
    from ..diff import diff_documents

    fields = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return f"{diff_documents(old, new).summary()}; fields that differ: {', '.join(fields) or 'none'}"


def withdraw(session: Session, code: str, version: str, actor: Actor, reason: str) -> StandardVersion:
    """Withdraw a published version, with a reason, inside a write transaction.

    A withdrawn version is void: never in force, superseding nothing (``registry.lifecycle``), so
    withdrawing the newest version returns the standard to the one before it. Takes the standard's
    row lock first, as :func:`publish` does: the two run one after the other, never interleaved.
    """
    actor.require_registrar()
    standard = _locked_standard(session, code)
    if standard is None:
        raise NotFound(f"no standard with code {code!r}")
    target = get_version(session, code, version, for_update=True)
    if target.withdrawn_at is not None:
        raise InvalidTransition(f"{code} {version} is already withdrawn")
    target.withdrawn_at = utcnow()
    target.withdrawn_reason = reason
    session.add(target)
    live = [v for v in list_versions(session, code) if v.withdrawn_at is None]
    if live:  # the listing shows the latest version that is not withdrawn
        _refresh_listing(standard, live[-1].document)
    append_in_commit_order(session, ChangeLog(op="withdraw", code=code, version=version, version_id=target.id))
    record(session, actor, "withdraw", code=code, version=version, from_state=PUBLISHED,
           to_state=WITHDRAWN, details={"reason": reason})
    emit_after_commit(session, events.version_withdrawn, code=code, version=version)
    return target


# --- reading ------------------------------------------------------------------------------------


def get_standard(session: Session, code: str) -> Standard:
    standard = session.get(Standard, code)
    if standard is None:
        raise NotFound(f"no standard with code {code!r}")
    return standard


def list_versions(session: Session, code: str) -> list[StandardVersion]:
    get_standard(session, code)
    query = select(StandardVersion).where(StandardVersion.code == code)
    return sorted(session.exec(query), key=_number)


def get_version(session: Session, code: str, version: str, *, for_update: bool = False) -> StandardVersion:
    query = select(StandardVersion).where(StandardVersion.code == code, StandardVersion.version == version)
    if for_update:  # locked, and re-read even if this session loaded it before
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.exec(query).first()
    if found is None:
        raise NotFound(f"no version {version!r} of standard {code!r}")
    return found


def diff_versions(session: Session, code: str, old: str, new: str) -> Diff:
    """The item-level differences between two versions of a standard."""
    from ..diff import diff_documents

    return diff_documents(get_version(session, code, old).document, get_version(session, code, new).document)


def get_by_sha256(session: Session, digest: str) -> StandardVersion:
    found = session.exec(select(StandardVersion).where(StandardVersion.sha256 == digest)).first()
    if found is None:
        raise NotFound("no registry version has this sha256")
    return found


def version_document(session: Session, version_id: int) -> dict:
    return session.exec(select(StandardVersion.document).where(StandardVersion.id == version_id)).one()


def latest_change(session: Session) -> tuple[int, Any] | None:
    """(seq, at) of the change log's latest entry: it identifies the state of every version, since
    each change to a version row appends an entry in the same transaction."""
    latest = session.exec(select(ChangeLog.seq, ChangeLog.at).order_by(ChangeLog.seq.desc()).limit(1)).first()
    return tuple(latest) if latest else None


# --- the corpus -------------------------------------------------------------------------------------


@dataclass
class LoadOutcome:
    file: str
    status: str  # "published" | "unchanged" | "invalid" | "refused"
    code: str | None = None
    version: str | None = None
    message: str = ""
    details: Any = None


def load_corpus(engine, paths: Iterable[str], *, actor: Actor = SYSTEM) -> list[LoadOutcome]:
    """Publish every file under ``paths``, each in its own transaction, oldest version first.

    Idempotent: a file already published with the same bytes changes nothing.
    """
    from ..db import write_session
    from ..errors import RegistryError

    reports = [validate_file(name) for name in iter_yaml_files(paths)]
    outcomes: list[LoadOutcome] = []
    valid = []
    for report in reports:
        if report.valid and report.document is not None:
            valid.append(report)
        else:
            outcomes.append(LoadOutcome(report.file or "?", "invalid", message=f"{len(report.issues)} problem(s)",
                                        details=[i.to_dict() for i in report.issues]))
    valid.sort(key=lambda r: (r.document.data["code"], parse_number(r.document.data["version"])))
    for report in valid:
        doc = report.document.data
        try:
            with write_session(engine) as session:
                result = publish(session, report.document, actor)
                status = "published" if result.created else "unchanged"
            outcomes.append(LoadOutcome(report.file or "?", status, doc["code"], doc["version"]))
        except RegistryError as exc:
            outcomes.append(LoadOutcome(report.file or "?", "refused", doc["code"], doc["version"], exc.message,
                                        exc.details))
    return outcomes


def check_upload(source: bytes) -> Report:
    """Every problem of a standard that came over the network (no file path to check); stores nothing."""
    return validate_bytes(source, file=None, check_path=False)


def validate_upload(source: bytes) -> LoadedDocument:
    """Validate a standard that came over the network, or raise with every issue."""
    return require_valid(check_upload(source))
