"""Which version of a standard is in force on a day: the catalog's facts laid out by the time model.

Every reader that shows a version's standing (pages, downloads, verification, the feed, CASE,
search) gets it here, from :class:`registry.lifecycle.Timeline` and the registry's clock; nothing
stores a standing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from ..clock import Clock
from ..errors import NotFound
from ..lifecycle import Standing, Timeline, VersionFacts
from ..models import Standard, StandardVersion

#: the columns the time model needs, and what a listing shows; no source or document
LIGHT_COLUMNS = (StandardVersion.id, StandardVersion.code, StandardVersion.version, StandardVersion.major,
                 StandardVersion.minor, StandardVersion.sha256, StandardVersion.published_at,
                 StandardVersion.effective_from, StandardVersion.effective_until, StandardVersion.withdrawn_at,
                 StandardVersion.withdrawn_reason, StandardVersion.published_by, StandardVersion.bump_reason)


def facts(row: Any, clock: Clock) -> VersionFacts:
    """The time model's facts of a catalog row (a ``StandardVersion`` or a row of :data:`LIGHT_COLUMNS`)."""
    return VersionFacts(row.version, row.effective_from, row.effective_until, clock.day_of(row.published_at),
                        row.withdrawn_at, row.withdrawn_reason)


@dataclass
class History:
    """One standard's versions (lowest number first) and their standings on ``day``."""

    code: str
    rows: list[Any]
    timeline: Timeline
    day: date

    def row(self, version: str) -> Any:
        for row in self.rows:
            if row.version == version:
                return row
        raise NotFound(f"no version {version!r} of standard {self.code!r}")

    def standing(self, version: str) -> Standing:
        self.row(version)  # NotFound for a version the standard lacks
        return self.timeline.standing(version, self.day)

    def _row_of(self, found: VersionFacts | None) -> Any:
        return self.row(found.version) if found is not None else None

    def in_force(self) -> Any:
        """The row of the version in force on ``day``, or None."""
        return self._row_of(self.timeline.in_force(self.day))

    def default(self) -> Any:
        """The row a reader is shown first (see :meth:`Timeline.default`), or None without versions."""
        return self._row_of(self.timeline.default(self.day))

    def upcoming(self) -> list[Any]:
        return [self.row(f.version) for f in self.timeline.upcoming(self.day)]

    def successor(self, version: str) -> Any:
        """The row of the version that supersedes ``version`` (now or later), or None."""
        name = self.standing(version).successor
        return self.row(name) if name else None

    def standings(self) -> dict[str, Standing]:
        return self.timeline.standings(self.day)


def history_of(code: str, rows: Iterable[Any], clock: Clock, day: date) -> History:
    """The history of ``code`` from rows already read (light or whole)."""
    ordered = sorted(rows, key=lambda r: (r.major, r.minor))
    return History(code, ordered, Timeline(facts(r, clock) for r in ordered), day)


def history(session: Session, code: str, clock: Clock, day: date | None = None, *, full: bool = False) -> History:
    """The versions of ``code`` and their standings on ``day`` (today by default). ``full`` loads
    whole ``StandardVersion`` rows (documents and sources); otherwise :data:`LIGHT_COLUMNS` only.
    NotFound for an unknown standard; a standard without versions has an empty history."""
    if session.get(Standard, code) is None:
        raise NotFound(f"no standard with code {code!r}")
    query = select(StandardVersion) if full else select(*LIGHT_COLUMNS)
    rows = list(session.exec(query.where(StandardVersion.code == code)))
    return history_of(code, rows, clock, day or clock.today())


def histories(session: Session, codes: Sequence[str] | None, clock: Clock,
              day: date | None = None) -> dict[str, History]:
    """Light histories of several standards at once (every standard when ``codes`` is None)."""
    query = select(*LIGHT_COLUMNS)
    if codes is not None:
        if not codes:
            return {}
        query = query.where(StandardVersion.code.in_(list(codes)))  # type: ignore[attr-defined]
    grouped: dict[str, list[Any]] = {}
    for row in session.exec(query):
        grouped.setdefault(row.code, []).append(row)
    day = day or clock.today()
    return {code: history_of(code, rows, clock, day) for code, rows in grouped.items()}
