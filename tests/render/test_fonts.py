"""registry.render.fonts and the template version: prepared fonts, glyph checks, the version facts."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

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


def _copy_prepared(out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in [face.file_name for face in fonts.FACES] + [fonts.MANIFEST]:
        (out_dir / name).write_bytes((fonts.FONTS_DIR / name).read_bytes())
    return fonts.read_manifest(out_dir)


def test_a_checkout_copies_the_fonts_another_checkout_of_the_machine_built(tmp_path, monkeypatch):
    """`make install` in a second checkout (a fresh clone, a worktree) copies the prepared fonts the first
    one built from the machine's cache instead of building them again (the build is what takes a minute;
    this checkout's prepared fonts stand in for its result); fonts in the cache that do not match their
    manifest are built again."""
    if not fonts.prepared_faces():
        pytest.fail("the prepared fonts are missing: `make install` prepares them", pytrace=False)
    builds = []

    def build(sources, out_dir, extra, extra_digest, jobs, say):
        builds.append(out_dir)
        return _copy_prepared(out_dir)

    monkeypatch.setattr(fonts, "_build", build)
    cache, standards = tmp_path / "cache", tmp_path / "standards"
    standards.mkdir()
    first = fonts.prepare(tmp_path / "first", standards_dir=standards, cache=cache)
    second = fonts.prepare(tmp_path / "second", standards_dir=standards, cache=cache)
    assert builds == [tmp_path / "first"] and first == second == fonts.read_manifest()
    for face in fonts.FACES:
        assert (tmp_path / "second" / face.file_name).read_bytes() == (fonts.FONTS_DIR / face.file_name).read_bytes()
    (kept,) = cache.iterdir()
    # kept under what the build depended on (no extra characters: the corpus folder is empty)
    assert kept.name == fonts._cache_key({face.key: fonts.find_source(face) for face in fonts.FACES}, None)

    shutil.rmtree(cache)  # fonts prepared before the cache existed are kept in it by the next `make install`
    assert fonts.prepare(tmp_path / "first", standards_dir=standards, cache=cache) == first
    (kept,) = cache.iterdir()
    assert builds == [tmp_path / "first"]

    damaged = kept / fonts.FACES[0].file_name
    damaged.write_bytes(b"\0" * damaged.stat().st_size)  # same size: only its sha256 tells
    assert fonts.prepare(tmp_path / "third", standards_dir=standards, cache=cache) == first
    assert builds == [tmp_path / "first", tmp_path / "third"]


def test_the_cache_of_prepared_fonts_is_told_apart_by_what_a_build_depends_on():
    sources = {face.key: fonts.find_source(face) for face in fonts.FACES}
    if None in sources.values():
        pytest.fail("fonts-noto-cjk is missing: `make install` installs it", pytrace=False)
    assert fonts._cache_key(sources, "a") == fonts._cache_key(dict(sources), "a")
    assert fonts._cache_key(sources, "a") != fonts._cache_key(sources, "b") != fonts._cache_key(sources, None)


def test_the_cache_of_prepared_fonts_is_set_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRY_FONTS_CACHE", str(tmp_path / "fonts"))
    assert fonts.cache_dir() == tmp_path / "fonts"
    monkeypatch.setenv("REGISTRY_FONTS_CACHE", "off")
    assert fonts.cache_dir() is None
    monkeypatch.setenv("REGISTRY_FONTS_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert fonts.cache_dir() == tmp_path / "xdg" / "registry-fonts"


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
