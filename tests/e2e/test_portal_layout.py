"""End-to-end, in Chromium at 1280 and 390 px: the portal shows a text's problems where they are on a
short, navigable page, and the next edition is started from a version's page; nothing overflows the
viewport (checked on every element's bounding box), and each state is photographed
(``portal-*.png`` under $REGISTRY_SCREENSHOTS_DIR). On SQLite only, as test_layout_a11y.py: the layout does
not depend on the catalog's backend, and starting the next version on both is tests/test_next_version.py's."""

from __future__ import annotations

import re

import pytest

from ..conftest import STANDARDS
from ..web_helpers import PASSWORD
from .test_browser import CODE, browser, click, photograph, server  # noqa: F401 (fixtures browser, server)

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

#: every visible element whose right edge passes the viewport (content of a scrolling box counts as the box)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
    }
    if (!clipped && box.right > width + 0.5) out.push(`${el.tagName}.${el.className} right=${Math.round(box.right)}`);
  }
  return {width, scroll: document.documentElement.scrollWidth, out: out.slice(0, 10)};
}"""


def three_errors() -> str:
    """4-04-05-05 2.0 as 2.1 with three errors far apart (the issue's example)."""
    text = (STANDARDS / CODE / "2.0.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^version: .*$", 'version: "2.1"', text, count=1)
    for old, new in (("edition: 2025", "edition: twenty"), ("level_scheme: skill-grades", "level_scheme: no-such"),
                     ('number: "1.1.3"', 'number: "1.1.9"')):
        assert old in text
        text = text.replace(old, new, 1)
    return text


def sign_in(browser, server, size: str):  # noqa: F811
    context = browser.new_context(locale="en-US", viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{server.base}/login")
    page.fill("#email", server.people["body"])
    page.fill("#password", PASSWORD)
    click(page, page.get_by_role("button", name="Sign in"))
    return page


def fits(page, where: str) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and not found["out"], (where, found)


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    viewport = page.viewport_size
    return box is not None and -1 <= box["y"] < viewport["height"] and box["x"] >= 0 and \
        box["x"] + box["width"] <= viewport["width"] + 0.5


@pytest.mark.parametrize("size", SIZES)
def test_three_errors_give_a_short_page_that_leads_to_each_error(server, browser, size):  # noqa: F811
    page = sign_in(browser, server, size)
    page.goto(f"{server.base}/portal/drafts/new")
    page.set_input_files("#file", {"name": "draft.yaml", "mimeType": "application/yaml",
                                   "buffer": three_errors().encode()})
    click(page, page.get_by_role("button", name="Check and save"))
    assert page.locator("h2#problems-h").inner_text() == "3 errors: nothing was saved"
    counts = page.locator("p.counts")
    assert in_view(page, counts) and counts.locator("[data-severity=error]").inner_text() == "3 errors"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 9000, height  # was one 56,000 px table
    fits(page, "problems")
    photograph(page, f"portal-problems-{size}")
    cards = page.locator("article.problem[data-severity=error]")
    assert cards.count() == 3
    for i in range(3):
        card = cards.nth(i)
        anchor = card.get_attribute("id")
        page.evaluate("window.scrollTo(0, 0)")  # from the summary at the top, each time
        link = page.locator(f"nav.problem-index a[href='#{anchor}']")
        link.click()
        page.wait_for_function(f"location.hash === '#{anchor}'")
        target = page.locator(f"article#{anchor}")
        assert in_view(page, target.locator("p.message"))  # the link brings the error into view
        message = target.locator("p.message").bounding_box()
        assert message["width"] >= 0.6 * (SIZES[size]["width"] - 40)  # a readable column, not a sliver
        marked = target.locator(".code .hit")
        assert marked.count() == 1 and marked.is_visible()
        assert target.locator(".code > div").count() <= 5
    # a folded group opens when one of its lines is followed; so does the whole file
    page.locator("nav.problem-index details summary").first.click()
    folded = page.locator("nav.problem-index details ol.lines a").first
    anchor = folded.get_attribute("href")[1:]
    folded.click()
    page.wait_for_function(f"location.hash === '#{anchor}'")
    assert page.locator(f"article#{anchor}").is_visible() and in_view(page, page.locator(f"article#{anchor}")), \
        (page.locator(f"article#{anchor}").bounding_box(), page.evaluate("window.scrollY"))
    cards.first.locator(".code > div.hit a").click()
    line = page.evaluate("location.hash")
    assert re.fullmatch(r"#L\d+", line) and page.locator(f"details.whole-file {line}").is_visible()
    fits(page, "whole file")
    photograph(page, f"portal-problems-file-{size}", full_page=False)  # the screen at the line, not the 1,756
    # lines of the page


@pytest.mark.parametrize("size,bump", [("desktop", "minor"), ("phone", "major")])
def test_the_next_edition_and_the_number_its_changes_need(server, browser, size, bump):  # noqa: F811
    page = sign_in(browser, server, size)
    page.goto(f"{server.base}/standards/{CODE}")
    fits(page, "standard page")
    current = page.locator("p.version-line").get_attribute("data-version")
    major, minor = map(int, current.split("."))
    number = f"{major}.{minor + 1}" if bump == "minor" else f"{major + 1}.0"
    name = "Start a new version" if bump == "minor" else "Start a new major version"
    click(page, page.get_by_role("button", name=f"{name} ({number})"))
    assert re.search(r"/portal/drafts/\d+$", page.url)
    assert f"Draft of version {number}" in page.locator("p.flash").inner_text()
    bump_line = page.locator("p.bump")
    assert (bump_line.get_attribute("data-base"), bump_line.get_attribute("data-version")) == (current, number)
    assert page.locator("p.start-warning").is_visible()  # it still states the first day of the version before
    fits(page, "new draft")
    photograph(page, f"portal-next-version-{size}")
    # the author removes a knowledge item and checks: a major change, which a minor number does not cover
    click(page, page.get_by_role("link", name="Edit"))
    text = page.locator("#source").input_value()
    assert re.search(r"(?m)^edition: \d{4}$", text) and f'version: "{number}"' in text
    removed = re.sub(r"\n {16}- id: K-L5-collect-acq-2\n(?: {18}.*\n)+?(?= {12}- id: WC-L5-collect-proc)", "\n", text,
                     count=1)
    assert removed != text
    # pasted over the whole text: Playwright's fill enters 1,800 lines as typed input (5 s); setting the value
    # and announcing it as a paste does is what the form then sends
    page.locator("#source").evaluate("(area, text) => { area.value = text; area.dispatchEvent("
                                     "new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste'})); }",
                                     removed)
    click(page, page.get_by_role("button", name="Check only"))
    assert page.locator("p.bump").get_attribute("data-required") == f"{major + 1}.0"
    assert in_view(page, page.locator("p.bump"))  # the number comes first, before the findings
    assert page.locator("p.bump-warning").is_visible() == (bump == "minor")
    fits(page, "checked edit")
    photograph(page, f"portal-checked-edit-{size}")
