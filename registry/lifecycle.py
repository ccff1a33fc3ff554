"""The lifecycle of standards: the states of a draft, and the standing of a published version on a day.

This is the one home of the registry's time model (the rules are written out in
``docs/lifecycle.md``). It is pure: it knows no database, no web framework and no clock. The
catalog stores facts (a version's number, the dates its document states, when it was published,
when and why it was withdrawn); a version's standing on a day is always derived here from those
facts, never stored. Every reader (pages, badges, the printed status stamp, ``latest`` and
``?as_of=``, verification, the feed, CASE, CSV, search) asks :class:`Timeline`.

The rules, in short:

* A withdrawn version is void: it is never in force and supersedes nothing, on any day.
* The other versions are ordered by version number. A version starts on the date its document
  states (``provenance.effective_from``); one that states none is taken as started, with its start
  shown as "not stated" (never an invented date).
* On a day, the version in force is the highest-numbered version that has started, unless that
  version is past the last day its document states (``provenance.effective_until``): then none is.
  So a later version supersedes the earlier ones from the day it starts, and a version published
  today that starts next year leaves the current one in force until then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# --- drafts -----------------------------------------------------------------------------------------

DRAFT = "draft"
SUBMITTED = "submitted"
CHANGES_REQUESTED = "changes-requested"
APPROVED = "approved"
PUBLISHED = "published"
#: every state of a draft, in the order a draft goes through them
DRAFT_STATES = (DRAFT, SUBMITTED, CHANGES_REQUESTED, APPROVED, PUBLISHED)
#: the states in which the standards body may still edit its draft
EDITABLE = (DRAFT, CHANGES_REQUESTED)

#: action -> (states it may start from, state it leads to). An edit returns a draft to ``draft``.
DRAFT_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "draft-update": (EDITABLE, DRAFT),
    "submit": (EDITABLE, SUBMITTED),
    "request-changes": ((SUBMITTED,), CHANGES_REQUESTED),
    "approve": ((SUBMITTED,), APPROVED),
    "publish-draft": ((APPROVED,), PUBLISHED),
}


#: what the public audit trail shows of a standard's life: the steps of its drafts, its publications and
#: withdrawals, and changes of keeper ("supersede" events come from catalogs of releases that stored
#: supersession; it is derived now)
PUBLIC_ACTIONS = ("draft-create", *DRAFT_TRANSITIONS, "comment", "publish", "withdraw", "assign", "supersede")


class TransitionRefused(Exception):
    """The lifecycle does not allow ``action`` from ``state`` (the services raise their own error)."""

    def __init__(self, action: str, state: str, allowed: tuple[str, ...]):
        super().__init__(f"{action} needs a draft that is {' or '.join(allowed)}, not {state}")
        self.action, self.state, self.allowed = action, state, allowed


def next_state(action: str, state: str) -> str:
    """The state a draft in ``state`` moves to by ``action``; raises :class:`TransitionRefused`."""
    allowed, target = DRAFT_TRANSITIONS[action]
    if state not in allowed:
        raise TransitionRefused(action, state, allowed)
    return target


# --- published versions -----------------------------------------------------------------------------

UPCOMING = "upcoming"
IN_FORCE = "in-force"
SUPERSEDED = "superseded"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"
#: every standing a published version can have on a day
STANDINGS = (UPCOMING, IN_FORCE, SUPERSEDED, EXPIRED, WITHDRAWN)
#: what a draft shows where a version shows its standing (the printed DRAFT watermark)
DRAFT_STANDING = DRAFT


def parse_number(version: str) -> tuple[int, int]:
    """``"2.10"`` -> ``(2, 10)``: versions compare by number, not as strings."""
    major, minor = version.split(".")
    return int(major), int(minor)


#: how a version's first day in force is known (:attr:`Standing.start_basis`)
START_STATED = "stated"  # its document states it
START_PUBLICATION = "publication"  # its document states none: the day it was published in this registry
START_NOT_STATED = "not-stated"  # the first version of a standard, stating none: in force before any other


@dataclass(frozen=True)
class VersionFacts:
    """What the catalog records about one published version, and all the time model needs.

    ``effective_from`` and ``effective_until`` are the dates the document states (its first day in
    force and its last day, both inclusive), or None where it states none. ``published_on`` is the
    day it was published in this registry, in the registry's time zone.
    """

    version: str
    effective_from: date | None = None
    effective_until: date | None = None
    published_on: date | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None

    @property
    def number(self) -> tuple[int, int]:
        return parse_number(self.version)

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True)
class Standing:
    """A version's standing on a day, and the facts that explain it.

    Everything but ``state`` is independent of the day asked about, so two days with the same
    ``state`` give equal standings: a file that prints a standing can be cached under it.

    ``start``: its first day in force (None: not stated, and nothing says when: see ``start_basis``).
    ``end``: its last day in force (inclusive): the day before its successor starts, or the last day
    its document states, whichever is earlier; None while open-ended.
    ``successor``: the version that supersedes it (already, or from ``superseded_from``).
    ``never_in_force``: a later version starts no later than this one would, so it never applies.
    """

    version: str
    state: str
    start: date | None = None
    start_basis: str = START_STATED
    end: date | None = None
    successor: str | None = None
    superseded_from: date | None = None
    never_in_force: bool = False
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None

    @property
    def in_force(self) -> bool:
        return self.state == IN_FORCE

    def key(self) -> str:
        """A short, stable text of everything a printed stamp shows (part of a cached file's address)."""
        parts = (self.state, _iso(self.start), self.start_basis, _iso(self.end), self.successor or "",
                 _iso(self.superseded_from), "never" if self.never_in_force else "", self.withdrawn_reason or "")
        return "|".join(parts)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


_DAY = timedelta(days=1)


@dataclass(frozen=True)
class _Window:
    """A version's days in force: from ``start`` (None: from before any other version) to ``end``
    (None: open-ended), both inclusive; ``empty`` when a later version overtakes it first."""

    facts: VersionFacts
    start: date | None
    start_basis: str
    end: date | None
    successor: _Window | None
    overtaken: bool  # a later version starts no later than this one would
    ended_early: bool  # its own last day comes before its start

    @property
    def empty(self) -> bool:
        return self.overtaken or self.ended_early

    def contains(self, day: date) -> bool:
        return not self.empty and (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class Timeline:
    """The versions of one standard laid out in time (see the module for the rules)."""

    def __init__(self, versions: Iterable[VersionFacts]):
        self.versions = sorted(versions, key=lambda v: v.number)
        live = [v for v in self.versions if not v.withdrawn]
        starts = [_start(v, first=i == 0) for i, v in enumerate(live)]
        windows: list[_Window] = []
        for i in reversed(range(len(live))):  # latest first: each window needs the later ones
            windows.insert(0, _window(live[i], *starts[i], windows))
        self._windows = {w.facts.version: w for w in windows}

    def __iter__(self):
        return iter(self.versions)

    def facts(self, version: str) -> VersionFacts:
        for facts in self.versions:
            if facts.version == version:
                return facts
        raise KeyError(version)

    def standing(self, version: str, day: date) -> Standing:
        """The standing of ``version`` on ``day``; KeyError for a version this timeline lacks."""
        facts = self.facts(version)
        if facts.withdrawn:
            return Standing(version, WITHDRAWN, start=facts.effective_from,
                            start_basis=START_STATED if facts.effective_from else START_NOT_STATED,
                            withdrawn_at=facts.withdrawn_at, withdrawn_reason=facts.withdrawn_reason)
        window = self._windows[version]
        successor = window.successor
        superseded_from = successor.start if successor is not None else None
        common = dict(start=window.start, start_basis=window.start_basis, end=window.end,
                      never_in_force=window.empty, superseded_from=superseded_from,
                      successor=successor.facts.version if successor is not None else None)
        if window.contains(day):
            return Standing(version, IN_FORCE, **common)
        # its successor has started, or starts before this version would have
        if window.overtaken or (successor is not None and (superseded_from is None or superseded_from <= day)):
            return Standing(version, SUPERSEDED, **common)
        if window.start is not None and day < window.start and not window.ended_early:
            return Standing(version, UPCOMING, **common)
        return Standing(version, EXPIRED, **common)

    def standings(self, day: date) -> dict[str, Standing]:
        return {facts.version: self.standing(facts.version, day) for facts in self.versions}

    def in_force(self, day: date) -> VersionFacts | None:
        """The version in force on ``day``, or None when no version is."""
        for window in self._windows.values():
            if window.contains(day):
                return window.facts
        return None

    def upcoming(self, day: date) -> list[VersionFacts]:
        """The versions that will come into force after ``day``, soonest first."""
        found = [w for w in self._windows.values() if not w.empty and w.start is not None and w.start > day]
        return [w.facts for w in sorted(found, key=lambda w: w.start)]

    def default(self, day: date) -> VersionFacts | None:
        """The version a reader is shown first: the one in force, else the next to come into force,
        else the latest that is not withdrawn, else the latest."""
        live = [v for v in self.versions if not v.withdrawn]
        return self.in_force(day) or next(iter(self.upcoming(day)), None) or (live or self.versions or [None])[-1]

    def changes_after(self, day: date) -> date | None:
        """The first day after ``day`` on which some standing changes (to cache until then), or None."""
        windows = [w for w in self._windows.values() if not w.empty]
        days = {w.start for w in windows if w.start is not None} | {w.end + _DAY for w in windows if w.end is not None}
        return min((d for d in days if d > day), default=None)


def _start(facts: VersionFacts, *, first: bool) -> tuple[date | None, str]:
    """A version's first day in force and how it is known. Where the document states none, the
    first version of a standard is taken as in force before any other (from a day nobody stated);
    a later one from its publication in this registry, so that it never rewrites the time its
    predecessor was in force."""
    if facts.effective_from is not None:
        return facts.effective_from, START_STATED
    if first or facts.published_on is None:
        return None, START_NOT_STATED
    return facts.published_on, START_PUBLICATION


def _window(facts: VersionFacts, start: date | None, basis: str, later: list[_Window]) -> _Window:
    # the later version that starts first ends this one (an unbounded start is the earliest; ties:
    # the lower number, which comes first in ``later``)
    successor = min((w for w in later if not w.empty), key=lambda w: w.start or date.min, default=None)
    ends = [facts.effective_until]
    overtaken = False
    if successor is not None:
        if successor.start is None or (start is not None and successor.start <= start):
            overtaken = True
        else:
            ends.append(successor.start - _DAY)
    known = [day for day in ends if day is not None]
    end = min(known) if known else None
    ended_early = not overtaken and end is not None and start is not None and end < start
    return _Window(facts, start, basis, None if overtaken or ended_early else end, successor, overtaken, ended_early)
