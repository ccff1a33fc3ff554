"""The names a search page gives its direction facet: the latest versions' (both backends)."""

from __future__ import annotations

import re

from registry.db import read_session, write_session
from registry.services import catalog, facet_names
from registry.services.context import SYSTEM

from ..conftest import STANDARDS

CODE = "2-02-38-03"


def publish_renamed(engine, zh: str) -> None:
    """Publish 1.2 of a standard with a direction: its 1.1 with the direction renamed."""
    text = (STANDARDS / CODE / "1.1.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^version: .*$", "version: '1.2'", text, count=1).replace("大数据分析方向", zh, 1)
    with write_session(engine) as session:
        catalog.publish(session, catalog.validate_upload(text.encode()), SYSTEM, bump_reason="renamed")


def test_direction_names_come_from_each_standards_latest_version(engine, corpus):
    with read_session(engine) as session:
        assert facet_names.direction_names(session, {CODE})["analysis"]["zh"] == "大数据分析方向"
        assert facet_names.direction_names(session, set()) == {}
        assert facet_names.direction_names(session, {"9-99-99-99"}) == {}
    # remembered by the source's sha256, so a new version's names are read, never an older one's
    publish_renamed(engine, "海量数据分析方向")
    with read_session(engine) as session:
        names = facet_names.direction_names(session, {CODE, "4-04-05-05"})
    assert names["analysis"] == {"zh": "海量数据分析方向", "en": "Big-data analysis"}


def test_the_search_page_names_a_direction_as_the_latest_version_does(app, client, engine, corpus, corpus_index):
    from registry.search.service import service_for

    from ..web_helpers import searchable

    searchable(app, corpus_index)
    before = client.get("/search?q=数据", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert ">大数据分析方向</a>" in before
    publish_renamed(engine, "海量数据分析方向")
    service_for(app).catch_up()  # the index takes in the publication (the background does it within seconds)
    after = client.get("/search?q=数据", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert ">海量数据分析方向</a>" in after and ">大数据分析方向</a>" not in after
