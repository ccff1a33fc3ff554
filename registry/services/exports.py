"""Exports of versions (PDF, HTML, CSV, JSON, YAML, CASE), cached in REGISTRY_EXPORTS_DIR.

A file is addressed by what shapes its bytes: the source sha256 and, for the formats that print
a status, the template version and the status itself (a superseded PDF says so on every page),
and for PDF and HTML the display language asked for (``?lang=``; none means the master text with
the default translation). So a cached file is never stale: a new template, a new status or
another language simply gives a new address (the download URLs look the address up again at most
:data:`LOOKUP_TTL` seconds after another process changed a status). Files are written atomically
(temporary file, fsync, rename): a crash never leaves half a PDF.

Besides the content-addressed files, ``standards/<code>/<version>.<ext>`` under the exports
folder holds the current rendering in the default language, so the folder can be served by any
web server.

Drafts are never public: their PDFs (with the DRAFT watermark) are cached by :func:`draft_pdf` in
a folder of their own, outside the exports folder, keyed by the draft's sha256 and revision.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlalchemy import bindparam, event
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased, load_only
from sqlmodel import select

from ..errors import BadRequest, NotFound, RegistryError
from ..models import StandardVersion
from .catalog import current_version


@dataclass(frozen=True)
class Format:
    suffix: str
    media_type: str
    shows_status: bool  # the bytes depend on the version's status, not only on its source
    rendered: bool  # produced by the templates (their version is part of the address)


FORMATS: dict[str, Format] = {
    "pdf": Format(".pdf", "application/pdf", True, True),
    "html": Format(".html", "text/html; charset=utf-8", True, True),
    "csv": Format(".csv", "text/csv; charset=utf-8; header=present", False, False),
    "json": Format(".json", "application/json", False, False),
    "yaml": Format(".yaml", "application/yaml", False, False),
    "case.json": Format(".case.json", "application/json", True, False),
}
#: longest first, so that "x.case.json" is not read as "x.case" + ".json"
SUFFIXES = sorted(((f.suffix, name) for name, f in FORMATS.items()), key=lambda s: -len(s[0]))
#: a display language as the format writes it (``schemas/standard-1.0.json``, ``$defs/language``)
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
#: the columns an export address needs; the source and document are loaded only to render
ADDRESS_COLUMNS = (StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.sha256,
                   StandardVersion.status, StandardVersion.successor_id, StandardVersion.withdrawn_reason,
                   StandardVersion.withdrawn_at, StandardVersion.published_at, StandardVersion.effective_from,
                   StandardVersion.effective_until)


def check_lang(fmt: str, lang: str | None) -> str | None:
    """The display language of a download (``?lang=``), or None for the default.

    Only PDF and HTML show one language besides the master; the data formats carry every
    language, so a ``lang`` is refused for them rather than silently ignored.
    """
    if lang in (None, ""):
        return None
    if not FORMATS[fmt].rendered:
        raise BadRequest(f"lang applies to PDF and HTML only: a {FORMATS[fmt].suffix} file has every language")
    if not LANGUAGE.match(lang):
        raise BadRequest(f"lang must be a language code such as en or fr, not {lang[:20]!r}")
    return lang


def split_name(name: str) -> tuple[str, str]:
    """``"1.0.pdf"`` -> ``("1.0", "pdf")``; raises NotFound for an unknown suffix."""
    for suffix, fmt in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], fmt
    raise NotFound(f"no export format for {name!r}; use one of {', '.join(f.suffix for f in FORMATS.values())}")


@lru_cache(maxsize=1)
def _template_version() -> str:
    from ..render import template_version

    return template_version()


@dataclass(frozen=True)
class Export:
    """Where an export lives, and how to serve it."""

    code: str
    version: str
    fmt: str
    sha256: str
    variant: str
    lang: str | None = None

    @cached_property
    def relpath(self) -> Path:
        return Path("files") / self.code / self.version / f"{self.sha256[:20]}-{self.variant}{FORMATS[self.fmt].suffix}"

    @property
    def mirror_relpath(self) -> Path:
        return Path("standards") / self.code / f"{self.version}{FORMATS[self.fmt].suffix}"

    @property
    def etag(self) -> str:
        return f"{self.sha256}-{self.variant}"

    @property
    def mirrored(self) -> bool:
        """Whether the plain ``standards/<code>/<version>.<ext>`` copy is this file (the default language)."""
        return self.lang is None

    @property
    def filename(self) -> str:
        lang = f".{self.lang}" if self.lang else ""
        return f"{self.code}-{self.version}{lang}{FORMATS[self.fmt].suffix}"

    @property
    def media_type(self) -> str:
        return FORMATS[self.fmt].media_type


def address(row: StandardVersion, successor: StandardVersion | None, fmt: str, base_url: str,
            lang: str | None = None) -> Export:
    """The address of one export of one version, from catalog columns only (no rendering)."""
    return _address(row.code, row.version, row.sha256, row.status, row.withdrawn_reason,
                    successor.version if successor else None, fmt, base_url, check_lang(fmt, lang))


@lru_cache(maxsize=4096)
def _address(code: str, version: str, sha256: str, status: str, withdrawn_reason: str | None,
             successor_version: str | None, fmt: str, base_url: str, lang: str | None) -> Export:
    spec = FORMATS[fmt]
    parts = [fmt, "r1"]
    if spec.rendered:
        parts.append(_template_version())
        if lang:
            parts.append(f"lang={lang}")
    if spec.shows_status:
        parts += [status, successor_version or "", withdrawn_reason or "", base_url]
    variant = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
    return Export(code, version, fmt, sha256, variant, lang)


@lru_cache(maxsize=1)
def _lookup_statement():
    """The columns an address needs, and the successor's version, in one light query (no ORM objects)."""
    version, successor = StandardVersion, aliased(StandardVersion)
    return (sa_select(version.code, version.version, version.sha256, version.status, version.withdrawn_reason,
                      successor.version)
            .select_from(version).outerjoin(successor, successor.id == version.successor_id)
            .where(version.code == bindparam("code"), version.version == bindparam("version")))


#: Seconds a process reuses what the catalog said about a version for the download URLs. A commit
#: in the same process forgets everything at once; a status change made by another process is
#: seen within this time (until then that process serves the file of the previous status).
LOOKUP_TTL = 1.0
_LOOKUPS_KEPT = 4096
_lookups: "OrderedDict[tuple, tuple[float, tuple]]" = OrderedDict()
_lookups_lock = threading.Lock()


@event.listens_for(Engine, "commit")
def _forget_lookups(_connection) -> None:  # every commit of this process, ORM or Core
    with _lookups_lock:
        _lookups.clear()


def _lookup(engine, code: str, version: str) -> tuple | None:
    """The address columns of a version and its successor's version, or None: one indexed query,
    reused for :data:`LOOKUP_TTL` seconds."""
    from ..db import read_session

    key = (engine.url, code, version)
    now = time.monotonic()
    with _lookups_lock:
        cached = _lookups.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    with read_session(engine) as session:
        found = session.connection().execute(_lookup_statement(), {"code": code, "version": version}).first()
    if found is None:
        return None
    with _lookups_lock:
        _lookups[key] = (now + LOOKUP_TTL, tuple(found))
        _lookups.move_to_end(key)
        while len(_lookups) > _LOOKUPS_KEPT:
            _lookups.popitem(last=False)
    return tuple(found)


def serve(engine, exports_dir: Path, code: str, version: str, fmt: str, base_url: str, *,
          lang: str | None = None, timeout: float | None = None) -> tuple[Export, Path]:
    """:func:`ensure` for the download URLs, fast when the file is cached: at most one indexed query
    of six columns (see :data:`LOOKUP_TTL`), then the file; the version row is loaded and rendered
    only when the file is missing."""
    from ..db import read_session

    lang = check_lang(fmt, lang)
    found = _lookup(engine, code, version)
    if found is None:
        raise NotFound(f"no version {version!r} of standard {code!r}")
    export = _address(*found, fmt, base_url, lang)
    path = exports_dir / export.relpath
    if path.exists():
        return export, path
    with read_session(engine) as session:
        return ensure(session, exports_dir, code, version, fmt, base_url, lang=lang, timeout=timeout)


@lru_cache(maxsize=16)
def folder(configured: str) -> Path:
    """The exports folder of a configuration value, resolved once per process."""
    return Path(configured).resolve()


def _version_row(session: Session, code: str, version: str) -> StandardVersion:
    if version == "latest":
        version = current_version(session, code).version
    row = session.exec(select(StandardVersion).options(load_only(*ADDRESS_COLUMNS))
                       .where(StandardVersion.code == code, StandardVersion.version == version)).first()
    if row is None:
        raise NotFound(f"no version {version!r} of standard {code!r}")
    return row


def _successor(session: Session, row: StandardVersion) -> StandardVersion | None:
    if row.successor_id is None:
        return None
    return session.exec(select(StandardVersion).options(load_only(*ADDRESS_COLUMNS))
                        .where(StandardVersion.id == row.successor_id)).first()


def locate(session: Session, code: str, version: str, fmt: str, base_url: str, lang: str | None = None) -> Export:
    row = _version_row(session, code, version)
    return address(row, _successor(session, row), fmt, base_url, lang)


def forget_status_copies(exports_dir: Path, code: str) -> None:
    """Delete the plain copies (``standards/<code>/<version>.pdf``, ``.html``, ``.case.json``) whose
    bytes show a status, after a version of ``code`` was published or withdrawn: a web server that
    serves the folder must not go on offering a superseded PDF that says it is current. The next
    download through the registry (or ``registry export --all``) writes them again, with the new
    status. Other machines' folders are refreshed by their own ``registry export --all``."""
    folder = exports_dir / "standards" / code
    suffixes = tuple(spec.suffix for spec in FORMATS.values() if spec.shows_status)
    try:
        copies = [path for path in folder.iterdir() if path.name.endswith(suffixes)]
    except FileNotFoundError:
        return
    for path in copies:
        path.unlink(missing_ok=True)


def ensure(session: Session, exports_dir: Path, code: str, version: str, fmt: str, base_url: str, *,
           lang: str | None = None, timeout: float | None = None) -> tuple[Export, Path]:
    """Return the export's file, rendering and storing it first when it is not cached yet.

    ``lang`` (PDF and HTML): the translation shown under the master text; it must be one of the
    version's languages (NotFound otherwise, and nothing is rendered or stored). ``timeout``:
    seconds the PDF render may take (the render worker's own limit when None).
    """
    row = _version_row(session, code, version)
    successor = _successor(session, row)
    export = address(row, successor, fmt, base_url, lang)
    path = exports_dir / export.relpath
    if not path.exists():
        full = session.get(StandardVersion, row.id)
        data = produce(full, successor, fmt, base_url, lang=export.lang, timeout=timeout)
        store(exports_dir, export, data)
    return export, path


def _document_languages(doc: dict) -> list[str]:
    languages = doc["languages"]
    return [languages["master"], *languages.get("translations", [])]


def produce(row: StandardVersion, successor: StandardVersion | None, fmt: str, base_url: str, *,
            lang: str | None = None, timeout: float | None = None) -> bytes:
    """Render one export of a version (the expensive part, no caching)."""
    if fmt in ("pdf", "html"):
        from ..render import StatusInfo, render_html, render_standard_pdf

        if lang is not None and lang not in _document_languages(row.document):
            raise NotFound(f"{row.code} {row.version} has no text in {lang!r}; its languages are "
                           f"{', '.join(_document_languages(row.document))}")
        info = StatusInfo.for_version(row, base_url, successor=successor)
        if fmt == "html":
            return render_html(row.document, lang=lang, status_info=info, standalone=True).encode("utf-8")
        return render_standard_pdf(row.document, source=row.source, status_info=info, lang=lang, timeout=timeout)
    from ..exports import VersionInfo, render

    info = VersionInfo.from_version(row, successor_version=successor.version if successor else None)
    return render(fmt, row.document, row.source, info, base_url=base_url)


def store(exports_dir: Path, export: Export, data: bytes) -> Path:
    """Write the file and its mirror atomically: readers see the old file or the new one, never half."""
    path = exports_dir / export.relpath
    _atomic_write(path, data)
    if export.mirrored:
        _atomic_write(exports_dir / export.mirror_relpath, data)
    return path


@lru_cache(maxsize=1)
def _umask() -> int:
    """The process's umask, read without setting it (os.umask would change it for every thread)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def _atomic_write(path: Path, data: bytes, *, public: bool = True) -> None:
    """Write ``path`` whole or not at all. A public file (the exports folder, which any web server
    may serve) gets the mode an ordinary file would (0644 under the usual umask), not mkstemp's 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        if public:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    from ..render import StatusInfo, render_standard_pdf

    if lang is not None and lang not in _document_languages(draft.document):
        raise NotFound(f"draft {draft.id} has no text in {lang!r}; its languages are "
                       f"{', '.join(_document_languages(draft.document))}")
    data = render_standard_pdf(draft.document, source=draft.source, status_info=StatusInfo.for_draft(draft, base_url),
                               lang=lang, timeout=timeout)
    _atomic_write(path, data, public=False)  # a draft is for its body and the registrars only
    for old in drafts_dir.iterdir():  # earlier revisions of this draft
        if old != path and old.suffix == ".pdf":
            old.unlink(missing_ok=True)
    return data


# --- export --all ---------------------------------------------------------------------------------


@dataclass
class ExportReport:
    rendered: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


def _plan(engine, exports_dir: Path, formats: Iterable[str], base_url: str) -> tuple[list, int]:
    """Every (version id, format) whose export is missing, and how many are up to date."""
    from ..db import read_session

    todo, fresh = [], 0
    with read_session(engine) as session:
        rows = list(session.exec(select(StandardVersion).options(load_only(*ADDRESS_COLUMNS))))
        by_id = {row.id: row for row in rows}
        for row in sorted(rows, key=lambda r: (r.code, r.id)):
            for fmt in formats:
                export = address(row, by_id.get(row.successor_id), fmt, base_url)
                path = exports_dir / export.relpath
                if path.exists():
                    fresh += 1
                    copy = exports_dir / export.mirror_relpath
                    if export.mirrored and not copy.exists():  # see forget_status_copies
                        _atomic_write(copy, path.read_bytes())
                else:
                    todo.append((row.id, fmt))
    return todo, fresh


def _render_one(url: str, exports_dir: str, version_id: int, fmt: str, base_url: str) -> tuple[str, str | None]:
    """Worker: render and store one export; returns (label, error or None). Runs in a pool process."""
    from ..db import read_session

    engine = _worker_engine(url, os.getpid())
    label = f"{version_id}:{fmt}"
    try:
        with read_session(engine) as session:
            row = session.get(StandardVersion, version_id)
            label = f"{row.code} {row.version} {fmt}"
            successor = session.get(StandardVersion, row.successor_id) if row.successor_id else None
            export = address(row, successor, fmt, base_url)
            store(Path(exports_dir), export, produce(row, successor, fmt, base_url))
        return label, None
    except RegistryError as exc:
        return label, exc.message
    except Exception as exc:  # a failure of one file must not stop the others; it is reported at the end
        return label, f"{type(exc).__name__}: {exc}"


@lru_cache(maxsize=4)
def _worker_engine(url: str, pid: int):
    """One engine per process: a pool process forked from one that rendered exports itself must not
    use the connections it inherited (they belong to the parent, and sharing them corrupts both)."""
    from ..db import make_engine

    del pid  # part of the cache key only
    return make_engine(url)


def export_all(engine, exports_dir: Path, *, formats: Iterable[str] = tuple(FORMATS), base_url: str,
               jobs: int | None = None, progress: Callable[[int, int], None] | None = None) -> ExportReport:
    """Render every missing export of every version, on ``jobs`` processes; failures are collected."""
    formats = list(formats)
    todo, fresh = _plan(engine, exports_dir, formats, base_url)
    report = ExportReport(skipped=fresh)
    url = engine.url.render_as_string(hide_password=False)
    jobs = jobs or os.cpu_count() or 1
    done = 0
    if progress:
        progress(0, len(todo))
    for label, error in _run(todo, jobs, url, str(exports_dir), base_url):
        done += 1
        if error is None:
            report.rendered += 1
        else:
            report.failures.append((label, error))
        if progress:
            progress(done, len(todo))
    return report


def _run(todo: list, jobs: int, url: str, exports_dir: str, base_url: str) -> Iterator[tuple[str, str | None]]:
    if jobs == 1 or len(todo) <= 1:
        for version_id, fmt in todo:
            yield _render_one(url, exports_dir, version_id, fmt, base_url)
        return
    # PDFs first: they are the long tasks, and starting them early balances the two queues
    ordered = sorted(todo, key=lambda item: item[1] != "pdf")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_render_one, url, exports_dir, vid, fmt, base_url) for vid, fmt in ordered]
        for future in as_completed(futures):
            yield future.result()
