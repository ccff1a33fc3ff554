"""``registry export --all``: every missing file of every version (and of every level of it, for the
level rows of the table), on all cores, failures listed.

Each file is addressed, rendered and recorded exactly as a download would do it
(``services.exports``), for the standings of the day the export runs; the plain copies of the
folder are written again where they went missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from ..clock import Clock
from ..db import read_session
from ..errors import RegistryError
from ..exports.formats import FORMATS, LEVEL
from ..exports.info import VersionInfo
from .exports import address, issue
from .files import atomic_write
from .standing import histories


@dataclass
class ExportReport:
    rendered: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


def _infos(engine, clock: Clock, day: date, base_url: str) -> Iterator[tuple[int, VersionInfo]]:
    """(version id, what its files print on ``day``) for every version, by code."""
    with read_session(engine) as session:
        found = histories(session, None, clock, day)
    for code in sorted(found):
        hist = found[code]
        for row in hist.rows:
            yield row.id, VersionInfo.of_version(row, hist.standing(row.version), base_url, day=day)


def _plan(engine, clock: Clock, day: date, exports_dir: Path, formats: Iterable[str],
          base_url: str) -> tuple[list, int]:
    """Every (version id, format) whose file is missing, and how many are up to date."""
    todo, fresh = [], 0
    formats = list(formats)
    with_levels = any(FORMATS[fmt].scope == LEVEL for fmt in formats)
    for version_id, info in _infos(engine, clock, day, base_url):
        level_scopes = _scopes(engine, version_id) if with_levels else []
        for fmt, scope in ((name, scope) for name in formats
                           for scope in (level_scopes if FORMATS[name].scope == LEVEL else [None])):
            export = address(info, fmt, scope=scope)
            path = exports_dir / export.relpath
            if path.exists():
                fresh += 1
                copy = exports_dir / export.mirror_relpath
                if export.mirrored and not copy.exists():  # see plain_copies.forget_status_copies
                    atomic_write(copy, path.read_bytes())
            else:
                todo.append((version_id, fmt, info, scope))
    return todo, fresh


def _scopes(engine, version_id: int) -> list:
    """The levels (and directions) of a version's document (registry.levels.scopes)."""
    from ..levels import scopes
    from ..models import StandardVersion

    with read_session(engine) as session:
        return scopes(session.get(StandardVersion, version_id).document)


def _render_one(url: str, exports_dir: str, version_id: int, fmt: str, info: VersionInfo,
                scope=None) -> tuple[str, str | None]:
    """Worker: render, record and store one file; returns (label, error or None). Runs in a pool process."""
    engine = _worker_engine(url, os.getpid())
    label = f"{info.code} {info.version} {fmt}" + (f" {scope.key}" if scope is not None else "")
    try:
        issue(engine, Path(exports_dir), version_id, info, address(info, fmt, scope=scope))
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


#: what ``registry export --all`` renders unless told otherwise: the files of whole versions (the level
#: rows, one file per level, direction and document, are rendered when asked for with ``--format``)
DEFAULT_FORMATS = tuple(name for name, spec in FORMATS.items() if spec.scope != LEVEL)


def export_all(engine, exports_dir: Path, *, clock: Clock, formats: Iterable[str] = DEFAULT_FORMATS, base_url: str,
               jobs: int | None = None, progress: Callable[[int, int], None] | None = None) -> ExportReport:
    """Render every missing file of every version, on ``jobs`` processes; failures are collected."""
    formats = list(formats)
    day = clock.today()  # one day for the whole run, even across midnight
    todo, fresh = _plan(engine, clock, day, exports_dir, formats, base_url)
    report = ExportReport(skipped=fresh)
    url = engine.url.render_as_string(hide_password=False)
    jobs = jobs or os.cpu_count() or 1
    done = 0
    if progress:
        progress(0, len(todo))
    for label, error in _run(todo, jobs, url, str(exports_dir)):
        done += 1
        if error is None:
            report.rendered += 1
        else:
            report.failures.append((label, error))
        if progress:
            progress(done, len(todo))
    return report


def _run(todo: list, jobs: int, url: str, exports_dir: str) -> Iterator[tuple[str, str | None]]:
    if jobs == 1 or len(todo) <= 1:
        for task in todo:
            yield _render_one(url, exports_dir, *task)
        return
    # PDFs first: they are the long tasks, and starting them early balances the two queues
    ordered = sorted(todo, key=lambda task: not task[1].endswith("pdf"))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_render_one, url, exports_dir, *task) for task in ordered]
        for future in as_completed(futures):
            yield future.result()
