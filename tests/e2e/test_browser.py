"""End-to-end: the pages in headless Chromium (Debian's /usr/bin/chromium) against a live server on a
loopback port. Every flow, the one that writes (draft, review, publication, withdrawal) and those that
only read, runs on SQLite: the browser sees the same pages from either backend, and tests/web and tests/api
render every page and make every write on both.

A missing Playwright or Chromium fails these tests: they are part of the suite, never skipped.
Full-page screenshots of the pages visited (test_layout_a11y.py: the main pages in both languages, three
widths) are saved under $REGISTRY_SCREENSHOTS_DIR when it is set (`make screenshots` sets it to
test-artifacts/screenshots, git-ignored); without it only a page whose layout check failed is photographed.
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from ..conftest import ROOT, STANDARDS, close_app, make_test_app
from ..web_helpers import PASSWORD, add_people, live_server, searchable

#: Debian's Chromium, exactly: Playwright's own browser builds cannot be downloaded on these machines
CHROMIUM = Path("/usr/bin/chromium")
#: screenshots are for people to look at (docs/screenshots.md): taken when asked for, and of a page that failed
SCREENSHOTS_ASKED = bool(os.environ.get("REGISTRY_SCREENSHOTS_DIR"))
SCREENSHOTS = Path(os.environ.get("REGISTRY_SCREENSHOTS_DIR") or ROOT / "test-artifacts" / "screenshots")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
CODE = "4-04-05-05"
WITHDRAWN = "2-02-38-01"  # the standard the registrar withdraws
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
LOCALES = {"en": "en-US", "zh": "zh-CN"}
ATOM = "{http://www.w3.org/2005/Atom}"

#: what version 3.0 changes in 2.0 (besides its number and title): the diff page must show exactly these
REWORDED = ("R-L5-collect-acq-3", "能填写数据采集记录，注明数据来源、采集时间、数量和采集人员。",
            "Can fill in data-collection records stating the source, collection time, volume and collector of the data.")
REMOVED = "K-L5-collect-acq-2"
ADDED = ("K-L5-collect-proc-3", "数据脱敏的基本要求。", "Basic requirements of data masking.")


def version_3() -> str:
    """Version 3.0 of the sample standard: one requirement reworded, one knowledge item removed, one added."""
    text = (STANDARDS / CODE / "2.0.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^version: .*$", "version: '3.0'", text, count=1).replace("（示例）", "（示例·修订）", 1)
    text = text.replace("能填写数据采集记录，注明数据来源、采集时间和数量。", REWORDED[1], 1)
    text = text.replace("Can fill in data-collection records stating the source, collection time and volume of the "
                        "data.", REWORDED[2], 1)
    text = re.sub(rf"\n {{16}}- id: {REMOVED}\n(?: {{18}}.*\n)+?(?= {{12}}- id: WC-L5-collect-proc)", "\n", text,
                  count=1)
    last = "                    en: Operating methods of common spreadsheet software.\n"
    added = (f'                - id: {ADDED[0]}\n                  number: "1.2.3"\n                  text:\n'
             f"                    zh: {ADDED[1]}\n                    en: {ADDED[2]}\n")
    assert REMOVED not in text and last in text
    return text.replace(last, last + added, 1)


@pytest.fixture(scope="module")
def server(request, tmp_path_factory, sqlite_templates):
    """The app with the corpus (SQLite, see the module), served on a free loopback port."""
    folder = tmp_path_factory.mktemp("e2e")
    db = folder / "registry.sqlite3"
    db.write_bytes(sqlite_templates[True].read_bytes())
    app = make_test_app(f"sqlite:///{db}", folder, RENDER_WARM=1)  # a warm PDF renderer, as in production
    people = add_people(app.extensions["registry.engine"], "body-a", keeps=(CODE,))
    searchable(app, request.getfixturevalue("corpus_index"))  # else searches answer 503 until it is built
    with live_server(app) as base:
        app.config["REGISTRY_BASE_URL"] = base
        yield SimpleNamespace(base=base, people=people, app=app)
    close_app(app)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:
        pytest.fail(f"Playwright is missing ({missing}): `make install` installs the test extras", pytrace=False)
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's Chromium is missing at {CHROMIUM}: `make install` installs it", pytrace=False)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield instance
        instance.close()


def new_page(browser, lang: str = "en", *, phone: bool = False, javascript: bool = True):
    context = browser.new_context(locale=LOCALES[lang], viewport=PHONE if phone else DESKTOP,
                                  java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    return page


def login(browser, base: str, email: str, lang: str = "en", *, phone: bool = False):
    page = new_page(browser, lang, phone=phone)
    page.goto(f"{base}/login")
    page.get_by_label(re.compile("E-mail|电子邮箱")).fill(email)
    page.get_by_label(re.compile("Password|密码")).fill(PASSWORD)
    click(page, page.get_by_role("button", name=re.compile("^(Sign in|登录)$")))
    return page


def download(page, link) -> bytes:
    with page.expect_download(timeout=180_000) as info:
        link.click()
    return Path(info.value.path()).read_bytes()


def pdf_texts(data: bytes) -> list[str]:
    import pypdf

    assert data.startswith(b"%PDF-")
    return [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def photograph(page, name: str, *, full_page: bool = True, failed: bool = False) -> None:
    """Save a screenshot as ``<name>.png`` under SCREENSHOTS when they were asked for, or when a check of
    the page ``failed`` (what the failure message describes, to look at)."""
    if SCREENSHOTS_ASKED or failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def click(page, target) -> None:
    """Click something that loads a page, and wait for that page (a check right after a bare click
    could still read the old one)."""
    with page.expect_navigation():
        target.click()


def upload(page, text: str) -> None:
    page.set_input_files("#file", {"name": "draft.yaml", "mimeType": "application/yaml", "buffer": text.encode()})
    click(page, page.get_by_role("button", name="Check and save"))


# --- the lifecycle -------------------------------------------------------------------------------


def test_body_fixes_an_error_then_registrar_publishes_and_the_public_sees_it(server, browser):
    import pypdf  # noqa: F401  (fail here, before the long flow, when it is missing)

    base, people = server.base, server.people
    page = login(browser, base, people["body"])
    page.goto(f"{base}/portal/drafts/new")
    good = version_3()
    bad = good.replace("level_scheme: skill-grades", "level_scheme: no-such-scheme", 1)
    line = bad.split("\n").index("level_scheme: no-such-scheme") + 1
    upload(page, bad)
    assert page.locator(f"#L{line}.hit").count() == 1  # marked in the file
    assert page.locator("article.problem[data-severity=error]").count() >= 1
    assert page.locator("[role=alert] h2#problems-h").count() == 1
    upload(page, good)
    assert re.search(r"/portal/drafts/\d+$", page.url)
    draft_url = page.url

    # a second copy of the edit form, opened before the first one saves, is refused rather than merged
    stale = page.context.new_page()
    stale.goto(draft_url + "/edit")
    click(page, page.get_by_role("link", name="Edit"))
    click(page, page.get_by_role("button", name="Check and save"))
    click(stale, stale.get_by_role("button", name="Check and save"))
    assert stale.locator("p.error[role=alert]").count() == 1 and "Someone saved this draft" in stale.content()
    stale.close()

    # the compare page shows what the draft changes; the draft PDF carries the watermark on every page
    page.goto(draft_url)
    click(page, page.get_by_role("link", name="Compare with the published version"))
    _check_item_changes(page)
    page.goto(draft_url)
    texts = pdf_texts(download(page, page.get_by_role("link", name="Draft PDF")))
    assert len(texts) > 1 and all("DRAFT, not approved" in t for t in texts)
    click(page, page.get_by_role("button", name="Submit for review"))
    assert page.locator(".status.submitted").count() == 1

    registrar = login(browser, base, people["registrar"])
    assert "/review/" in registrar.url
    click(registrar, registrar.locator("table.listing a").first)
    _check_item_changes(registrar)
    registrar.fill("#body", "Please check the weights.")
    click(registrar, registrar.get_by_role("button", name="Request changes"))
    assert registrar.locator(".status.changes-requested").count() == 1
    page.reload()
    assert "Please check the weights." in page.content()
    click(page, page.get_by_role("button", name="Submit for review"))
    registrar.reload()
    click(registrar, registrar.get_by_role("button", name="Approve"))
    assert registrar.locator("p.bump").count() == 1 and registrar.locator(".change-class.major").count() == 1
    click(registrar, registrar.get_by_role("button", name=re.compile("Publish version 3.0")))
    assert registrar.url.endswith(f"/standards/{CODE}/3.0")

    # an anonymous visitor: 3.0 is current, 2.0 superseded, and the diff names exactly what changed
    visitor = new_page(browser)
    visitor.goto(f"{base}/standards/{CODE}")
    assert visitor.locator("p.version-line").get_attribute("data-version") == "3.0"
    assert visitor.locator("p.version-line").get_attribute("data-status") == "in-force"
    history = visitor.locator("table.history")
    assert history.locator("tr[data-version='3.0']").get_attribute("data-status") == "in-force"
    assert history.locator("tr[data-version='2.0']").get_attribute("data-status") == "superseded"
    click(visitor, visitor.get_by_role("link", name="Compare with 2.0"))
    assert "from=2.0" in visitor.url and "to=3.0" in visitor.url
    _check_item_changes(visitor)

    # the registrar withdraws another standard with a reason; the public page says so
    registrar.goto(f"{base}/standards/{WITHDRAWN}")
    click(registrar, registrar.get_by_role("link", name="Withdraw this version"))
    registrar.fill("#reason", "Replaced by the 2025 national standard.")
    click(registrar, registrar.get_by_role("button", name="Withdraw"))
    visitor.goto(f"{base}/standards/{WITHDRAWN}")
    notice = visitor.locator("p.notice.withdrawn")
    assert notice.count() == 1 and "Replaced by the 2025 national standard." in notice.inner_text()
    assert visitor.locator("p.version-line").get_attribute("data-status") == "withdrawn"
    _check_the_feed(server, browser)


def _check_item_changes(page) -> None:
    """The item rows of a diff (draft compare, review or public page) are exactly version_3()'s changes."""
    rows = page.locator("table.items-diff tbody tr")
    shown = {rows.nth(i).get_attribute("data-item"): rows.nth(i).get_attribute("data-change")
             for i in range(rows.count())}
    assert shown == {REWORDED[0]: "reworded", REMOVED: "removed", ADDED[0]: "added"}
    reworded = page.locator(f"tr[data-item='{REWORDED[0]}']")
    inserted = "".join(reworded.locator("td.after ins").all_inner_texts())
    assert "采集人员" in inserted and "collector" in inserted
    added = page.locator(f"tr[data-item='{ADDED[0]}'] td.after").inner_text()
    assert ADDED[2] in added or ADDED[1] in added
    assert page.locator(f"tr[data-item='{REMOVED}'] td.before del").count() >= 1


# --- reading ---------------------------------------------------------------------------------------


def test_trainer_searches_in_chinese_and_english_and_filters_by_level(server, browser):
    page = new_page(browser, "zh", phone=True)
    page.goto(server.base + "/")
    page.fill("#q", "数据标注")
    click(page, page.get_by_role("button", name="搜索"))
    assert page.locator("ol.hits mark").count() > 0
    click(page, page.get_by_role("button", name="English"))
    assert page.locator("html").get_attribute("lang") == "en"
    page.fill("#q", "annotation")
    click(page, page.get_by_role("button", name="Search"))
    assert page.locator("ol.hits li").count() > 0
    page.locator("aside.facets summary").click()  # on a phone the facets are folded behind a button
    click(page, page.locator("aside.facets a[data-value='L4']").first)
    assert "level=L4" in page.url
    hits = page.locator("ol.hits > li")
    assert hits.count() > 0
    for i in range(hits.count()):
        hit = hits.nth(i)
        if hit.get_attribute("data-kind") == "standard":
            continue  # a whole standard has every level; its items are the hits that carry one
        assert hit.locator(".level").get_attribute("data-level") == "L4", hit.inner_text()
    assert hits.locator(".level[data-level='L4']").count() > 0


def test_hr_downloads_the_pdf_and_verifies_it(server, browser):
    page = new_page(browser)
    page.goto(f"{server.base}/standards/{CODE}")
    title = page.locator("h1").inner_text()
    texts = pdf_texts(download(page, page.get_by_role("link", name="PDF", exact=True)))
    assert len(texts) > 1
    assert "人工智能训练师" in "".join(texts) and title in " ".join(" ".join(texts).split())
    # the PDF prints the sha256 of the version's source: the verify page finds the version by it
    digest = re.search(r"^([0-9a-f]{64})$", texts[0], re.M).group(1)
    assert digest == _current_sha256(server)
    page.goto(f"{server.base}/verify/{digest}")
    assert page.locator(".verdict.ok").count() == 1
    click(page, page.get_by_role("link", name="Open this version"))
    assert page.locator("p.version-line").get_attribute("data-status") == "in-force"


def test_browse_by_sector_and_by_occupation(server, browser):
    page = new_page(browser, "zh")
    page.goto(f"{server.base}/standards")
    assert page.locator("section h2", has_text="人工智能").count() == 1
    click(page, page.get_by_role("link", name="按职业"))
    group = page.locator("ul.groups a[href$='group=2-02-38']")
    assert "数字技术工程技术人员" in group.inner_text()
    count = int(group.locator("xpath=..").locator(".count").inner_text())
    click(page, group)
    codes = page.locator("table.listing td.code a").all_inner_texts()
    assert len(codes) == count and all(code.startswith("2-02-38-") for code in codes)


def _check_the_feed(server, browser) -> None:
    """The Atom feed says what the lifecycle above published and withdrew (checked at its end: on another
    xdist worker, with its own server, a test of its own would find neither)."""
    page = new_page(browser)
    response = page.request.get(f"{server.base}/feed.atom")
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(response.body()).findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    published = next(e for e, t in zip(entries, titles) if f"{CODE} 3.0" in t and "Published" in t)
    assert "Changes since 2.0" in published.findtext(f"{ATOM}summary")
    named = [c.text for c in published.iter("{http://www.w3.org/1999/xhtml}code")]
    assert {REWORDED[0], REMOVED, ADDED[0]} <= set(named)
    withdrawn = next(e for e, t in zip(entries, titles) if WITHDRAWN in t and "Withdrawn" in t)
    assert "Replaced by the 2025 national standard." in withdrawn.findtext(f"{ATOM}summary")


def test_pages_read_and_switch_language_without_javascript(server, browser):
    page = new_page(browser, "en", javascript=False)
    for path in ("/", "/standards", f"/standards/{CODE}", f"/standards/{CODE}/diff?from=1.0&to=2.0",
                 "/search?q=annotation"):
        response = page.goto(server.base + path)
        assert response.status == 200 and page.locator("main h1").count() == 1, path
    page.goto(f"{server.base}/standards/{CODE}")
    click(page, page.get_by_role("button", name="中文"))  # a plain GET form
    assert page.url.endswith(f"/standards/{CODE}") and "版本历史" in page.content()
    page.goto(server.base + "/standards")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"  # remembered by the cookie


# --- helpers of the page tests (every main page at every width: test_layout_a11y.py) --------------


def _current_sha256(server) -> str:
    from registry.db import read_session
    from registry.services import standing

    with read_session(server.app.extensions["registry.engine"]) as session:
        return standing.history(session, CODE, server.app.extensions["registry.clock"]).in_force().sha256


def _submitted_draft(server) -> int:
    """A draft waiting in the review queue (made once per server)."""
    if not hasattr(server, "queued"):
        from registry.db import write_session
        from registry.services import drafts
        from registry.services.context import Actor

        author = Actor(server.people["body"], "body-member", "body-a")
        # 2.0's text as 4.0: against 3.0, the version in force, it undoes 3.0's changes (a diff to review)
        text = re.sub(r"(?m)^version: .*$", "version: '4.0'", (STANDARDS / CODE / "2.0.yaml").read_text("utf-8"),
                      count=1)
        with write_session(server.app.extensions["registry.engine"]) as session:
            draft = drafts.create_draft(session, text.encode(), author)
            drafts.submit(session, draft.id, author)
            server.queued = draft.id
    return server.queued


def test_screenshots_are_where_the_readme_says():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "REGISTRY_SCREENSHOTS_DIR" in readme and "test-artifacts/screenshots" in readme
    assert "make screenshots" in readme and re.search(r"(?m)^screenshots: ", (ROOT / "Makefile").read_text())
    assert "test-artifacts/" in (ROOT / ".gitignore").read_text()
