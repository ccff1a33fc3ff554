"""Exports of versions (PDF, HTML, CSV, JSON, YAML, CASE), cached in REGISTRY_EXPORTS_DIR.

A file is addressed by what shapes its bytes: the source sha256 and, for the formats that print
a status, the template version and the status itself (a superseded PDF says so on every page).
So a cached file is never stale: a new template or a new status simply gives a new address.
Files are written atomically (temporary file, fsync, rename): a crash never leaves half a PDF.

Besides the content-addressed files, ``standards/<code>/<version>.<ext>`` under the exports
folder always holds the current rendering, so the folder can be served by any web server.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlalchemy.orm import Session, load_only
from sqlmodel import select

from ..errors import NotFound, RegistryError
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
#: the columns an export address needs; the source and document are loaded only to render
ADDRESS_COLUMNS = (StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.sha256,
                   StandardVersion.status, StandardVersion.successor_id, StandardVersion.withdrawn_reason,
                   StandardVersion.withdrawn_at, StandardVersion.published_at, StandardVersion.effective_from,
                   StandardVersion.effective_until)


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

    @property
    def relpath(self) -> Path:
        return Path("files") / self.code / self.version / f"{self.sha256[:20]}-{self.variant}{FORMATS[self.fmt].suffix}"

    @property
    def mirror_relpath(self) -> Path:
        return Path("standards") / self.code / f"{self.version}{FORMATS[self.fmt].suffix}"

    @property
    def etag(self) -> str:
        return f"{self.sha256}-{self.variant}"

    @property
    def filename(self) -> str:
        return f"{self.code}-{self.version}{FORMATS[self.fmt].suffix}"

    @property
    def media_type(self) -> str:
        return FORMATS[self.fmt].media_type


def address(row: StandardVersion, successor: StandardVersion | None, fmt: str, base_url: str) -> Export:
    """The address of one export of one version, from catalog columns only (no rendering)."""
    spec = FORMATS[fmt]
    parts = [fmt, "r1"]
    if spec.rendered:
        parts.append(_template_version())
    if spec.shows_status:
        parts += [row.status, successor.version if successor else "", row.withdrawn_reason or "", base_url]
    variant = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
    return Export(row.code, row.version, fmt, row.sha256, variant)


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


def locate(session: Session, code: str, version: str, fmt: str, base_url: str) -> Export:
    row = _version_row(session, code, version)
    return address(row, _successor(session, row), fmt, base_url)


def ensure(session: Session, exports_dir: Path, code: str, version: str, fmt: str, base_url: str) -> tuple[Export, Path]:
    """Return the export's file, rendering and storing it first when it is not cached yet."""
    export = locate(session, code, version, fmt, base_url)
    path = exports_dir / export.relpath
    if not path.exists():
        full = session.get(StandardVersion, _version_row(session, code, version).id)
        data = produce(full, _successor(session, full), fmt, base_url)
        store(exports_dir, export, data)
    return export, path


def produce(row: StandardVersion, successor: StandardVersion | None, fmt: str, base_url: str) -> bytes:
    """Render one export of a version (the expensive part, no caching)."""
    if fmt in ("pdf", "html"):
        from ..render import StatusInfo, render_html, render_standard_pdf

        info = StatusInfo.for_version(row, base_url, successor=successor)
        if fmt == "html":
            return render_html(row.document, status_info=info, standalone=True).encode("utf-8")
        return render_standard_pdf(row.document, source=row.source, status_info=info)
    from ..exports import VersionInfo, render

    info = VersionInfo.from_version(row, successor_version=successor.version if successor else None)
    return render(fmt, row.document, row.source, info, base_url=base_url)


def store(exports_dir: Path, export: Export, data: bytes) -> Path:
    """Write the file and its mirror atomically: readers see the old file or the new one, never half."""
    path = exports_dir / export.relpath
    _atomic_write(path, data)
    _atomic_write(exports_dir / export.mirror_relpath, data)
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
                if (exports_dir / export.relpath).exists():
                    fresh += 1
                else:
                    todo.append((row.id, fmt))
    return todo, fresh


def _render_one(url: str, exports_dir: str, version_id: int, fmt: str, base_url: str) -> tuple[str, str | None]:
    """Worker: render and store one export; returns (label, error or None). Runs in a pool process."""
    from ..db import make_engine, read_session

    engine = _worker_engine(url)
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
def _worker_engine(url: str):
    from ..db import make_engine

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
