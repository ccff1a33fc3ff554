"""Published versions: publish, load a corpus, read, find the version in force, withdraw."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from ..db import append_in_commit_order, run_after_appends
from ..documents import text_in
from ..errors import BumpTooSmall, InvalidStandard, InvalidTransition, NotFound, VersionConflict
from ..loader import LoadedDocument
from ..models import (VERSION_PUBLISHED, VERSION_SUPERSEDED, VERSION_WITHDRAWN, ChangeLog, Standard,
                      StandardVersion, utcnow)
from ..validate import Report, iter_yaml_files, validate_bytes, validate_file
from .audit import public_name, record
from .context import SYSTEM, Actor

if TYPE_CHECKING:
    from ..diff import Diff

log = logging.getLogger(__name__)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_version(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


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
    superseded: list[StandardVersion] = field(default_factory=list)


def publish(session: Session, loaded: LoadedDocument, actor: Actor, *, bump_reason: str | None = None,
            body_id: str | None = None, fault_delay: float = 0.0, fault_point: str = "versions") -> PublishResult:
    """Publish a validated document as a new version, inside the caller's write transaction.

    The same bytes under an existing version change nothing; different bytes are refused.
    A later version supersedes the current one; the change log and audit trail are written in
    the same transaction, so a crash leaves either all of it or none of it. The standard's row is
    locked first, as :func:`withdraw` does, so the two never interleave on one standard.
    """
    doc, source = loaded.data, loaded.source
    code, version = doc["code"], doc["version"]
    digest = sha256(source)
    standard = _lock_standard(session, doc, body_id)
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
    number = parse_version(version)
    predecessor = max((v for v in versions if (v.major, v.minor) < number), key=_number, default=None)
    successor = min((v for v in versions if (v.major, v.minor) > number), key=_number, default=None)
    _check_bump(predecessor, doc, version, bump_reason)
    new = StandardVersion(
        code=code, version=version, major=number[0], minor=number[1], sha256=digest, source=source,
        document=doc, status=VERSION_PUBLISHED, effective_from=_effective_from(doc),
        published_by=public_name(actor.name, actor.role, actor.body_id),  # public: never an e-mail
        effective_until=_earliest(_declared_until(doc), successor.effective_from if successor else None),
        bump_reason=bump_reason, predecessor_id=predecessor.id if predecessor else None,
        successor_id=successor.id if successor else None,
    )
    if successor is not None:  # an older version loaded after a newer one is history from the start
        new.status = VERSION_SUPERSEDED
    session.add(new)
    session.flush()
    # the log and the audit trail keep this order: this publish, then what it supersedes
    append_in_commit_order(session, ChangeLog(op="publish", code=code, version=version, version_id=new.id))
    record(session, actor, "publish", code=code, version=version, from_state=None, to_state=new.status,
           details={"sha256": digest, **({"bump_reason": bump_reason} if bump_reason else {})})
    superseded = []
    if predecessor is not None:
        if new.status == VERSION_PUBLISHED and _supersede(session, predecessor, new, actor):
            superseded.append(predecessor)
        predecessor.successor_id = new.id
    if successor is not None:
        successor.predecessor_id = new.id
    if new.status == VERSION_PUBLISHED:
        _refresh_listing(standard, doc)
    session.flush()
    if fault_delay:
        _inject_fault(session, fault_delay, fault_point, f"{code} {version}")
    return PublishResult(new, created=True, superseded=superseded)


def _inject_fault(session: Session, seconds: float, point: str, what: str) -> None:
    """Test-only (REGISTRY_FAULT_PUBLISH_DELAY and _POINT): hold the publish transaction open at
    ``point``, saying so first, so that a test can kill the process or race another writer there."""
    def hold(_session: Session | None = None) -> None:
        log.warning("fault injection: holding the publish of %s open for %.1f s at %s", what, seconds, point)
        time.sleep(seconds)

    if point == "commit":
        run_after_appends(session, hold)
    else:
        hold()


def _number(version: StandardVersion) -> tuple[int, int]:
    return version.major, version.minor


def _lock_standard(session: Session, doc: dict, body_id: str | None) -> Standard:
    """Fetch the standard's row FOR UPDATE (serialising publishes and withdrawals of one standard),
    or create it (two creations at once: one fails on the primary key, a 409)."""
    standard = _locked_standard(session, doc["code"])
    if standard is None:
        standard = Standard(code=doc["code"], body_id=body_id, title="", sector=doc["sector"],
                            standard_type=doc["standard_type"])
        _refresh_listing(standard, doc)
        session.add(standard)
        session.flush()
    elif body_id and not standard.body_id:
        standard.body_id = body_id
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


def _effective_from(doc: dict) -> date:
    """The date a version takes effect: as the document says, else its promulgation date, else the
    first day of its edition year (national standards are cited by edition year: (2021年版))."""
    provenance = doc["provenance"]
    if provenance.get("effective_from"):
        return date.fromisoformat(provenance["effective_from"])
    for notice in provenance.get("notices", []):
        if notice.get("role") == "promulgation" and notice.get("date"):
            return date.fromisoformat(notice["date"])
    return date(doc["edition"], 1, 1)


def _declared_until(doc: dict) -> date | None:
    """The first day the document no longer applies (exclusive, like the catalog's ``effective_until``).

    A document names its last day ("effective until 31 December"), as people read and write such
    dates, so the catalog's bound is the day after.
    """
    value = doc["provenance"].get("effective_until")
    return date.fromisoformat(value) + timedelta(days=1) if value else None


def _earliest(*days: date | None) -> date | None:
    known = [day for day in days if day is not None]
    return min(known) if known else None


def _supersede(session: Session, old: StandardVersion, new: StandardVersion, actor: Actor) -> bool:
    """Mark ``old`` superseded by ``new``, if it is still published when re-read under a row lock
    (a version withdrawn meanwhile stays withdrawn). Returns whether it was superseded."""
    session.refresh(old, with_for_update=True)
    if old.status != VERSION_PUBLISHED:
        return False
    old.status = VERSION_SUPERSEDED
    old.successor_id = new.id
    until = new.effective_from if new.effective_from and (not old.effective_from or
                                                          new.effective_from > old.effective_from) else utcnow().date()
    old.effective_until = _earliest(old.effective_until, until)
    session.add(old)
    append_in_commit_order(session, ChangeLog(op="supersede", code=old.code, version=old.version, version_id=old.id))
    record(session, actor, "supersede", code=old.code, version=old.version, from_state=VERSION_PUBLISHED,
           to_state=VERSION_SUPERSEDED, details={"successor": new.version})
    return True


def _check_bump(predecessor: StandardVersion | None, doc: dict, version: str, reason: str | None) -> None:
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
    """Withdraw a published (or superseded) version, with a reason, inside a write transaction.

    Takes the standard's row lock first, as :func:`publish` does: a publish that would supersede
    this version and this withdrawal run one after the other, never interleaved.
    """
    actor.require_registrar()
    if _locked_standard(session, code) is None:
        raise NotFound(f"no standard with code {code!r}")
    target = get_version(session, code, version, for_update=True)
    if target.status == VERSION_WITHDRAWN:
        raise InvalidTransition(f"{code} {version} is already withdrawn")
    previous = target.status
    target.status = VERSION_WITHDRAWN
    target.withdrawn_at = utcnow()
    target.withdrawn_reason = reason
    today = utcnow().date()
    if target.effective_until is None or target.effective_until > today:
        target.effective_until = today
    session.add(target)
    append_in_commit_order(session, ChangeLog(op="withdraw", code=code, version=version, version_id=target.id))
    record(session, actor, "withdraw", code=code, version=version, from_state=previous,
           to_state=VERSION_WITHDRAWN, details={"reason": reason})
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


def current_version(session: Session, code: str) -> StandardVersion:
    """The version in force now: the published one."""
    versions = [v for v in list_versions(session, code) if v.status == VERSION_PUBLISHED]
    if not versions:
        raise NotFound(f"standard {code!r} has no current version (all are superseded or withdrawn)")
    return versions[-1]


def version_as_of(session: Session, code: str, day: date) -> StandardVersion:
    """The version that was in force on ``day``, from the effective dates."""
    in_force = [v for v in list_versions(session, code)
                if v.effective_from and v.effective_from <= day and (v.effective_until is None or day < v.effective_until)]
    if not in_force:
        raise NotFound(f"no version of {code!r} was in force on {day.isoformat()}")
    return in_force[-1]


def version_in_force(session: Session, code: str, day: date | None = None) -> StandardVersion:
    """The version in force on ``day``, or the current one when no day is given."""
    return current_version(session, code) if day is None else version_as_of(session, code, day)


def diff_versions(session: Session, code: str, old: str, new: str) -> Diff:
    """The item-level differences between two versions of a standard."""
    from ..diff import diff_documents

    return diff_documents(get_version(session, code, old).document, get_version(session, code, new).document)


def get_by_sha256(session: Session, digest: str) -> StandardVersion:
    found = session.exec(select(StandardVersion).where(StandardVersion.sha256 == digest)).first()
    if found is None:
        raise NotFound("no registry version has this sha256")
    return found


def list_standards(session: Session, *, sector: str | None = None, standard_type: str | None = None,
                   status: str | None = None, body: str | None = None, code_prefix: str | None = None,
                   offset: int = 0, limit: int = 50) -> tuple[int, list[tuple[Standard, StandardVersion | None]]]:
    """Standards with their latest version, filtered; returns (total, page)."""
    query = select(Standard)
    if code_prefix:  # an occupation group: "2-02-38" holds 2-02-38-01, 2-02-38-02...
        query = query.where(Standard.code.startswith(code_prefix + "-", autoescape=True))  # type: ignore
    if sector:
        query = query.where(Standard.sector == sector)
    if standard_type:
        query = query.where(Standard.standard_type == standard_type)
    if body:
        query = query.where(Standard.body_id == body)
    if status:
        has_status = select(StandardVersion.code).where(StandardVersion.status == status)
        query = query.where(Standard.code.in_(has_status))  # type: ignore[attr-defined]
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = list(session.exec(query.order_by(Standard.code).offset(offset).limit(limit)))
    latest = _latest_versions(session, [s.code for s in page])
    return total, [(s, latest.get(s.code)) for s in page]


#: the columns of a version without its document and source, for indexes over every version
LIGHT_COLUMNS = (StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.major,
                 StandardVersion.minor, StandardVersion.sha256, StandardVersion.status, StandardVersion.published_at,
                 StandardVersion.effective_from, StandardVersion.effective_until, StandardVersion.successor_id,
                 StandardVersion.withdrawn_at, StandardVersion.withdrawn_reason)


def light_versions(session: Session) -> list[Any]:
    """Every version's :data:`LIGHT_COLUMNS` (rows with those attribute names)."""
    return list(session.exec(select(*LIGHT_COLUMNS)))


def version_document(session: Session, version_id: int) -> dict:
    return session.exec(select(StandardVersion.document).where(StandardVersion.id == version_id)).one()


def latest_change(session: Session) -> tuple[int, Any] | None:
    """(seq, at) of the change log's latest entry: it identifies the state of every version, since
    each change to a version row appends an entry in the same transaction."""
    latest = session.exec(select(ChangeLog.seq, ChangeLog.at).order_by(ChangeLog.seq.desc()).limit(1)).first()
    return tuple(latest) if latest else None


def _latest_versions(session: Session, codes: Sequence[str]) -> dict[str, StandardVersion]:
    latest: dict[str, StandardVersion] = {}
    if not codes:
        return latest
    for v in session.exec(select(StandardVersion).where(StandardVersion.code.in_(codes))):  # type: ignore[attr-defined]
        if v.code not in latest or _number(v) > _number(latest[v.code]):
            latest[v.code] = v
    return latest


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
    valid.sort(key=lambda r: (r.document.data["code"], parse_version(r.document.data["version"])))
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
