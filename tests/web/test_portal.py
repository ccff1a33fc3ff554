"""Standards bodies and registrars through the pages: drafts, errors by line, review, publish, withdraw."""

from __future__ import annotations

import json
import re

import pytest

from ..conftest import RENDERED_ON_SQLITE, STANDARDS
from ..web_helpers import add_people, csrf, searchable, sign_in

CODE = "4-04-05-05"
HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "{{7*7}}"]


@pytest.fixture
def people(engine):
    return add_people(engine, "body-a", keeps=(CODE, "2-02-38-03"))


def _new_version(title_suffix: str = "") -> str:
    """Version 3.0 of the sample standard: 2.0 with a new version number (and a changed title)."""
    text = (STANDARDS / CODE / "2.0.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^version: .*$", "version: '3.0'", text, count=1)
    if title_suffix:
        text = text.replace("（示例）", "（示例）" + title_suffix, 1)
    return text


def _create(client, source: str):
    return client.post("/portal/drafts/new", data={"source": source, "csrf_token": csrf(client, "/portal/drafts/new")})


def test_a_broken_draft_shows_every_problem_at_its_line(client, corpus, people):
    sign_in(client, people["body"])
    source = _new_version().replace("level_scheme: skill-grades", "level_scheme: no-such-scheme", 1)
    line = source.split("\n").index("level_scheme: no-such-scheme") + 1
    response = _create(client, source)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    card = re.search(r'<article class="problem" data-severity="error" data-rule="schema.enum" id="P\d+">'
                     r'.*?</article>', page, re.S)
    assert card and f'href="#L{line}"' in card.group(0)  # the problem, with the lines around it
    assert re.search(rf'<div id="L{line}" class="hit" data-severity="error">', page)  # and marked in the whole file
    assert "nothing was saved" in page or "未保存" in page


def test_body_creates_edits_submits_and_reads_comments(client, corpus, people, app):
    sign_in(client, people["body"])
    response = _create(client, _new_version())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    draft_url = response.headers["Location"]
    draft_id = int(draft_url.rstrip("/").split("/")[-1])
    page = client.get(f"/portal/drafts/{draft_id}/edit").get_data(as_text=True)
    etag = re.search(r'name="etag" value="([^"]+)"', page).group(1)
    token = csrf(client, f"/portal/drafts/{draft_id}/edit")
    edited = client.post(f"/portal/drafts/{draft_id}/edit", data={"source": _new_version(" 修订"), "etag": etag,
                                                                   "csrf_token": token})
    assert edited.status_code == 302
    stale = client.post(f"/portal/drafts/{draft_id}/edit", data={"source": _new_version(), "etag": etag,
                                                                  "csrf_token": token})
    assert stale.status_code == 412  # the second editor with an old copy is refused, not merged
    compare = client.get(f"/portal/drafts/{draft_id}/compare", headers={"Accept-Language": "en"})
    text = compare.get_data(as_text=True)
    assert compare.status_code == 200 and "compared with version 2.0" in text
    # the title's master text changed: the diff shows the Chinese before and after, words marked
    title = re.search(r'<tr data-field="\$\.title">.*?</tr>', text, re.S).group(0)
    assert '<p class="lt" lang="zh-Hans">' in title and "<ins> 修订</ins>" in title
    assert client.post(f"/portal/drafts/{draft_id}/submit", data={"csrf_token": token}).status_code == 302
    # the registrar asks for changes with a hostile comment; the body reads it escaped
    other = app.test_client()
    sign_in(other, people["registrar"])
    queue = other.get("/review/").get_data(as_text=True)
    assert f"/review/drafts/{draft_id}" in queue
    rtoken = csrf(other, f"/review/drafts/{draft_id}")
    # a comment alone: the body reads it, and the draft stays in the review queue
    note = "Please cite the data-labelling guideline you follow."
    assert other.post(f"/review/drafts/{draft_id}/comment", data={"body": note, "csrf_token": rtoken}).status_code == 302
    assert note in client.get(f"/portal/drafts/{draft_id}").get_data(as_text=True)
    assert f"/review/drafts/{draft_id}" in other.get("/review/").get_data(as_text=True)
    other.post(f"/review/drafts/{draft_id}/request-changes", data={"body": HOSTILE[0], "csrf_token": rtoken})
    page = client.get(f"/portal/drafts/{draft_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and HOSTILE[0] not in page


def test_registrar_approves_and_publishes_after_seeing_the_diff(client, corpus, people, app):
    body = app.test_client()
    sign_in(body, people["body"])
    draft_id = int(_create(body, _new_version(" 修订")).headers["Location"].split("/")[-1])
    body.post(f"/portal/drafts/{draft_id}/submit", data={"csrf_token": csrf(body, f"/portal/drafts/{draft_id}")})
    sign_in(client, people["registrar"])
    page = client.get(f"/review/drafts/{draft_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Suggested version" in page and "Change class" in page
    token = csrf(client, f"/review/drafts/{draft_id}")
    assert client.post(f"/review/drafts/{draft_id}/approve", data={"csrf_token": token}).status_code == 302
    published = client.post(f"/review/drafts/{draft_id}/publish", data={"csrf_token": token})
    assert published.status_code == 302 and published.headers["Location"] == f"/standards/{CODE}/3.0"
    public = client.get(f"/standards/{CODE}").get_data(as_text=True)
    assert "3.0" in public and "diff?from=2.0&amp;to=3.0" in public
    assert "3.0" in client.get("/feed.atom").get_data(as_text=True)
    # withdraw with a reason
    assert client.post(f"/review/standards/{CODE}/3.0/withdraw", data={"reason": "", "csrf_token": token}).status_code == 400
    done = client.post(f"/review/standards/{CODE}/3.0/withdraw", data={"reason": "issued in error", "csrf_token": token})
    assert done.status_code == 302
    assert "issued in error" in client.get(f"/standards/{CODE}/3.0").get_data(as_text=True)


def test_other_bodies_cannot_see_a_draft(client, corpus, people, engine, app):
    sign_in(client, people["body"])
    draft_id = int(_create(client, _new_version()).headers["Location"].split("/")[-1])
    stranger = app.test_client()
    sign_in(stranger, add_people(engine, "body-b")["body"].replace("body-a", "body-b"))
    assert stranger.get(f"/portal/drafts/{draft_id}").status_code == 404


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_document_text_is_escaped_everywhere(client, corpus, people, payload):
    sign_in(client, people["body"])
    source = _new_version().replace("人工智能训练师国家职业技能标准（示例）", json.dumps(payload), 1)
    response = _create(client, source)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = client.get(response.headers["Location"], headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert payload not in page.replace("&#34;", '"') or payload == "{{7*7}}"
    if payload == "{{7*7}}":
        assert "<p>{{7*7}}</p>" in page and "<p>49</p>" not in page  # the (Chinese) title, not evaluated
    else:
        assert "<script>alert" not in page and "<img src=x" not in page


def test_the_error_list_is_an_alert_that_keeps_its_heading(client, corpus, people):
    sign_in(client, people["body"])
    page = _create(client, _new_version().replace("level_scheme: skill-grades", "level_scheme: x", 1))
    body = page.get_data(as_text=True)
    assert re.search(r'<div role="alert"><h2 id="problems-h">', body)
    assert '<h2 id="problems-h" role="alert">' not in body


@RENDERED_ON_SQLITE
def test_the_draft_pdf_has_the_watermark_on_every_page(client, corpus, people):
    import io

    import pypdf

    sign_in(client, people["body"])
    draft_id = int(_create(client, _new_version()).headers["Location"].split("/")[-1])
    response = client.get(f"/portal/drafts/{draft_id}/draft.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert f'_draft{draft_id}.1.pdf"' in response.headers["Content-Disposition"]
    pages = pypdf.PdfReader(io.BytesIO(response.data)).pages
    assert len(pages) > 1
    for number, pdf_page in enumerate(pages, start=1):
        assert "DRAFT, not approved" in (pdf_page.extract_text() or ""), f"page {number} has no watermark"
    assert client.get(f"/portal/drafts/{draft_id + 1000}/draft.pdf").status_code == 404


def test_refusals_on_the_review_page_take_their_status_from_the_error_table(client, corpus, people, app):
    body = app.test_client()
    sign_in(body, people["body"])
    draft_id = int(_create(body, _new_version()).headers["Location"].split("/")[-1])
    sign_in(client, people["registrar"])
    token = csrf(client, f"/review/drafts/{draft_id}")
    refused = client.post(f"/review/drafts/{draft_id}/approve", data={"csrf_token": token})  # not submitted yet
    assert refused.status_code == 409 and 'class="error" role="alert"' in refused.get_data(as_text=True)
    missing = client.get("/review/standards/no%20such/1.0/withdraw", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.get_data(as_text=True)


def test_publishing_a_smaller_bump_than_the_diff_needs_takes_a_recorded_reason(client, corpus, people, app):
    """A requirement removed under a MINOR number (1.1 -> 1.2): the registrar is refused on the page,
    then publishes with a reason, which the audit trail keeps."""
    from ..api.conftest import without_requirement

    body = app.test_client()
    sign_in(body, people["body"])
    created = _create(body, without_requirement("1.2").decode("utf-8"))
    assert created.status_code == 302, created.get_data(as_text=True)[:1000]
    draft_id = int(created.headers["Location"].split("/")[-1])
    body.post(f"/portal/drafts/{draft_id}/submit", data={"csrf_token": csrf(body, f"/portal/drafts/{draft_id}")})
    sign_in(client, people["registrar"])
    token = csrf(client, f"/review/drafts/{draft_id}")
    assert client.post(f"/review/drafts/{draft_id}/approve", data={"csrf_token": token}).status_code == 302
    refused = client.post(f"/review/drafts/{draft_id}/publish", data={"csrf_token": token},
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 409 and "2.0" in refused.get_data(as_text=True)  # the version the diff suggests
    reason = "Agreed with the drafting body: the removed item moves to a separate guideline."
    published = client.post(f"/review/drafts/{draft_id}/publish", data={"csrf_token": token, "bump_reason": reason})
    assert published.status_code == 302 and published.headers["Location"] == "/standards/2-02-38-03/1.2"
    trail = client.get("/api/v1/audit?code=2-02-38-03").get_json()["items"]
    assert any(reason in str(event) for event in trail)


class _Outline:
    """The headings (in order) and the form controls of a page, with the labels that name them."""

    def __init__(self, text: str):
        from html.parser import HTMLParser

        self.headings: list[int] = []
        self.controls: list[dict] = []
        self.labelled: set[str] = set()
        outline = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                if re.fullmatch(r"h[1-6]", tag):
                    outline.headings.append(int(tag[1]))
                elif tag == "label" and attrs.get("for"):
                    outline.labelled.add(attrs["for"])
                elif tag in ("input", "select", "textarea") and \
                        attrs.get("type") not in ("hidden", "submit", "button", "reset", "image"):
                    outline.controls.append(attrs)

        Parser().feed(text)


def test_pages_have_one_h1_headings_in_order_and_a_label_on_every_control(client, corpus, people, app, corpus_index):
    """Screen-reader users move by headings and hear each field's label: no skipped heading level,
    one h1 per page, and every input, select and textarea named by a label (or aria-label)."""
    searchable(app, corpus_index)
    body = app.test_client()
    sign_in(body, people["body"])
    registrar = app.test_client()
    sign_in(registrar, people["registrar"])
    sha256 = client.get(f"/api/v1/standards/{CODE}/versions/2.0").get_json()["sha256"]
    pages = [(client, url) for url in ("/", "/standards", "/standards?by=occupation", f"/standards/{CODE}",
                                       f"/standards/{CODE}/1.0", f"/standards/{CODE}/diff?from=1.0&to=2.0",
                                       "/search?q=data&level=L5", "/search?q=数据", f"/verify/{sha256}", "/login")]
    pages += [(body, "/portal/"), (body, "/portal/drafts/new"), (registrar, "/review/")]
    checked = 0
    for who, url in pages:
        for lang in ("en", "zh"):
            response = who.get(url, headers={"Accept-Language": lang})
            assert response.status_code == 200, url
            outline = _Outline(response.get_data(as_text=True))
            assert outline.headings.count(1) == 1 and outline.headings[0] == 1, (url, outline.headings)
            for before, after in zip(outline.headings, outline.headings[1:]):
                assert after <= before + 1, (url, lang, outline.headings)
            for control in outline.controls:
                assert control.get("id") in outline.labelled or control.get("aria-label"), (url, lang, control)
                checked += 1
    assert checked >= 20  # the search boxes, the filters, sign-in and the draft form were all seen
