"""The time model through the whole registry: histories of publications and withdrawals generated
by Hypothesis are made through the catalog's own services, then asked about through the JSON API on
random days (the app's clock moved there). ``latest`` must equal ``?as_of=<today>``, a standard that
exists never answers 404, and every answer agrees with ``registry.lifecycle`` on the stored facts."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.clock import Clock
from registry.db import read_session, write_session
from registry.lifecycle import Timeline
from registry.loader import load_bytes
from registry.services import catalog, standing
from registry.services.context import SYSTEM

from .conftest import VALID, close_app, make_test_app

EXAMPLE = (VALID / "example.yaml").read_text("utf-8")
BASE = date(2026, 12, 5)
_codes = itertools.count(1)


def document(code: str, version: str, start: date | None, until: date | None) -> bytes:
    text = re.sub(r'(?m)^version: "1.0"', f'version: "{version}"', EXAMPLE, count=1)
    text = re.sub(r"(?m)^code: 2-02-38-02", f"code: {code}", text, count=1)
    dates = (f'  effective_from: "{start}"\n' if start else "") + (f'  effective_until: "{until}"\n' if until else "")
    return text.replace('  effective_from: "2021-10-01"\n', dates, 1).encode("utf-8")


days = st.integers(-1500, 1500).map(lambda n: BASE + timedelta(days=n))


@st.composite
def histories(draw):
    """Versions in the order they are published (any order of numbers), with dates stated or not in the
    past and the future, and which of them a registrar then withdraws."""
    numbers = draw(st.lists(st.sampled_from(["1.0", "1.1", "1.2", "2.0", "2.1", "3.0"]), min_size=1, max_size=4,
                            unique=True))
    versions = []
    for number in numbers:
        start = draw(st.none() | days)
        until = start + timedelta(days=draw(st.integers(0, 900))) if start and draw(st.booleans()) else None
        versions.append((number, start, until))
    withdrawn = draw(st.lists(st.sampled_from(numbers), unique=True, max_size=len(numbers)))
    return versions, withdrawn


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app on one SQLite catalog for every example (each example gets a standard of its own)."""
    folder = tmp_path_factory.mktemp("lifecycle")
    clock = Clock()
    app = make_test_app(f"sqlite:///{folder / 'registry.sqlite3'}", folder, clock=clock)
    yield app, clock
    close_app(app)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories(), st.lists(days, min_size=1, max_size=5))
def test_latest_is_as_of_today_and_a_standard_never_answers_404(world, history, asked):
    app, clock = world
    engine, client = app.extensions["registry.engine"], app.test_client()
    n = next(_codes)
    code = f"9-99-{n // 100:02d}-{n % 100:02d}"
    versions, withdrawn = history
    for number, start, until in versions:
        with write_session(engine) as session:
            catalog.publish(session, load_bytes(document(code, number, start, until)), SYSTEM, bump_reason="test")
    for number in withdrawn:
        with write_session(engine) as session:
            catalog.withdraw(session, code, number, SYSTEM, "published in error")
    with read_session(engine) as session:
        rows = standing.history(session, code, clock).rows
    model = Timeline(standing.facts(row, clock) for row in rows)

    for day in asked:
        clock.set(day)
        expected = model.in_force(day)
        detail = client.get(f"/api/v1/standards/{code}").get_json()
        latest = client.get(f"/api/v1/standards/{code}/latest")
        as_of = client.get(f"/api/v1/standards/{code}", query_string={"as_of": day.isoformat()}).get_json()
        assert latest.status_code == 302  # never a 404 for a standard that exists
        if expected is None:
            assert latest.headers["Location"].endswith(f"/api/v1/standards/{code}")
            assert detail["in_force"] is None and as_of["in_force"] is None
        else:
            assert latest.headers["Location"].endswith(f"/versions/{expected.version}")
            assert detail["in_force"]["version"] == as_of["in_force"]["version"] == expected.version
        for version in detail["versions"]:
            mine = version["standing"]
            assert mine["standing"] == model.standing(version["version"], day).state
            assert (version["version"] in withdrawn) == (mine["standing"] == "withdrawn")
            if mine["in_force_from"] and mine["in_force_until"]:
                assert mine["in_force_from"] <= mine["in_force_until"]  # no window ends before it starts
            stated = dict((v, s) for v, s, _ in versions)[version["version"]]
            assert version["effective_from"] == (stated.isoformat() if stated else None)  # nothing invented
        page = client.get(f"/standards/{code}")
        assert page.status_code == 200
        if expected is None:
            assert "No version of this standard is in force today." in page.get_data(as_text=True)
