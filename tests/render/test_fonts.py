"""registry.render.fonts and the template version: prepared fonts, glyph checks, the version facts."""

from __future__ import annotations

import copy
import re

import pikepdf
import pytest

from registry.exports import VersionInfo
from registry.render import RenderFailed, fonts, template_version
from registry.render.html import ASSET_BASE

from .conftest import BASE, info_for

# --- fonts and versions ----------------------------------------------------------------------------------


def test_missing_glyphs_are_detected():
    """The check above would see tofu: a character no installed font has gets a custom encoding."""
    from registry.render.pdf import render_pdf

    stats: dict = {}
    html = (f'<html lang="zh"><head><style>{fonts.font_face_css(ASSET_BASE)} p {{ font-family: var(--song) }}</style>'
            "</head><body><p>标准 \u0f00</p></body></html>")
    pdf = pikepdf.open(__import__("io").BytesIO(render_pdf(html, stats=stats)))
    encodings = {str(f.Encoding) for _, f in pdf.pages[0].Resources.Font.items()}
    assert encodings != {"/Identity-H"}
    assert stats["missing_glyphs"] == ["\u0f00"]


def test_prepared_font_character_set():
    points = fonts.charset()
    assert len(fonts.gb2312_characters()) > 7000
    for char in "国家职业技术技能标准（）《》〔〕、。；：“”—…①Ⅰéèàçœ≤≥×":
        assert ord(char) in points, char


def test_font_css_falls_back_to_the_system_font(tmp_path):
    css = fonts.font_face_css(ASSET_BASE, fonts_dir=tmp_path)
    assert "@font-face" not in css
    assert css.startswith(':root { --song: "Noto Serif CJK SC"') and '--hei: "Noto Sans CJK SC"' in css
    if fonts.prepared_faces():
        css = fonts.font_face_css(ASSET_BASE)
        assert css.count("@font-face") == 2 and f"{ASSET_BASE}fonts/RegistrySerifCJKSC-Regular.ttf" in css
        assert f"{ASSET_BASE}fonts/RegistrySansCJKSC-Bold.ttf" in css
        assert '--song: "Registry Serif CJK SC", "Noto Serif CJK SC"' in css


def test_template_version_is_stable():
    assert template_version() == template_version()
    assert re.fullmatch(r"[0-9a-f]{16}", template_version())


def test_version_info_from_catalog_rows():
    from registry.lifecycle import Standing

    class Row:
        sha256, code, version, published_at = "a" * 64, "2-02-38-01", "1.0", None

    info = VersionInfo.of_version(Row(), Standing("1.0", "superseded", successor="1.1"), BASE + "/")
    assert info.verify_url == f"{BASE}/verify/{'a' * 64}"
    assert info.permalink == f"{BASE}/standards/2-02-38-01/1.0"
    assert info.successor_url() == f"{BASE}/standards/2-02-38-01/1.1"
    with pytest.raises(ValueError):
        VersionInfo(code="2-02-38-01", version="1.0", sha256="not-a-sha")


def test_every_table_entry_counts_toward_the_render_limit_basic_knowledge_too(example):
    # A draft of 10,000 basic knowledge items passed a limit that counted only work requirements,
    # and its PDF took 26 s: it is refused before any render, as many requirements would be.

    from registry.render import render_standard_pdf

    source, doc = example
    huge = copy.deepcopy(doc)
    group = huge["basic_requirements"]["basic_knowledge"][0]
    group["items"] = [{**group["items"][0], "id": f"BK-{n}", "number": str(n + 1)} for n in range(10_000)]
    with pytest.raises(RenderFailed) as caught:
        render_standard_pdf(huge, source=source, status_info=info_for(source))
    assert caught.value.details["limit"] == "size" and caught.value.details["items"] > 10_000


def test_a_render_child_killed_mid_render_is_a_503_and_the_next_render_works(example, monkeypatch):
    # A crashed or killed child is a transient fault of the renderer (503, retry), not a fault of the
    # document (422): the same document renders once the child is replaced.
    import os
    import signal

    import registry.render.worker as worker_module
    from registry.render import RenderUnavailable
    from registry.render.html import render_html as html_of
    from registry.render.worker import RenderWorker

    source, doc = example
    html = html_of(doc, status_info=info_for(source), standalone=False, for_pdf=True)
    worker = RenderWorker(timeout=120, warm=False).start()
    original = worker_module._read_frame_until

    def killed_meanwhile(fd, deadline):  # the child is killed once it says it has taken the document
        frame = original(fd, deadline)
        if frame.get("taken"):
            os.kill(worker.pid, signal.SIGKILL)
        return frame

    try:
        monkeypatch.setattr(worker_module, "_read_frame_until", killed_meanwhile)
        with pytest.raises(RenderUnavailable) as caught:
            worker.render_pdf(html)
        assert caught.value.details["exit_code"] == -signal.SIGKILL
        monkeypatch.undo()
        assert worker.render_pdf(html).startswith(b"%PDF")
    finally:
        worker.close()
