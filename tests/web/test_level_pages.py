"""What trainers and HR departments open: a level's page and its files, item permalinks (HTML and JSON,
for a version and for "the version in force"), a cumulative search and the CSV of a search. On both
catalog backends."""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest

from registry.exports.csv_matrix import plain
from registry.levels import level_view
from registry.loader import load_bytes
from registry.web.public import PAGE_SIZE

from ..conftest import STANDARDS

CODE = "4-04-05-05"
ITEM = "R-L3-analysis-process-1"


def doc_of(code: str, version: str) -> dict:
    return load_bytes((STANDARDS / code / f"{version}.yaml").read_bytes()).data


def fetch(client, url, **kwargs):
    """GET and close: a file response holds its file open until closed."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def links(page: str, code: str, version: str) -> list[str]:
    return re.findall(rf'href="/standards/{code}/{re.escape(version)}/items/([^"]+)"', page)


def test_the_level_page_has_the_level_and_the_lower_levels_it_includes(client, corpus):
    doc = doc_of(CODE, "2.0")
    view = level_view(doc, "L3")
    page = client.get(f"/standards/{CODE}/2.0/levels/L3?lang=en").get_data(as_text=True)
    linked = links(page, CODE, "2.0")
    for _t, _b, _c, item in view.requirements(included=True):  # every requirement, once, linked
        assert linked.count(item["id"]) == 1, item["id"]
    assert "Included from Level 4 / Intermediate worker" in page and "Included from Level 5 / Junior worker" in page
    assert page.index('id="own"') < page.index('id="from-L4"') < page.index('id="from-L5"')
    assert f"{view.total_hours} hours" in page
    for condition in view.eligibility:
        assert condition["en"] in page
    for item in doc["basic_requirements"]["basic_knowledge"][0]["items"]:  # every level has the basic requirements
        assert item["id"] in linked
    weights = page[page.index('<section id="weights"'):page.index("</section>", page.index('<section id="weights"'))]
    tables = [[(re.sub(r"<[^>]+>", "", name).strip(), value) for name, value in
               re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', table, re.S)]
              for table in weights.split("<table")[1:]]
    functions = {f["id"]: f["name"]["en"] for f in doc["functions"]}
    for column, rows in zip((view.theory, view.skills), tables, strict=True):  # the level's column of each table
        for fid, value in column["functions"].items():
            assert (functions[fid], "—" if value is None else str(value)) in rows, (fid, rows)
    assert ("Professional ethics", str(view.theory["ethics"])) in tables[0]
    for kind in ("job-description", "assessment-checklist", "training-plan"):  # its documents, from the page
        for suffix in ("pdf", "docx"):
            assert f'href="/standards/{CODE}/2.0/levels/L3/{kind}.{suffix}' in page, (kind, suffix)


def test_the_level_page_reads_in_chinese(client, corpus):
    page = client.get(f"/standards/{CODE}/2.0/levels/L3?lang=zh").get_data(as_text=True)
    for words in ("本等级要求", "涵盖的低级别要求：四级/中级工", "涵盖的低级别要求：五级/初级工", "申报条件", "基本要求",
                  "本标准规定高级别涵盖低级别的要求"):
        assert words in page, words
    assert "Requirements of this level" not in page and "Included from" not in page


def test_a_level_split_by_direction_asks_for_one(client, corpus):
    page = client.get("/standards/2-02-38-01/1.0/levels/junior?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'href="/standards/2-02-38-01/1.0/levels/junior/cv"' in text and "/levels/junior/nlp" in text
    assert client.get("/standards/2-02-38-01/1.0/levels/junior/cv").status_code == 200
    for url in ("/standards/2-02-38-01/1.0/levels/junior/xx", f"/standards/{CODE}/2.0/levels/L9",
                f"/standards/{CODE}/2.0/levels/L3/a/b", f"/standards/{CODE}/9.9/levels/L3",
                f"/standards/{CODE}/2.0/levels/L9/job-description.pdf", "/standards/2-02-38-01/1.0/levels/junior.csv"):
        assert client.get(url).status_code == 404, url
    latest = client.get(f"/standards/{CODE}/latest/levels/L3/training-plan.docx?lang=en")
    assert latest.status_code == 302 and latest.headers["Location"].endswith(
        f"/standards/{CODE}/2.0/levels/L3/training-plan.docx?lang=en")


def test_the_standard_page_shows_every_part_and_links_every_level(client, corpus):
    doc = doc_of(CODE, "2.0")
    page = client.get(f"/standards/{CODE}/2.0?lang=en").get_data(as_text=True)
    contents = page[page.index('class="contents"'):page.index("</nav>", page.index('class="contents"'))]
    for anchor in ("#overview", "#eligibility", "#assessment", "#basic", "#work-requirements", "#weights", "#history"):
        assert f'href="{anchor}"' in contents and f'id="{anchor[1:]}"' in page, anchor
    for level in doc["levels"]:
        assert f'href="/standards/{CODE}/2.0/levels/{level["id"]}"' in contents
        assert f'href="#wr-{level["id"]}"' in contents
    assert doc["overview"]["assessment"]["method"]["en"] in page
    linked = links(page, CODE, "2.0")
    basic = doc["basic_requirements"]
    for item in basic["ethics"]["knowledge"] + [i for g in basic["basic_knowledge"] for i in g["items"]]:
        assert item["id"] in linked


def test_every_item_of_the_standard_page_and_the_diff_leads_to_its_permalink(client, corpus):
    from registry.diff import diff_documents, items_of

    doc = doc_of(CODE, "2.0")
    page = client.get(f"/standards/{CODE}/2.0?lang=en").get_data(as_text=True)
    linked = set(links(page, CODE, "2.0"))
    shown = {i for i, item in items_of(doc).items()
             if item.kind in ("requirement", "knowledge", "work_content", "basic_knowledge_item", "ethics")}
    assert shown and shown <= linked, sorted(shown - linked)[:5]
    diff = client.get(f"/standards/{CODE}/diff?from=1.0&to=2.0&lang=en").get_data(as_text=True)
    changes = diff_documents(doc_of(CODE, "1.0"), doc).items
    assert {c.item_id for c in changes if c.kind == "removed"} <= set(links(diff, CODE, "1.0"))
    assert {c.item_id for c in changes if c.kind != "removed"} <= set(links(diff, CODE, "2.0"))


def test_an_item_permalink_as_a_page_and_as_json(client, corpus):
    page = client.get(f"/standards/{CODE}/2.0/items/{ITEM}?lang=en")
    assert page.status_code == 200 and "Accept" in page.headers["Vary"]
    text = page.get_data(as_text=True)
    assert "Can map the business processes" in text and f'href="/standards/{CODE}/2.0/levels/L3"' in text
    answer = client.get(f"/standards/{CODE}/2.0/items/{ITEM}", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert (body["id"], body["kind"], body["level"], body["number"], body["standing"]) == \
        (ITEM, "requirement", "L3", "1.1.1", "in-force")
    assert body["permalink"].endswith(f"/standards/{CODE}/2.0/items/{ITEM}")
    latest = client.get(f"/standards/{CODE}/latest/items/{ITEM}")
    assert latest.status_code == 302 and latest.headers["Location"].endswith(f"/standards/{CODE}/2.0/items/{ITEM}")
    older = client.get(f"/standards/{CODE}/1.0/items/{ITEM}", headers={"Accept": "application/json"}).get_json()
    assert (older["version"], older["number"], older["in_force_version"]) == ("1.0", "1.1.1", "2.0")
    assert older["standing"] != "in-force"
    added = "R-L3-training-llm-1"  # new in 2.0: version 1.0 says it has no such item and names the one that has
    missing = client.get(f"/standards/{CODE}/1.0/items/{added}", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and "it is in version 2.0" in missing.get_json()["error"]["message"]
    assert client.get(f"/standards/{CODE}/2.0/items/NO-SUCH-ITEM").status_code == 404
    assert client.get(f"/standards/{CODE}/latest/items/NO-SUCH-ITEM").status_code == 404
    assert client.get(f"/standards/{CODE}/2.0/items/{'x' * 300}").status_code == 404


def test_a_removed_item_says_where_it_went(client, corpus):
    """Version 2.0 drops skill 4.1.3 of level 3 ("assess the results of training") and adds a skill on
    blended training to the same work content: the item's "latest" permalink answers 410, says that
    2.0 removed it and names the new skill. A knowledge item whose work content got nothing new in
    its place says that nothing replaced it, rather than naming an unrelated addition."""
    answer = client.get(f"/standards/{CODE}/latest/items/R-L3-guidance-train-3", headers={"Accept": "application/json"})
    assert answer.status_code == 410
    body = answer.get_json()
    assert (body["last_version"], body["removed_in"], body["in_force_version"]) == ("1.0", "2.0", "2.0")
    assert body["text"]["en"] == "Can assess and evaluate the results of training."
    assert [r["id"] for r in body["replaced_by"]] == ["R-L3-guidance-train-blended"]
    assert body["replaced_by"][0]["permalink"].endswith(f"/standards/{CODE}/2.0/items/R-L3-guidance-train-blended")
    page = client.get(f"/standards/{CODE}/latest/items/R-L3-guidance-train-3?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 410 and "Removed in version 2.0" in text
    assert f'href="/standards/{CODE}/2.0/items/R-L3-guidance-train-blended"' in text
    assert f'href="/standards/{CODE}/1.0/items/R-L3-guidance-train-3"' in text
    alone = client.get(f"/standards/{CODE}/latest/items/K-L5-annotate-stat-3", headers={"Accept": "application/json"})
    assert alone.status_code == 410 and alone.get_json()["replaced_by"] == []
    page = client.get(f"/standards/{CODE}/latest/items/K-L5-annotate-stat-3?lang=en").get_data(as_text=True)
    assert "Version 2.0 adds nothing in its place." in page
    assert client.get(f"/standards/{CODE}/1.0/items/R-L3-guidance-train-3").status_code == 200


def test_generated_documents_are_served_recorded_and_verified(client, corpus):
    response = fetch(client, f"/standards/{CODE}/2.0/levels/L3/job-description.docx?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"{CODE}-2.0-L3-job-description.en.docx")
    digest = hashlib.sha256(response.data).hexdigest()
    verified = client.get(f"/api/v1/verify/{digest}").get_json()
    assert verified["authentic"] and (verified["format"], verified["scope"], verified["lang"]) == \
        ("job-description.docx", "L3", "en")
    again = fetch(client, f"/standards/{CODE}/2.0/levels/L3/job-description.docx?lang=en")
    assert again.headers["ETag"] == response.headers["ETag"] and again.data == response.data  # cached
    sheet = fetch(client, "/standards/2-02-38-01/1.0/levels/intermediate/cv.csv")
    rows = list(csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig"), newline="")))
    assert {plain(r["version"]) for r in rows} == {"1.0"}
    assert {r["included_from"] for r in rows if r["part"] == "work"} == {"", "junior"}
    assert {r["direction_id"] for r in rows if r["part"] == "work"} == {"cv"}


@pytest.fixture
def searchable(app, corpus, corpus_index):
    from ..web_helpers import searchable as ready

    ready(app, corpus_index)
    return app


def test_a_cumulative_level_search_includes_the_lower_levels(client, searchable):
    own = client.get(f"/api/v1/search?code={CODE}&level=L3&part=work").get_json()
    cumulative = client.get(f"/api/v1/search?code={CODE}&level=L3&part=work&cumulative=1&per_page=100").get_json()
    doc = doc_of(CODE, "2.0")
    expected = {i["id"] for _t, _b, c, _i in level_view(doc, "L3").requirements(included=True)
                for i in c["requirements"] + c["knowledge"]}
    assert own["total"] == len([1 for h in own["hits"]]) or own["total"] < cumulative["total"]
    assert {f["value"] for f in cumulative["facets"]["level"]} >= {"L3", "L4", "L5"}
    assert cumulative["total"] == len(expected)
    assert all(h["permalink"] == f"/standards/{CODE}/2.0/items/{h['item_id']}" for h in cumulative["hits"])
    assert client.get("/api/v1/search?level=L3&cumulative=maybe").status_code == 400


def test_any_search_downloads_as_csv(client, searchable):
    api = client.get(f"/api/v1/search?q=数据&code={CODE}&level=L3&cumulative=1").get_json()
    response = client.get(f"/search.csv?q=数据&code={CODE}&level=L3&cumulative=1")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    assert len(rows) == api["total"] > 0
    assert {r["status"] for r in rows} == {"in-force"}
    assert all(r["permalink"].endswith(f"/items/{r['item_id']}") for r in rows if r["item_id"])
    page = client.get(f"/search?q=数据&code={CODE}&level=L3&cumulative=1").get_data(as_text=True)
    assert "/search.csv?" in page and 'name="cumulative"' in page
    shown = {r["item_id"] for r in rows[:PAGE_SIZE] if r["item_id"]}  # the first page of hits, each linked
    assert shown and shown <= set(links(page, CODE, "2.0"))
    assert client.get("/search.csv?per_page=0").status_code == 400
