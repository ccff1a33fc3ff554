"""The portal shows problems where they are: after an upload, an edit or a check, a summary at the top
(the count per severity, one line per problem linking to it), each problem with the lines around it
(its line marked) and the whole file folded; the linter's findings with their severities, near-duplicates
beside the item they resemble; and, as the author edits, the version number the changes need."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from .conftest import STANDARDS
from .web_helpers import add_people, csrf, sign_in

CODE = "2-02-38-03"  # 1.0 and 1.1 published; 1.1 in force
EN = {"Accept-Language": "en"}
ERROR_LINES = (7, 64, 817)


@pytest.fixture
def people(engine):
    return add_people(engine, "body-a", keeps=(CODE,))


def version_1_2() -> str:
    text = (STANDARDS / CODE / "1.1.yaml").read_text("utf-8")
    assert text.count('\nversion: "1.1"\n') == 1
    return text.replace('\nversion: "1.1"\n', '\nversion: "1.2"\n', 1)


def three_errors() -> str:
    """1.2 with an edition that is not a year (line 7), an unknown level scheme (64) and a misnumbered
    requirement (817): three errors far apart in an 1,142-line file."""
    lines = version_1_2().split("\n")
    assert (lines[6], lines[63], lines[816].strip()) == \
        ("edition: 2022", "level_scheme: technical-levels", 'number: "1.1.1"')
    lines[6], lines[63] = "edition: twenty", "level_scheme: no-such-scheme"
    lines[816] = lines[816].replace('"1.1.1"', '"1.1.9"')
    return "\n".join(lines)


REWORDS = {  # requirement of 2-02-38-03 -> a text the linter has something to say about
    "能使用日志采集工具采集服务器和应用日志，并检查采集完整性。": "了解日志采集工具，并检查采集完整性。",  # not an ability
    "能在取得授权并遵守网站协议的前提下，使用网络爬虫工具采集公开网页数据。": "能设计实训项目并评估培训效果。",  # in 2-02-38-09 and -11
    "能根据分析任务书梳理所需数据项，编制数据采集清单。": "能使用数据库导出、接口调用等方式从业务系统采集结构化数据",  # as R-J-gather-2
}


def with_findings(version: str = "1.2") -> str:
    """A valid text that the linter finds fault with: wording, a near-duplicate in the registry and one in
    the standard itself (the rewording makes it a minor change)."""
    text = version_1_2().replace('\nversion: "1.2"\n', f'\nversion: "{version}"\n', 1)
    for old, new in REWORDS.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def without_a_requirement(version: str) -> str:
    """A major change: requirement R-J-gather-4 removed."""
    lines = version_1_2().replace('\nversion: "1.2"\n', f'\nversion: "{version}"\n', 1).split("\n")
    start = lines.index("                - id: R-J-gather-4")
    assert lines[start + 5].strip() == "knowledge:"
    return "\n".join(lines[:start] + lines[start + 5:])


def post(client, url: str, source: str, action: str = "save", **fields):
    data = {"source": source, "csrf_token": csrf(client, url), "action": action, **fields}
    return client.post(url, data=data, headers=EN)


class Page(HTMLParser):
    """The parts of a checks page a reader uses: the counts, the summary's links, the problems (their
    place, rule, severity, marked excerpt lines) and the whole file's marked lines."""

    def __init__(self, text: str):
        super().__init__()
        self.counts: dict[str, int] = {}
        self.links: list[str] = []  # hrefs of the summary's lines, in order
        self.problems: dict[str, dict] = {}
        self.marked: dict[int, str] = {}  # line of the whole file -> severity
        self.ids: set[str] = set()
        self._in = {"index": 0, "problem": None, "lines": 0}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if a.get("data-count") is not None:
            self.counts[a["data-severity"]] = int(a["data-count"])
        if tag == "nav" and a.get("class") == "problem-index":
            self._in["index"] = 1
        elif tag == "ol" and a.get("class") == "lines" and self._in["index"]:
            self._in["lines"] = 1
        elif tag == "a" and self._in["lines"]:
            self.links.append(a["href"])
        elif tag == "article" and a.get("class") == "problem":
            self._in["problem"] = a["id"]
            self.problems[a["id"]] = {"rule": a["data-rule"], "severity": a["data-severity"],
                                      "hit": [], "links": []}
        elif tag == "div" and self._in["problem"] and a.get("class") == "hit":
            self.problems[self._in["problem"]]["hit"].append(a["data-severity"])
        elif tag == "a" and self._in["problem"] and a.get("href", "").startswith("#L"):
            self.problems[self._in["problem"]]["links"].append(int(a["href"][2:]))
        elif tag == "div" and a.get("id", "").startswith("L") and a.get("class") == "hit":
            self.marked[int(a["id"][1:])] = a["data-severity"]

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in["index"] = 0
        elif tag == "ol":
            self._in["lines"] = 0
        elif tag == "article":
            self._in["problem"] = None


def test_three_errors_give_a_short_page_with_a_summary_and_each_error_where_it_is(client, corpus, people):
    sign_in(client, people["body"])
    response = post(client, "/portal/drafts/new", three_errors())
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert '<div role="alert"><h2 id="problems-h">3 errors: nothing was saved</h2></div>' in text
    page = Page(text)
    assert page.counts["error"] == 3
    errors = {key: p for key, p in page.problems.items() if p["severity"] == "error"}
    assert {p["rule"] for p in errors.values()} == {"schema.type", "schema.enum", "numbering"}
    for line in ERROR_LINES:
        # one line of the summary links to the problem, which shows its line among a few others, marked
        key = next(k for k, p in errors.items() if p["links"][0] == line)
        assert f"#{key}" in page.links
        excerpt = errors[key]["links"][1:]
        assert line in excerpt and len(excerpt) <= 5 and max(excerpt) - min(excerpt) <= 4
        assert errors[key]["hit"] == ["error"]  # only its own line is marked in its excerpt
        assert page.marked[line] == "error" and f"L{line}" in page.ids  # the whole file has it too
    assert page.links[:3] == [f"#{k}" for k in errors]  # errors come first
    assert sum(1 for n in range(1, 1143) if f"L{n}" in page.ids) == 1142  # the whole file, folded
    assert re.search(r'<details class="whole-file"><summary>The whole file \(1142 lines\)</summary>', text)
    assert 'class="yaml"' not in text  # no longer the file as one table


def test_a_large_group_of_findings_is_folded_and_each_finding_still_has_its_line(client, corpus, people):
    sign_in(client, people["body"])
    text = post(client, "/portal/drafts/new", three_errors()).get_data(as_text=True)
    page = Page(text)
    missing = [p for p in page.problems.values() if p["rule"] == "translation-missing"]
    assert page.counts["warning"] == len(missing) + sum(
        1 for p in page.problems.values() if p["severity"] == "warning" and p["rule"] != "translation-missing")
    assert len(missing) > 100  # French covers little of 2-02-38-03
    group = re.search(r'<section class="rule-group" data-severity="warning" id="rule-translation-missing".*?</section>',
                      text, re.S).group(0)
    assert re.search(r"</p>\s*<details><summary>Show the \d+ problems</summary>", group)  # folded
    assert re.search(r'<li data-severity="error"><a href="#rule-schema\.enum">.*?<ol class="lines"><li>', text,
                     re.S)  # an error's lines are open in the summary
    assert all(p["links"] and p["hit"] for p in missing)  # each still with its line


def test_lint_findings_show_their_severity_and_near_duplicates_side_by_side(client, corpus, people):
    sign_in(client, people["body"])
    created = post(client, "/portal/drafts/new", with_findings())
    assert created.status_code == 302  # warnings do not stop a save
    text = client.get(created.headers["Location"], headers=EN).get_data(as_text=True)
    page = Page(text)
    assert page.counts["error"] == 0 and page.counts["warning"] > 0 and page.counts["info"] > 0
    rules = {p["rule"]: p["severity"] for p in page.problems.values()}
    assert {"ability-wording": "warning", "duplicate-in-registry": "info", "duplicate-in-standard": "warning",
            "translation-unstamped": "info"}.items() <= rules.items()
    registry = re.search(r'<article class="problem" data-severity="info" data-rule="duplicate-in-registry"'
                         r'.*?</article>', text, re.S).group(0)
    pair = re.search(r'<div class="pair">.*?</div>\s*</div>', registry, re.S).group(0)
    assert "This text · <code>R-J-gather-4</code>" in pair and pair.count("能设计实训项目并评估培训效果。") == 2
    link = re.search(r'href="(/standards/(2-02-38-(?:09|11))/1\.0#([^"]+))"', pair)
    assert link and "Similarity 100 of 100" in pair
    target = client.get(link.group(1).split("#")[0]).get_data(as_text=True)
    assert f'id="{link.group(3)}"' in target  # the item's anchor on the standard's page
    inside = re.search(r'<article class="problem" data-severity="warning" data-rule="duplicate-in-standard"'
                       r'.*?</article>', text, re.S).group(0)
    gather_1 = version_1_2().split("\n").index("                - id: R-J-gather-1") + 1
    assert f'<a href="#L{gather_1}">In this file · <code>R-J-gather-1</code></a>' in inside


def test_check_only_saves_nothing_and_shows_the_number_the_changes_need(client, corpus, people):
    sign_in(client, people["body"])
    checked = post(client, "/portal/drafts/new", without_a_requirement("1.2"), action="check")
    assert checked.status_code == 200
    text = checked.get_data(as_text=True)
    assert '<h2 id="problems-h">Checked: no errors (not saved yet)</h2>' in text
    bump = re.search(r'<p class="bump insufficient" data-base="1.1" data-required="2.0" data-version="1.2">', text)
    assert bump and 'class="error bump-warning" role="alert"' in text
    assert "Version 1.2 is smaller than the changes require: make it 2.0" in text
    assert 'data-item="R-J-gather-4" data-change="removed"' in text  # the diff, folded under the number
    assert "/portal/drafts/" not in client.get("/portal/").get_data(as_text=True).split("<tbody>")[1]


def test_as_the_author_edits_the_draft_page_follows_the_number_the_changes_need(client, corpus, people):
    sign_in(client, people["body"])
    created = post(client, "/portal/drafts/new", with_findings("1.2"))
    draft_url = created.headers["Location"]
    page = client.get(draft_url, headers=EN).get_data(as_text=True)
    assert re.search(r'<p class="bump" data-base="1.1" data-required="1.2" data-version="1.2">', page)
    assert "bump-warning" not in page and "minor change" in page
    edit = f"{draft_url}/edit"
    form = client.get(edit, headers=EN).get_data(as_text=True)
    assert re.search(r'<p class="bump" data-base="1.1" data-required="1.2" data-version="1.2">', form)
    etag = re.search(r'name="etag" value="([^"]+)"', form).group(1)
    # the author removes a requirement: checking says 2.0 before anything is saved...
    check = post(client, edit, without_a_requirement("1.2"), action="check", etag=etag).get_data(as_text=True)
    assert 'data-required="2.0" data-version="1.2"' in check and "bump-warning" in check
    # ...and so does the draft page once saved; a major number clears the warning
    assert post(client, edit, without_a_requirement("1.2"), etag=etag).status_code == 302
    page = client.get(draft_url, headers=EN).get_data(as_text=True)
    assert 'class="bump insufficient" data-base="1.1" data-required="2.0" data-version="1.2"' in page
    assert "bump-warning" in page and "major change" in page
    etag = re.search(r'name="etag" value="([^"]+)"', client.get(edit).get_data(as_text=True)).group(1)
    assert post(client, edit, without_a_requirement("2.0"), etag=etag).status_code == 302
    page = client.get(draft_url, headers=EN).get_data(as_text=True)
    assert 'class="bump" data-base="1.1" data-required="2.0" data-version="2.0"' in page and "bump-warning" not in page


def test_a_failed_edit_keeps_the_text_and_shows_its_errors(client, corpus, people, app):
    sign_in(client, people["body"])
    draft_url = post(client, "/portal/drafts/new", version_1_2()).headers["Location"]
    edit = f"{draft_url}/edit"
    etag = re.search(r'name="etag" value="([^"]+)"', client.get(edit).get_data(as_text=True)).group(1)
    failed = post(client, edit, three_errors(), etag=etag)
    assert failed.status_code == 422
    page = Page(failed.get_data(as_text=True))
    assert page.counts["error"] == 3 and set(ERROR_LINES) <= set(page.marked)
    assert "edition: twenty" in failed.get_data(as_text=True).split('<textarea id="source"')[1]
    stranger = app.test_client()
    sign_in(stranger, add_people(app.extensions["registry.engine"], "body-b")["body"])
    token = csrf(stranger, "/portal/drafts/new")
    refused = stranger.post(edit, data={"source": version_1_2(), "csrf_token": token, "action": "check"})
    assert refused.status_code == 404  # another body's draft is not even acknowledged


def test_the_checks_pages_have_their_headings_in_order(client, corpus, people):
    from .web.test_portal import _Outline

    sign_in(client, people["body"])
    draft_url = post(client, "/portal/drafts/new", with_findings()).headers["Location"]
    pages = [post(client, "/portal/drafts/new", three_errors()), client.get(draft_url, headers=EN),
             client.get(f"{draft_url}/edit", headers=EN),
             post(client, "/portal/drafts/new", without_a_requirement("1.2"), action="check")]
    for response in pages:
        outline = _Outline(response.get_data(as_text=True))
        assert outline.headings.count(1) == 1 and outline.headings[0] == 1
        assert all(after <= before + 1 for before, after in zip(outline.headings, outline.headings[1:])), \
            outline.headings
        assert all(c.get("id") in outline.labelled for c in outline.controls)
