"""End-to-end, in Chromium: every main page at 1280, 768 and 390 px in both interface languages.

On each page load: no element passes the viewport's right edge and the page does not scroll sideways
(every element's bounding box, via the layout API); the entries of a standard's and a level's contents list,
markers included, never overlap; at 390 px a requirement table is one card per work content, the diff keeps
its "After" side on the screen, and the search's facets are folded behind a button with the first result on
the first screen;
axe-core (node_modules/axe-core, `make install`) finds no violation of impact serious or critical (at 1280 and
390 px). Each page is photographed (``layout-<page>-<lang>-<width>.png`` under $REGISTRY_SCREENSHOTS_DIR,
with `make screenshots`, or when a check of it fails; docs/screenshots.md lists what was looked at). One
server (SQLite: layout does not depend on the catalog's backend) and one browser for the module.

Keyboard: search, the portal's upload and the review's actions are done with the keyboard alone.
"""

from __future__ import annotations

import re

import pytest

from ..conftest import ROOT, STANDARDS
from ..web_helpers import PASSWORD
from .test_browser import CODE, LOCALES, _current_sha256, _submitted_draft, browser, photograph, server  # noqa: F401
from .test_portal_layout import OVERFLOW

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 768, 390)
PHONE = 390

#: each list item of the contents list (with its number marker, when the marker stands outside the item's
#: box) against every other item of the same list: the pairs whose boxes overlap
CONTENTS_OVERLAPS = """() => {
  const boxes = [];
  for (const li of document.querySelectorAll("nav.contents li, nav.toc li")) {
    const style = getComputedStyle(li), r = li.getBoundingClientRect();
    const outside = style.listStylePosition === "outside" && style.listStyleType !== "none";
    const marker = outside ? parseFloat(style.fontSize) * 1.5 : 0;  // "10." in front of the item's box
    const first = li.firstElementChild ? li.firstElementChild.getBoundingClientRect() : r;
    boxes.push({li, text: li.firstElementChild ? li.firstElementChild.textContent : li.textContent,
                left: r.left - marker, right: r.right, top: first.top, bottom: first.bottom});
  }
  const out = [];
  for (const a of boxes) for (const b of boxes) {
    if (a === b || a.li.parentElement !== b.li.parentElement) continue;
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
      out.push(`${a.text} / ${b.text}`);
  }
  return out.slice(0, 10);
}"""

#: the cells of the first rows of each requirement table: their display and boxes
REQUIREMENT_CARDS = """() => [...document.querySelectorAll("table.requirements tbody tr")].slice(0, 6).map(tr => ({
  display: getComputedStyle(tr).display, right: tr.getBoundingClientRect().right,
  cells: [...tr.querySelectorAll("td")].map(td => { const r = td.getBoundingClientRect();
    return {display: getComputedStyle(td).display, top: r.top, bottom: r.bottom, width: r.width}; })}))"""


def _pages(server) -> list[tuple[str, str, str | None]]:  # noqa: F811
    """(name, path, who) of the main pages; ``who`` signs in first."""
    return [("home", "/", None), ("browse", "/standards", None),
            ("browse-occupation", "/standards?by=occupation", None),
            ("standard", f"/standards/{CODE}", None), ("level", f"/standards/{CODE}/2.0/levels/L4", None),
            ("item", f"/standards/{CODE}/2.0/items/R-L5-collect-acq-1", None),
            ("diff", f"/standards/{CODE}/diff?from=1.0&to=2.0", None), ("search", "/search?q=annotation", None),
            ("search-zh", "/search?q=数据标注", None), ("error", "/search?q=%22unclosed", None),
            ("verify", f"/verify/{_current_sha256(server)}", None), ("login", "/login", None),
            ("portal-drafts", "/portal/", "body"), ("portal-new", "/portal/drafts/new", "body"),
            ("review-queue", "/review/", "registrar"),
            ("review-draft", f"/review/drafts/{_submitted_draft(server)}", "registrar")]


def _axe(page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text("utf-8"))
    found = page.evaluate("""async () => {
      const r = await axe.run(document, {resultTypes: ["violations"]});
      return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`);
    }""")
    return found


def _context(browser, lang: str, width: int):  # noqa: F811
    # bypass_csp: the site's policy (script-src 'self') would refuse the axe-core script the test injects
    context = browser.new_context(locale=LOCALES[lang], bypass_csp=True,
                                  viewport={"width": width, "height": 844 if width == PHONE else 900})
    context.set_default_timeout(90_000)
    if width != 768:  # where axe runs: with each document, instead of sent over the protocol for each page
        context.add_init_script(path=str(AXE))
    return context


def _sign_in(context, base: str, email: str):
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    return page


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: `make install` installs it (npm ci)", pytrace=False)
    return AXE


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_main_page_fits_reflows_and_passes_axe(server, browser, axe_source, lang, width):  # noqa: F811
    context = _context(browser, lang, width)
    pages = {None: context.new_page()}
    failures: list[str] = []
    for name, path, who in _pages(server):
        if who not in pages:
            pages[who] = _sign_in(context, server.base, server.people[who]) if who == "body" else \
                _sign_in(_context(browser, lang, width), server.base, server.people[who])
        page = pages[who]
        response = page.goto(server.base + path)
        assert response.status == (400 if name == "error" else 200), (path, response.status)
        where = f"{path} ({lang}, {width}px)"
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"] or found["out"]:
            failures.append(f"{where}: wider than the screen: {found}")
        if name in ("standard", "level") and (overlaps := page.evaluate(CONTENTS_OVERLAPS)):
            failures.append(f"{where}: contents entries overlap: {overlaps}")
        if name in ("standard", "level") and width == PHONE:
            for row in page.evaluate(REQUIREMENT_CARDS):
                cells = row["cells"]
                stacked = all(c["display"] == "block" for c in cells) and \
                    all(b["top"] >= a["bottom"] - 0.5 for a, b in zip(cells, cells[1:]))
                if row["display"] != "block" or not stacked or row["right"] > width:
                    failures.append(f"{where}: a requirement row is not a card: {row}")
                    break
        if name == "diff" and width == PHONE:
            after = page.locator("table.items-diff td.after").first.bounding_box()
            if after is None or after["x"] + after["width"] > width or after["width"] < 0.6 * (width - 40):
                failures.append(f"{where}: the diff's After side is cut or squeezed: {after}")
        if name.startswith("search"):
            refine = page.locator("aside.facets details.refine")
            first_hit = page.locator("ol.hits > li").first.bounding_box()
            facet_link = page.locator("aside.facets a[data-value]").first
            if width == PHONE:
                if refine.get_attribute("open") is not None or facet_link.is_visible():
                    failures.append(f"{where}: the facets are not folded")
                if first_hit["y"] > 844:
                    failures.append(f"{where}: the first result is below the first screen ({first_hit['y']}px)")
                page.locator("aside.facets summary").click()  # the button unfolds them
                if not facet_link.is_visible():
                    failures.append(f"{where}: the facets button does not unfold them")
            elif not facet_link.is_visible():
                failures.append(f"{where}: the facets are not shown beside the results")
        if name == "search-zh":  # a Chinese query highlights what it matched, in either interface language
            marks = page.locator("ol.hits .snippet mark").all_inner_texts()
            if not marks or not all(re.search(r"[数据标注]", m) for m in marks):
                failures.append(f"{where}: the Chinese query highlights nothing: {marks[:5]}")
        if name == "error" and page.locator("main form[role=search] input#q").count() != 1:
            failures.append(f"{where}: the error page has no search box")
        if width != 768:
            failures += [f"{where}: axe: {v}" for v in _axe(page)]
        photograph(page, f"layout-{name}-{lang}-{width}", failed=any(f.startswith(where) for f in failures))
    for page in pages.values():
        page.context.close()
    assert not failures, "\n".join(failures)


def _tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element ``selector`` has the focus (it must be reachable by the keyboard), and
    check that the focus can be seen."""
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            style = target.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
            assert style[0] != "none" and style[1] != "0px", (selector, style)
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def test_search_upload_and_review_with_the_keyboard_alone(server, browser):  # noqa: F811
    context = _context(browser, "en", 1280)
    page = context.new_page()
    # search: the box, a query, Enter; a result opened with Enter
    page.goto(server.base + "/")
    _tab_to(page, "#q")
    page.keyboard.type("annotation")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/search?q=annotation" in page.url and page.locator("ol.hits > li").count() > 0
    _tab_to(page, "ol.hits > li a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/items/" in page.url or "/standards/" in page.url

    # signing in and the portal's upload: the file chooser opened from the keyboard
    page.goto(server.base + "/login")
    _tab_to(page, "#email")
    page.keyboard.type(server.people["body"])
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(server.base + "/portal/drafts/new")
    # Playwright asks the browser to intercept file choosers without waiting for it to be done: listening from
    # here, before the Tab presses, the interception is in place when Space opens the chooser
    page.on("filechooser", lambda chooser: None)
    _tab_to(page, "#file")
    text = (STANDARDS / CODE / "2.0.yaml").read_text("utf-8").replace("level_scheme: skill-grades",
                                                                      "level_scheme: no-such", 1)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files({"name": "draft.yaml", "mimeType": "application/yaml", "buffer": text.encode()})
    _tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("article.problem[data-severity=error]").count() >= 1
    _tab_to(page, "nav.problem-index a")  # the index leads to the error, by keyboard too
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash.length > 1")
    context.close()

    # the review: a comment and "Request changes" with the keyboard
    context = _context(browser, "en", 1280)
    page = _sign_in(context, server.base, server.people["registrar"])
    draft = _submitted_draft(server)
    page.goto(f"{server.base}/review/drafts/{draft}")
    _tab_to(page, "#body")
    page.keyboard.type("Please check the weights.")
    _tab_to(page, "button:has-text('Request changes')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".status.changes-requested").count() == 1
    assert "Please check the weights." in page.locator("main").inner_text()
    context.close()
