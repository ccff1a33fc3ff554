"""Time passes without a publish: the day a version announced for later comes into force, every
reader shows it in force, in every app process, without a restart and without a write.

The apps run on a clock the test moves (``registry.clock.Clock``): nothing sleeps."""

from __future__ import annotations

import hashlib
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.clock import Clock
from registry.db import make_engine, read_session, write_session
from registry.loader import load_bytes
from registry.models import ChangeLog, SQLModel
from registry.services import catalog
from registry.services.context import SYSTEM
from registry.services.plain_copies import Seen

from .conftest import STANDARDS, close_app, make_test_app

CODE = "2-02-38-03"  # 1.0 (no start stated) and 1.1 (in force from 2022-07-01) in the corpus
BEFORE, START = date(2026, 12, 5), date(2027, 6, 1)


def announced_version() -> bytes:
    """1.2: 1.1 reworded, published today, in force from 1 June 2027."""
    source = (STANDARDS / CODE / "1.1.yaml").read_bytes()
    source = source.replace(b'\nversion: "1.1"', b'\nversion: "1.2"', 1)
    assert b'effective_from: "2022-07-01"' in source
    source = source.replace(b'effective_from: "2022-07-01"', f'effective_from: "{START}"'.encode(), 1)
    return source.replace("能".encode(), "能够".encode(), 1)


@pytest.fixture
def clock():
    clock = Clock()
    clock.set(BEFORE)
    return clock


@pytest.fixture
def apps(db_url, corpus, tmp_path, clock):
    """Two app processes' worth of apps on one catalog (each its own caches), on the same clock."""
    first = make_test_app(db_url, tmp_path / "one", clock=clock)
    second = make_test_app(db_url, tmp_path / "two", clock=clock)
    with write_session(first.extensions["registry.engine"]) as session:
        catalog.publish(session, load_bytes(announced_version()), SYSTEM)
    yield first, second
    close_app(first)
    close_app(second)


def fetch(client, url: str):
    """GET a download and close it (a file response holds its file open until closed)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def row_counts(engine) -> dict[str, int]:
    with read_session(engine) as session:
        return {table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
                for table in SQLModel.metadata.sorted_tables}


def standings(client) -> dict[str, str]:
    body = client.get(f"/api/v1/standards/{CODE}").get_json()
    return {v["version"]: v["status"] for v in body["versions"]}


def latest(client) -> str:
    return client.get(f"/api/v1/standards/{CODE}/latest").headers["Location"].rsplit("/", 1)[-1]


def test_an_announced_version_leaves_the_current_one_in_force_until_its_day(apps):
    app, _ = apps
    client = app.test_client()
    assert standings(client) == {"1.0": "superseded", "1.1": "in-force", "1.2": "upcoming"}
    assert latest(client) == "1.1"
    detail = client.get(f"/api/v1/standards/{CODE}/versions/1.2").get_json()["standing"]
    assert (detail["standing"], detail["in_force_from"]) == ("upcoming", "2027-06-01")
    page = client.get(f"/standards/{CODE}").get_data(as_text=True)
    assert 'data-status="in-force"' in page and "Version 1.2 takes its place on 2027-06-01." in page
    # the upcoming version is listed and downloadable, saying it is not yet in force
    announced = fetch(client, f"/standards/{CODE}/1.2.html").get_data(as_text=True)
    assert "Not yet in force" in announced and "2027-06-01" in announced
    verified = client.get("/api/v1/verify/" + hashlib.sha256((STANDARDS / CODE / "1.1.yaml").read_bytes())
                          .hexdigest()).get_json()
    assert verified["current"] and verified["superseded_by"] == "1.2" and verified["superseded_from"] == "2027-06-01"


def test_on_its_day_every_process_shows_it_in_force_without_a_write(apps, clock):
    app, other = apps
    engine = app.extensions["registry.engine"]
    client, other_client = app.test_client(), other.test_client()
    old_html = fetch(client, f"/standards/{CODE}/1.1.html")
    assert "status-banner" not in old_html.get_data(as_text=True).split("</head>")[1]
    assert latest(client) == latest(other_client) == "1.1"  # both processes have cached what they read

    clock.set(START)
    counts = row_counts(engine)
    for each in (client, other_client):
        assert standings(each) == {"1.0": "superseded", "1.1": "superseded", "1.2": "in-force"}
        assert latest(each) == "1.2"
        assert each.get(f"/standards/{CODE}/latest.pdf").headers["Location"].endswith(f"/{CODE}/1.2.pdf")
        page = each.get(f"/standards/{CODE}").get_data(as_text=True)
        assert 'data-version="1.2" data-status="in-force"' in page
        verified = each.get("/api/v1/verify/" + hashlib.sha256((STANDARDS / CODE / "1.1.yaml").read_bytes())
                            .hexdigest()).get_json()
        assert (verified["standing"], verified["current"], verified["in_force_version"]) == ("superseded", False,
                                                                                             "1.2")
        listed = {d["version"] for d in each.get("/ims/case/v1p1/CFDocuments").get_json()["CFDocuments"]
                  if d["extensions"]["registry"]["code"] == CODE}
        assert listed == {"1.2"}
    assert row_counts(engine) == counts  # reading pages, latest and verification wrote nothing

    # yesterday's "in force" copy is never served as today's: the standing is part of the address
    new_html = fetch(client, f"/standards/{CODE}/1.1.html")
    assert new_html.headers["ETag"] != old_html.headers["ETag"]
    text = new_html.get_data(as_text=True)
    assert "This version is superseded by" in text and "1.2 (自2027-06-01起)" in text
    # the only row a download adds is the ledger's record of the file it issued
    grown = {name: n - counts[name] for name, n in row_counts(engine).items() if n != counts[name]}
    assert grown == {"issued_file": 1}


def test_a_new_day_drops_the_plain_copies_whose_standing_changed(apps, clock, tmp_path):
    from registry.services.events import day_began
    from registry.services.watcher import StandingWatcher

    app, _ = apps
    client = app.test_client()
    for url in (f"/standards/{CODE}/1.1.html", f"/standards/{CODE}/1.1.csv", f"/standards/{CODE}/1.1.json",
                "/standards/4-04-05-05/2.0.html"):
        assert fetch(client, url).status_code == 200
    folder = tmp_path / "one" / "exports" / "standards"
    watcher = StandingWatcher(app.extensions["registry.engine"], clock)
    days = []
    day_began.connect(lambda _sender, **values: days.append(values), weak=False)
    try:
        watcher.check()  # the same day: nothing to do
        assert (folder / CODE / "1.1.html").exists() and days == []
        clock.set(START)
        watcher.check()
    finally:
        day_began.receivers.clear()
    assert days == [{"day": START, "codes": [CODE]}]
    assert not (folder / CODE / "1.1.html").exists()  # it printed "in force"
    assert not (folder / CODE / "1.1.csv").exists()  # its standing column said "in-force"
    assert (folder / CODE / "1.1.json").exists()  # prints no standing
    assert (folder / "4-04-05-05" / "2.0.html").exists()  # its standing did not change


def test_another_machines_publication_drops_this_machines_plain_copies(apps, clock, tmp_path):
    from registry.services.watcher import StandingWatcher

    app, other = apps
    assert fetch(app.test_client(), "/standards/4-04-05-05/2.0.html").status_code == 200
    copy = tmp_path / "one" / "exports" / "standards" / "4-04-05-05" / "2.0.html"
    watcher = StandingWatcher(app.extensions["registry.engine"], clock)
    assert copy.exists()
    from registry.db import make_engine

    elsewhere = make_engine(str(app.extensions["registry.engine"].url.render_as_string(hide_password=False)))
    try:  # another machine: its own engine, none of this process's receivers
        with write_session(elsewhere) as session:
            catalog.withdraw(session, "4-04-05-05", "2.0", SYSTEM, "an error")
    finally:
        elsewhere.dispose()
    del other
    watcher.check()
    assert not copy.exists()


def test_search_follows_the_day_and_finds_what_was_in_force_on_a_date(apps, clock, corpus_index):
    """Search's "current" is decided when it runs: 1.2 (announced for June) is not searched before its
    day, is on it, and ``as_of`` finds the requirements in force on any day."""
    from .web_helpers import searchable

    app, _ = apps
    client = app.test_client()
    searchable(app, corpus_index)  # the announced version is in the index (the test does not wait for the thread)

    def versions(**params) -> set[str]:
        body = client.get("/api/v1/search", query_string={"q": "数据", "code": CODE, "per_page": 100, **params})
        assert body.status_code == 200, body.get_data(as_text=True)
        return {hit["version"] for hit in body.get_json()["hits"]}

    def statuses(**params) -> set[str]:
        body = client.get("/api/v1/search", query_string={"q": "数据", "code": CODE, "per_page": 100, **params})
        return {(hit["version"], hit["status"]) for hit in body.get_json()["hits"]}

    assert versions() == {"1.1"} and statuses() == {("1.1", "in-force")}
    assert versions(as_of="2027-06-01") == {"1.2"} and versions(as_of="2022-01-01") == {"1.0"}
    assert versions(all=1) == {"1.0", "1.1", "1.2"}
    assert ("1.2", "upcoming") in statuses(all=1)
    clock.set(START)  # no publish, no rebuild, no restart: the next search sees the new day
    assert versions() == {"1.2"} and statuses() == {("1.2", "in-force")}
    assert client.get("/api/v1/search", query_string={"q": "数据", "as_of": "2027-13-01"}).status_code == 400
    page = client.get("/search", query_string={"q": "数据", "code": CODE, "as_of": "2022-01-01"})
    assert page.status_code == 200 and 'value="2022-01-01"' in page.get_data(as_text=True)


def _within(condition, what: str, seconds: float = 60.0) -> None:
    """Wait until ``condition()`` holds (a generous limit: the watcher runs in a thread of its own)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:g} s: {what}")
        time.sleep(0.02)


def _killed_then_restarted(db_url, folder, clock, url: str, while_down) -> Path:
    """A process (its watcher on) has looked at the catalog and issued ``url``; it stops with nothing
    more run (as a SIGKILL leaves it), ``while_down()`` happens, and a new process starts on the same
    exports folder. Returns the plain copy of ``url``."""
    from registry.services.plain_copies import seen

    first = make_test_app(db_url, folder, clock=clock, WATCH_INTERVAL=0.05)
    try:
        engine = first.extensions["registry.engine"]
        with read_session(engine) as session:
            head = session.execute(select(func.max(ChangeLog.seq))).scalar_one()
        _within(lambda: seen(folder / "exports") == Seen(head, clock.today()), "the first look marked in the folder")
        assert fetch(first.test_client(), url).status_code == 200
    finally:
        close_app(first)
    copy = folder / "exports" / "standards" / url.split("/", 2)[2]
    assert copy.exists()
    while_down()
    second = make_test_app(db_url, folder, clock=clock, WATCH_INTERVAL=0.05)
    try:
        _within(lambda: not copy.exists(), f"the next process drops the plain copy {copy.name}")
    finally:
        close_app(second)
    return copy


def test_a_withdrawal_committed_by_a_process_killed_before_its_receivers_ran_is_acted_on_at_the_next_start(
        apps, clock, tmp_path, db_url):
    """A SIGKILL just after COMMIT: the withdrawal is in the catalog, but its process never dropped the
    plain copy that says "in force"; the next process's watcher starts from the folder's mark, not from now."""
    def killed_after_commit() -> None:
        elsewhere = make_engine(db_url)  # none of the app's receivers are connected to it
        try:
            with write_session(elsewhere) as session:
                catalog.withdraw(session, "4-04-05-05", "2.0", SYSTEM, "an error")
        finally:
            elsewhere.dispose()

    _killed_then_restarted(db_url, tmp_path / "three", clock, "/standards/4-04-05-05/2.0.html", killed_after_commit)


def test_a_day_that_began_while_no_process_ran_is_acted_on_at_the_next_start(apps, clock, tmp_path, db_url):
    """The server down over the night 1.2 comes into force: 1.1's copy that says "in force" is dropped at
    the next start."""
    _killed_then_restarted(db_url, tmp_path / "three", clock, f"/standards/{CODE}/1.1.html",
                           lambda: clock.set(START))
