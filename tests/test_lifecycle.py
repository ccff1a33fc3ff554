"""The time model (registry/lifecycle.py) against the rules of docs/lifecycle.md, as properties of
generated histories: versions published in any order, with dates stated or not, in the past and the
future, some withdrawn, asked about on any day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import lifecycle
from registry.lifecycle import (
    EXPIRED,
    IN_FORCE,
    START_NOT_STATED,
    START_PUBLICATION,
    START_STATED,
    SUPERSEDED,
    UPCOMING,
    WITHDRAWN,
    Timeline,
    TransitionRefused,
    VersionFacts,
    next_state,
)
from registry.vocabulary import DRAFT_STATE_NAMES, STANDING_NAMES

BASE = date(2024, 1, 1)
days = st.integers(min_value=-2000, max_value=2000).map(lambda n: BASE + timedelta(days=n))


@st.composite
def histories(draw) -> list[VersionFacts]:
    """Up to six versions of one standard: distinct numbers, each with a start stated or not, maybe a
    last day (never before its start: the validator's date-order rule), a publication day, and
    maybe withdrawn."""
    numbers = draw(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 3)), min_size=1, max_size=6, unique=True))
    found = []
    for major, minor in numbers:
        start = draw(st.none() | days)
        until = draw(st.none() | st.integers(0, 1500)) if start else draw(st.none() | days)
        if start is not None and until is not None:
            until = start + timedelta(days=until)
        published = draw(days)
        withdrawn = draw(st.booleans()) and draw(st.booleans())  # about one in four
        found.append(VersionFacts(
            f"{major}.{minor}", start, until, published,
            datetime(published.year, published.month, published.day, 12) if withdrawn else None,
            "published in error" if withdrawn else None))
    return found


@settings(max_examples=400, deadline=None)
@given(histories(), st.lists(days, min_size=1, max_size=8))
def test_at_most_one_version_is_in_force_and_the_answers_agree(versions, asked):
    timeline = Timeline(versions)
    for day in asked:
        standings = timeline.standings(day)
        in_force = [v for v, s in standings.items() if s.state == IN_FORCE]
        assert len(in_force) <= 1
        found = timeline.in_force(day)
        assert in_force == ([found.version] if found else [])


@settings(max_examples=400, deadline=None)
@given(histories(), st.lists(days, min_size=1, max_size=8))
def test_a_withdrawn_version_is_never_in_force_and_supersedes_nothing(versions, asked):
    with_them, without = Timeline(versions), Timeline([v for v in versions if not v.withdrawn])
    for day in asked:
        for facts in versions:
            standing = with_them.standing(facts.version, day)
            if facts.withdrawn:
                assert standing.state == WITHDRAWN and with_them.in_force(day) != facts
            else:  # the others stand exactly as if the withdrawn versions had never been published
                assert standing == without.standing(facts.version, day)
                assert standing.successor not in {v.version for v in versions if v.withdrawn}


@settings(max_examples=400, deadline=None)
@given(histories(), st.lists(days, min_size=1, max_size=8))
def test_each_standing_means_what_it_says(versions, asked):
    timeline = Timeline(versions)
    number = {v.version: v.number for v in versions}
    for day in asked:
        for facts in versions:
            s = timeline.standing(facts.version, day)
            if s.state == UPCOMING:  # listed with its start date, and in force from that day
                assert s.start is not None and s.start > day
                assert timeline.in_force(s.start) == facts
            elif s.state == SUPERSEDED:  # by a later version, from a day that has come (or before it began)
                assert number[s.successor] > facts.number
                assert s.never_in_force or (s.superseded_from is not None and s.superseded_from <= day)
            elif s.state == EXPIRED:  # its own last day has passed, and nothing later has started
                if not s.never_in_force:  # (one that ended before it began takes no one's place)
                    assert s.end is not None and s.end < day and timeline.in_force(day) is None
            elif s.state == IN_FORCE:
                assert (s.start is None or s.start <= day) and (s.end is None or day <= s.end)


@settings(max_examples=400, deadline=None)
@given(histories(), days, days)
def test_no_window_ends_before_it_starts_and_no_date_is_invented(versions, day, other):
    timeline = Timeline(versions)
    live = sorted((v for v in versions if not v.withdrawn), key=lambda v: v.number)
    for facts in versions:
        s = timeline.standing(facts.version, day)
        if s.start is not None and s.end is not None:
            assert s.end >= s.start
        if s.never_in_force:
            assert s.end is None and s.state in (SUPERSEDED, EXPIRED)
        if facts.withdrawn:
            continue
        # a start is the stated one, or said to be unstated: the publication day only for a later version
        if facts.effective_from is not None:
            assert (s.start, s.start_basis) == (facts.effective_from, START_STATED)
        elif facts is live[0]:
            assert (s.start, s.start_basis) == (None, START_NOT_STATED)
        else:
            assert (s.start, s.start_basis) == (facts.published_on, START_PUBLICATION)
        # everything a stamp prints, but the state, is the same whatever the day
        assert s.key().split("|", 1)[1] == timeline.standing(facts.version, other).key().split("|", 1)[1]


@settings(max_examples=300, deadline=None)
@given(histories(), days)
def test_standings_only_change_on_the_days_the_timeline_names(versions, day):
    timeline = Timeline(versions)
    change = timeline.changes_after(day)
    quiet_until = change - timedelta(days=1) if change else day + timedelta(days=3000)
    step = max(1, (quiet_until - day).days // 7)
    probe = day
    while probe <= quiet_until:
        assert timeline.standings(probe) == timeline.standings(day)
        probe += timedelta(days=step)
    if change:
        assert timeline.standings(change) != timeline.standings(change - timedelta(days=1))


def test_a_version_announced_for_later_leaves_the_current_one_in_force():
    """The ordinary case that used to go wrong: 2.0 published today, in force from next June."""
    today, june = date(2026, 12, 5), date(2027, 6, 1)
    timeline = Timeline([VersionFacts("1.1", date(2022, 7, 1), None, date(2022, 6, 1)),
                         VersionFacts("2.0", june, None, today)])
    now = timeline.standing("1.1", today)
    assert now.state == IN_FORCE and (now.successor, now.superseded_from, now.end) == ("2.0", june, date(2027, 5, 31))
    assert timeline.standing("2.0", today).state == UPCOMING
    assert timeline.in_force(june).version == "2.0" and timeline.standing("1.1", june).state == SUPERSEDED


def test_withdrawing_the_newest_version_returns_the_standard_to_the_one_before():
    versions = [VersionFacts("1.0", date(2021, 9, 29)),
                VersionFacts("2.0", date(2025, 1, 1), withdrawn_at=datetime(2026, 12, 5), withdrawn_reason="error")]
    timeline = Timeline(versions)
    assert timeline.in_force(date(2026, 12, 5)).version == "1.0"
    back = timeline.standing("1.0", date(2026, 12, 5))
    assert back.state == IN_FORCE and back.end is None and back.successor is None


def test_a_later_version_without_a_date_starts_at_its_publication_and_keeps_the_history():
    timeline = Timeline([VersionFacts("1.0", date(2021, 9, 29), None, date(2026, 1, 5)),
                         VersionFacts("2.0", None, None, date(2026, 12, 5))])
    assert timeline.in_force(date(2023, 1, 1)).version == "1.0"
    assert timeline.in_force(date(2026, 12, 5)).version == "2.0"
    assert timeline.standing("2.0", date(2026, 12, 5)).start_basis == START_PUBLICATION


def test_a_stated_last_day_ends_the_version_and_nothing_replaces_it():
    timeline = Timeline([VersionFacts("1.0", date(2021, 1, 1), date(2025, 12, 31))])
    assert timeline.standing("1.0", date(2025, 12, 31)).state == IN_FORCE
    assert timeline.standing("1.0", date(2026, 1, 1)).state == EXPIRED
    assert timeline.in_force(date(2026, 1, 1)) is None


def test_draft_transitions_are_the_table():
    assert next_state("submit", "draft") == "submitted"
    assert next_state("submit", "changes-requested") == "submitted"
    assert next_state("approve", "submitted") == "approved"
    assert next_state("request-changes", "submitted") == "changes-requested"
    assert next_state("publish-draft", "approved") == "published"
    for action, (allowed, _) in lifecycle.DRAFT_TRANSITIONS.items():
        for state in set(lifecycle.DRAFT_STATES) - set(allowed):
            with pytest.raises(TransitionRefused):
                next_state(action, state)


def test_every_state_has_a_name_in_each_interface_language():
    """A new standing or draft state is not done until people can read it."""
    for names, states in ((STANDING_NAMES, lifecycle.STANDINGS), (DRAFT_STATE_NAMES, lifecycle.DRAFT_STATES)):
        assert set(names) == set(states)
        assert all(names[state].get("zh") and names[state].get("en") for state in states)
