"""Files issued for versions (the formats of ``registry.exports.formats``): cached, recorded, served.

A file is addressed by what shapes its bytes: the source sha256 and, for the formats that print a
standing, everything they print (the standing on the day, the successor, the base URL: see
``VersionInfo.printed_key``), and for templated formats the template version and the display
language asked for (``?lang=``). So a cached file is never stale: a new template, another language,
or a standing that changed overnight because a later version came into force simply gives a new
address. Files are written atomically (``files.atomic_write``): a crash never leaves half a PDF.

Every file produced for a published version is recorded in the catalog's ledger of issued files
(``IssuedFile``) before anyone receives it, so ``/verify`` recognises any file the registry ever
served, whether or not its cached copy still exists. When the exports disk is full, the file is
recorded and served from memory, and nothing half-written is left.

Besides the content-addressed files, ``standards/<code>/<version>.<ext>`` under the exports folder
holds the current file in the default language, so the folder can be served by any web server.
The copies that print a standing are dropped when a standing may have changed (a publication, a
withdrawal, a new day: ``services.plain_copies``); the next download, or ``registry export --all``,
writes them again.

A level row of the table (the level sheet, the generated documents) is addressed the same way, with
the level (and direction) it covers in the address; those that print the day they were made (the
standing "on <day>") are addressed per day too. Their files are not mirrored.

Drafts are never public: their PDFs (with the DRAFT watermark) are cached by :func:`draft_pdf` in
a folder of their own, outside the exports folder, keyed by the draft's sha256 and revision.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import select

from ..clock import Clock
from ..db import read_session, write_session
from ..errors import BadRequest, NotFound
from ..exports.formats import FORMATS, LEVEL, LEVEL_SUFFIXES, SUFFIXES, VERSION, RenderJob, render
from ..exports.info import VersionInfo
from ..levels import Scope, UnknownScope
from ..models import IssuedFile, StandardVersion
from .files import atomic_write, no_space
from .standing import LIGHT_COLUMNS, History, history_of

log = logging.getLogger(__name__)

#: part of every address: bump when the bytes of some format change in a way nothing else in the
#: address shows (r2: the standing replaced the stored status, and the ledger began)
ADDRESS_REVISION = "r2"
#: a display language as the format writes it (``schemas/standard-1.0.json``, ``$defs/language``)
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def check_lang(fmt: str, lang: str | None) -> str | None:
    """The display language of a download (``?lang=``), or None for the default.

    Only the templated formats (PDF, HTML) show one language besides the master; the data formats
    carry every language, so a ``lang`` is refused for them rather than silently ignored.
    """
    if lang in (None, ""):
        return None
    if not FORMATS[fmt].templated:
        raise BadRequest(f"lang applies to PDF and HTML only: a {FORMATS[fmt].suffix} file has every language")
    if not LANGUAGE.match(lang):
        raise BadRequest(f"lang must be a language code such as en or fr, not {lang[:20]!r}")
    return lang


def split_name(name: str) -> tuple[str, str]:
    """``"1.0.pdf"`` -> ``("1.0", "pdf")``; raises NotFound for an unknown suffix."""
    for suffix, fmt in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], fmt
    raise NotFound(f"no export format for {name!r}; use one of "
                   f"{', '.join(f.suffix for f in FORMATS.values() if f.scope == VERSION)}")


#: a level or direction ID in a URL (the format's ``id``)
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,79}\Z")


def split_level_name(rest: str) -> tuple[Scope, str | None]:
    """What follows ``/levels/``: ``"L3"`` -> (L3, None) (the level's page), ``"junior/cv.pdf"`` ->
    (junior/cv, ``level.pdf``), ``"L3/job-description.docx"`` -> (L3, ``job-description.docx``).
    NotFound for anything else."""
    fmt = None
    for suffix, name in LEVEL_SUFFIXES:
        if rest.endswith(suffix) and len(rest) > len(suffix):
            rest, fmt = rest[: -len(suffix)], name
            break
    parts = rest.split("/")
    if not 1 <= len(parts) <= 2 or not all(_ID.match(part) for part in parts):
        raise NotFound(f"no level page or file {rest[:100]!r}; a level is /levels/<level>[/<direction>], its files "
                       f"{', '.join(f.suffix for f in FORMATS.values() if f.scope == LEVEL)} after it")
    return Scope(parts[0], parts[1] if len(parts) == 2 else None), fmt


@lru_cache(maxsize=1)
def _template_version() -> str:
    from ..render import template_version

    return template_version()


@dataclass(frozen=True)
class Export:
    """Where an issued file lives, and how to serve it."""

    code: str
    version: str
    fmt: str
    sha256: str
    variant: str
    lang: str | None = None
    #: the level (and direction) a level row covers: ``L3``, ``junior/cv``; "" for a whole version
    scope: str = ""

    @property
    def _suffix(self) -> str:
        """The format's suffix as part of a file name (``/job-description.pdf`` -> ``-job-description.pdf``)."""
        return FORMATS[self.fmt].suffix.replace("/", "-")

    @property
    def _scope(self) -> str:
        return f"-{self.scope.replace('/', '+')}" if self.scope else ""

    @cached_property
    def relpath(self) -> Path:
        name = f"{self.sha256[:20]}{self._scope}-{self.variant}{self._suffix}"
        return Path("files") / self.code / self.version / name

    @property
    def mirror_relpath(self) -> Path:
        return Path("standards") / self.code / f"{self.version}{FORMATS[self.fmt].suffix}"

    @property
    def etag(self) -> str:
        return f"{self.sha256}-{self.variant}"

    @property
    def mirrored(self) -> bool:
        """Whether the plain ``standards/<code>/<version>.<ext>`` copy is this file (a whole version's
        file in the default language)."""
        return self.lang is None and not self.scope

    @property
    def filename(self) -> str:
        lang = f".{self.lang}" if self.lang else ""
        scope = f"-{self.scope.replace('/', '-')}" if self.scope else ""
        suffix = self._suffix
        if scope and lang and suffix.startswith("-"):  # L3-job-description.en.pdf
            stem, _, ext = suffix.rpartition(".")
            return f"{self.code}-{self.version}{scope}{stem}{lang}.{ext}"
        return f"{self.code}-{self.version}{scope}{lang}{suffix}"

    @property
    def media_type(self) -> str:
        return FORMATS[self.fmt].media_type


def address(info: VersionInfo, fmt: str, lang: str | None = None, scope: Scope | None = None) -> Export:
    """The address of one file of one version (or of one level of it: ``scope``), from what it prints
    (no rendering)."""
    spec = FORMATS[fmt]
    if (spec.scope == LEVEL) != (scope is not None):
        raise ValueError(f"format {fmt} covers a {spec.scope}: {'a' if spec.scope == LEVEL else 'no'} scope is needed")
    printed = info.printed_key() if spec.prints_standing else ""
    if spec.prints_day and info.day is not None:
        printed += f"\0day={info.day.isoformat()}"
    return _address(info.code, info.version, info.sha256, fmt, check_lang(fmt, lang), printed,
                    scope.key if scope is not None else "")


@lru_cache(maxsize=4096)
def _address(code: str, version: str, sha256: str, fmt: str, lang: str | None, printed: str, scope: str) -> Export:
    spec = FORMATS[fmt]
    parts = [fmt, ADDRESS_REVISION]
    if spec.templated:
        parts.append(_template_version())
        if lang:
            parts.append(f"lang={lang}")
    if spec.prints_standing:
        parts.append(printed)
    if scope:
        parts.append(f"scope={scope}")
    variant = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
    return Export(code, version, fmt, sha256, variant, lang, scope)


# --- what the catalog says about a standard, reused for a moment ---------------------------------

#: Seconds a process reuses a standard's version rows for the download URLs. A change committed by
#: this process forgets them at once (``plain_copies.connect``); one made by another process is seen
#: within this time, except a version (or standard) the rows lack, which is looked up again at once.
#: The standing itself is computed from them on every request, for today.
LOOKUP_TTL = 1.0
_LOOKUPS_KEPT = 4096
_lookups: OrderedDict[tuple, tuple[float, tuple]] = OrderedDict()
_lookups_lock = threading.Lock()


def forget_lookups() -> None:
    with _lookups_lock:
        _lookups.clear()


def _version_rows(engine: Engine, code: str, *, fresh: bool = False) -> tuple:
    """The light rows of every version of ``code`` (empty for an unknown standard): one indexed
    query, reused for :data:`LOOKUP_TTL` seconds (unless ``fresh``)."""
    key = (str(engine.url), code)
    now = time.monotonic()
    with _lookups_lock:
        cached = _lookups.get(key)
    if cached is not None and cached[0] > now and not fresh:
        return cached[1]
    with read_session(engine) as session:
        rows = tuple(session.exec(select(*LIGHT_COLUMNS).where(StandardVersion.code == code)))
    with _lookups_lock:
        _lookups[key] = (now + LOOKUP_TTL, rows)
        _lookups.move_to_end(key)
        while len(_lookups) > _LOOKUPS_KEPT:
            _lookups.popitem(last=False)
    return rows


def standing_now(engine: Engine, clock: Clock, code: str, *, fresh: bool = False) -> History:
    """The versions of ``code`` with their standings today (NotFound for an unknown standard)."""
    rows = _version_rows(engine, code, fresh=fresh)
    if not rows and not fresh:  # a standard another process has just published: not in the rows reused
        rows = _version_rows(engine, code, fresh=True)
    if not rows:
        raise NotFound(f"no standard with code {code!r}")
    return history_of(code, rows, clock, clock.today())


def version_info(engine: Engine, clock: Clock, code: str, version: str, base_url: str) -> tuple[Any, VersionInfo]:
    """The light row of a version and what its files print today."""
    hist = standing_now(engine, clock, code)
    if not any(row.version == version for row in hist.rows):
        # a version another process has just published (its 201 already sent) is not a 404 for a moment
        hist = standing_now(engine, clock, code, fresh=True)
    row = hist.row(version)
    return row, VersionInfo.of_version(row, hist.standing(version), base_url, day=hist.day)


# --- serving ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A file to send: from the exports folder (``path``), or from memory when it could not be kept."""

    export: Export
    path: Path | None = None
    data: bytes | None = None


def serve(engine: Engine, clock: Clock, exports_dir: Path, code: str, version: str, fmt: str, base_url: str, *,
          lang: str | None = None, timeout: float | None = None, scope: Scope | None = None) -> Served:
    """The file of a version (or of one level of it, ``scope``) in a format, fast when it is cached: at
    most one indexed query of the standard's light rows (see :data:`LOOKUP_TTL`), then the file; the
    version's document is loaded and rendered only when the file is missing (and a level it does not
    have is a NotFound then: no file is ever kept for one)."""
    lang = check_lang(fmt, lang)
    row, info = version_info(engine, clock, code, version, base_url)
    export = address(info, fmt, lang, scope)
    path = exports_dir / export.relpath
    if path.exists():
        return Served(export, path)
    return issue(engine, exports_dir, row.id, info, export, timeout=timeout)


def issue(engine: Engine, exports_dir: Path, version_id: int, info: VersionInfo, export: Export, *,
          timeout: float | None = None) -> Served:
    """Render a file, record it in the ledger, and keep it in the exports folder (or, when the disk
    is full, hand it over from memory: it is recorded, so it is still verifiable)."""
    with read_session(engine) as session:
        full = session.get(StandardVersion, version_id)
    data = produce(full, info, export.fmt, lang=export.lang, timeout=timeout, scope=_scope_of(export))
    record_issued(engine, data, version_id, export, info)
    try:
        return Served(export, store(exports_dir, export, data))
    except OSError as exc:
        if not no_space(exc):
            raise
        log.warning("exports disk full: %s served from memory, not kept (%s)", export.filename, exc)
        return Served(export, None, data)


def _scope_of(export: Export) -> Scope | None:
    if not export.scope:
        return None
    level, _, direction = export.scope.partition("/")
    return Scope(level, direction or None)


def document_languages(doc: dict) -> list[str]:
    languages = doc["languages"]
    return [languages["master"], *languages.get("translations", [])]


def produce(row: StandardVersion, info: VersionInfo, fmt: str, *, lang: str | None = None,
            timeout: float | None = None, scope: Scope | None = None) -> bytes:
    """Render one file of a version, or of one level of it (the expensive part, no caching)."""
    if lang is not None and lang not in document_languages(row.document):
        raise NotFound(f"{row.code} {row.version} has no text in {lang!r}; its languages are "
                       f"{', '.join(document_languages(row.document))}")
    if scope is not None:
        check_scope(row.document, scope)
    return render(fmt, RenderJob(row.document, row.source, info, lang, timeout, scope))


def check_scope(doc: dict, scope: Scope) -> Scope:
    """``scope`` when ``doc`` has it, else NotFound naming the levels or directions to choose from."""
    from ..levels import check_scope as check

    try:
        return check(doc, scope.level, scope.direction)
    except UnknownScope as unknown:
        raise NotFound(unknown.message, details={"choices": list(unknown.choices)}) from None


def record_issued(engine: Engine, data: bytes, version_id: int, export: Export, info: VersionInfo) -> None:
    """Add a file to the ledger of issued files (once: the same bytes again change nothing). The
    YAML source needs no row: its sha256 is the version's own."""
    if export.fmt == "yaml":
        return
    values = dict(sha256=hashlib.sha256(data).hexdigest(), version_id=version_id, format=export.fmt,
                  lang=export.lang, standing=info.standing.key() if info.standing else "", scope=export.scope or None)
    with write_session(engine) as session:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(IssuedFile).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))


def store(exports_dir: Path, export: Export, data: bytes) -> Path:
    """Write the file and its plain copy atomically: readers see the old file or the new one, never half."""
    path = exports_dir / export.relpath
    atomic_write(path, data)
    if export.mirrored:
        atomic_write(exports_dir / export.mirror_relpath, data)
    return path


@lru_cache(maxsize=16)
def folder(configured: str) -> Path:
    """The exports folder of a configuration value, resolved once per process."""
    return Path(configured).resolve()


# --- drafts ---------------------------------------------------------------------------------------


def draft_pdf(cache_dir: Path, draft, base_url: str, *, lang: str | None = None,
              timeout: float | None = None) -> bytes:
    """The PDF of a draft, with the DRAFT watermark on every page, cached by its sha256.

    The address is the draft's id, sha256 and revision (printed on every page), the template
    version, the base URL and ``lang``: an edited draft gets a new file, and only the latest file
    of each draft is kept. ``cache_dir`` must not be served to the public (drafts are private):
    the registry uses ``<REGISTRY_DATA_DIR>/cache/drafts``, never the exports folder.
    """
    lang = check_lang("pdf", lang)
    parts = ["draft-pdf", "r1", _template_version(), str(draft.id), str(draft.revision), base_url, lang or ""]
    variant = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
    drafts_dir = Path(cache_dir) / str(int(draft.id))
    path = drafts_dir / f"{draft.sha256[:20]}-{variant}.pdf"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    if lang is not None and lang not in document_languages(draft.document):
        raise NotFound(f"draft {draft.id} has no text in {lang!r}; its languages are "
                       f"{', '.join(document_languages(draft.document))}")
    data = render("pdf", RenderJob(draft.document, draft.source, VersionInfo.of_draft(draft, base_url), lang, timeout))
    try:
        atomic_write(path, data, public=False)  # a draft is for its body and the registrars only
    except OSError as exc:
        if not no_space(exc):
            raise
        log.warning("cache disk full: the PDF of draft %s is served from memory, not kept", draft.id)
        return data
    for old in drafts_dir.iterdir():  # earlier revisions of this draft
        if old != path and old.suffix == ".pdf":
            old.unlink(missing_ok=True)
    return data
