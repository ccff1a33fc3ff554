"""End-to-end: the pages in headless Chromium (Debian's), against a real server on a loopback port.

Run with the rest of the suite; skipped when /usr/bin/chromium or playwright is missing.
Screenshots of the main pages are saved under test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil
import threading
import zlib
from pathlib import Path

import pytest

from ..conftest import STANDARDS
from ..web_helpers import PASSWORD, add_people

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
CODE = "4-04-05-05"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_templates):
    """The app on SQLite with the corpus, served by werkzeug on a free loopback port."""
    from werkzeug.serving import make_server

    from registry import create_app

    folder = tmp_path_factory.mktemp("e2e")
    db = folder / "registry.sqlite3"
    db.write_bytes(sqlite_templates[True].read_bytes())
    app = create_app({"DATABASE_URL": f"sqlite:///{db}", "DATA_DIR": str(folder / "instance"),
                      "EXPORTS_DIR": str(folder / "exports"), "LOG_LEVEL": "WARNING"})
    people = add_people(app.extensions["registry.engine"], "body-a")
    from registry.services.search import service_for

    service_for(app)  # build the search index before the browser waits on it
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["REGISTRY_BASE_URL"] = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app.config["REGISTRY_BASE_URL"], people
    httpd.shutdown()
    app.extensions["registry.engine"].dispose()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def login(browser, base, email, lang="en"):
    context = browser.new_context(locale=lang, viewport={"width": 390, "height": 844} if lang == "zh" else None)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{base}/login")
    page.get_by_label(re.compile("E-mail|电子邮箱")).fill(email)
    page.get_by_label(re.compile("Password|密码")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Sign in|登录)$")).click()
    return page


def _version_3(text: str) -> str:
    return re.sub(r"(?m)^version: .*$", "version: '3.0'", text, count=1).replace("（示例）", "（示例·修订）", 1)


def test_body_fixes_an_error_at_its_line_and_submits_then_registrar_publishes(server, browser):
    base, people = server
    page = login(browser, base, people["body"])
    page.goto(f"{base}/portal/drafts/new")
    good = _version_3((STANDARDS / CODE / "2.0.yaml").read_text("utf-8"))
    bad = good.replace("level_scheme: skill-grades", "level_scheme: no-such-scheme", 1)
    line = bad.split("\n").index("level_scheme: no-such-scheme") + 1
    page.set_input_files("#file", {"name": "draft.yaml", "mimeType": "application/yaml", "buffer": bad.encode()})
    page.get_by_role("button", name="Check and save").click()
    row = page.locator(f"tr#L{line}")
    assert row.locator(".issue").count() >= 1
    row.scroll_into_view_if_needed()
    shot(page, "portal-draft-errors")
    page.set_input_files("#file", {"name": "draft.yaml", "mimeType": "application/yaml", "buffer": good.encode()})
    page.get_by_role("button", name="Check and save").click()
    assert "/portal/drafts/" in page.url
    page.get_by_role("button", name="Submit for review").click()
    assert page.locator(".status.submitted").count() == 1
    shot(page, "portal-draft")

    registrar = login(browser, base, people["registrar"])
    assert "/review/" in registrar.url
    shot(registrar, "review-queue")
    registrar.locator("table.listing a").first.click()
    registrar.fill("#body", "Please check the weights.")
    registrar.get_by_role("button", name="Request changes").click()
    assert registrar.locator(".status.changes-requested").count() == 1
    # the body resubmits unchanged, the registrar approves and publishes after seeing the diff
    page.reload()
    assert "Please check the weights." in page.content()
    page.get_by_role("button", name="Submit for review").click()
    registrar.reload()
    registrar.get_by_role("button", name="Approve").click()
    assert registrar.locator("p.bump").count() == 1 and registrar.locator(".change-class").count() == 1
    shot(registrar, "review-draft")
    registrar.get_by_role("button", name=re.compile("Publish version 3.0")).click()
    assert registrar.url.endswith(f"/standards/{CODE}/3.0")
    assert "3.0" in registrar.locator("h1 + p, header p").first.inner_text() or "3.0" in registrar.content()
    shot(registrar, "standard-page")
    registrar.get_by_role("link", name="Compare with 2.0").click()
    assert registrar.locator(".change-class").count() == 1
    shot(registrar, "diff-page")


def test_trainer_searches_in_chinese_and_english_and_filters_by_level(server, browser):
    base, _ = server
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(base + "/")
    shot(page, "home-phone-zh")
    page.fill("#q", "数据标注")
    page.get_by_role("button", name="搜索").click()
    assert page.locator("ol.hits mark").count() > 0
    shot(page, "search-zh")
    page.get_by_role("button", name="English").click()
    page.fill("#q", "annotation")
    page.get_by_role("button", name="Search").click()
    assert page.locator("ol.hits li").count() > 0
    page.locator("aside.facets a", has_text="L4").first.click()
    assert "level=L4" in page.url
    assert page.locator("ol.hits li").count() > 0
    shot(page, "search-en-level")


def test_hr_downloads_the_pdf(server, browser):
    base, _ = server
    pytest.importorskip("registry.render.worker", reason="the PDF render worker is not in this build yet")
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/standards/{CODE}")
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("link", name="PDF", exact=True).click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    title = "人工智能训练师国家职业技能标准（示例"  # 2.0's or 3.0's title, whichever is current
    texts = [data]
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            texts.append(zlib.decompress(raw))
        except zlib.error:
            pass
    # the title is in the document information (UTF-16), the XMP metadata (UTF-8), or hex strings
    needles = (title.encode("utf-8"), title.encode("utf-16-be"), title.encode("utf-16-be").hex().encode())
    assert any(n in t or n.upper() in t.upper() for t in texts for n in needles)
