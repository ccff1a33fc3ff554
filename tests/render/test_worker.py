"""registry.render.worker: rendering outside the process, warm, within time and memory limits."""

from __future__ import annotations

import copy

import pypdf
import pytest

from registry.render import RenderFailed, fonts, render_html, source_attachment_name
from registry.render.html import ASSET_BASE

from .conftest import info_for, squash

# --- limits: the render worker ---------------------------------------------------------------------------


def pathological_document(doc: dict, work_contents: int, text: str = "能完成规定的工作内容。Can do the work.") -> dict:
    doc = copy.deepcopy(doc)
    fn = doc["work_requirements"]["sections"][0]["functions"][0]
    fn["work_contents"] = [
        {"id": f"WC-{i}", "number": f"1.{i + 1}", "name": {"zh": f"工作内容{i}", "en": f"Work content {i}"},
         "requirements": [{"id": f"R-{i}-{j}", "number": f"1.{i + 1}.{j + 1}", "text": {"zh": text, "en": text}}
                          for j in range(4)],
         "knowledge": [{"id": f"K-{i}", "number": f"1.{i + 1}.1", "text": {"zh": text, "en": text}}]}
        for i in range(work_contents)
    ]
    return doc


def test_worker_renders_warm_and_outside_the_process(worker, example):
    import os

    source, doc = example
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    pdf = worker.render_pdf(html, attachments=[("a.yaml", source)])
    assert pdf.startswith(b"%PDF-")
    assert worker.last_stats["worker_pid"] != os.getpid()
    assert worker.status()["ready"] and worker._ready["warm"]["pages"] == 1


def test_a_warm_worker_started_long_before_its_first_render_is_used(example):
    """A server that gets its first PDF request minutes after start: the warm child's "ready"
    message has waited in the pipe past the start-up deadline, and it is still the one used."""
    import select

    from registry.render.worker import RenderWorker

    source, doc = example
    worker = RenderWorker(start_timeout=60, warm=True).start()
    try:
        pid = worker.pid
        assert select.select([worker._proc.stdout.fileno()], [], [], 60)[0]  # warmed up and ready
        worker._spawned_at -= 3600  # an hour ago
        html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
        assert worker.render_pdf(html).startswith(b"%PDF-")
        assert (worker.pid, worker.restarts) == (pid, 0)
        assert worker._ready["warm"]["pages"] == 1
    finally:
        worker.close()


def test_recycled_children_leave_no_font_files_behind(example, tmp_path, monkeypatch):
    """WeasyPrint keeps each process's fonts (megabytes) in a temporary folder that only the process's
    own exit removes; the worker kills its children (recycled after max_renders, over a limit), and
    none of them may leave files in the temporary directory, nor the worker once closed."""
    import tempfile

    from registry.render.worker import RenderWorker

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    source, doc = example
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    worker = RenderWorker(max_renders=2, warm=False)
    try:
        pids = set()
        for _ in range(2):  # two children, each recycled after its second render
            assert worker.render_pdf(html).startswith(b"%PDF-")
            assert list(tmp_path.rglob("weasyprint-*/*")), "the child keeps no fonts in the temporary directory"
            assert worker.render_pdf(html).startswith(b"%PDF-")
            pids.add(worker.last_stats["worker_pid"])
            assert not list(tmp_path.rglob("weasyprint-*")), "the recycled child's fonts are left behind"
        assert len(pids) == 2
    finally:
        worker.close()
    assert not list(tmp_path.iterdir())


def test_a_child_killed_while_idle_just_before_a_render_is_replaced_and_the_render_works(example):
    """The child dies (SIGKILL from outside) while the request is already in its pipe but not yet
    read: it never started the render, so the render goes to a fresh child instead of failing (the
    child is stopped first so that the kill lands exactly there)."""
    import fcntl
    import os
    import signal
    import struct
    import termios
    import threading
    import time

    from registry.render.worker import RenderWorker

    source, doc = example
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    worker = RenderWorker(timeout=120, warm=False).start()
    outcome: dict = {}
    try:
        assert worker.render_pdf(html).startswith(b"%PDF-")  # ready and idle, waiting for a request
        pid = worker.pid
        os.kill(pid, signal.SIGSTOP)
        thread = threading.Thread(target=lambda: outcome.update(pdf=_render_or_error(worker, html)))
        thread.start()
        pending = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)  # the child's request pipe
        try:
            deadline = time.monotonic() + 60
            while struct.unpack("i", fcntl.ioctl(pending, termios.FIONREAD, b"\0" * 4))[0] == 0:
                assert time.monotonic() < deadline, "the request never reached the child's pipe"
                time.sleep(0.01)
        finally:
            os.close(pending)
        os.kill(pid, signal.SIGKILL)
        thread.join(120)
        assert isinstance(outcome["pdf"], bytes) and outcome["pdf"].startswith(b"%PDF-"), outcome
        assert worker.pid != pid
    finally:
        worker.close()


def _render_or_error(worker, html: str):
    try:
        return worker.render_pdf(html)
    except Exception as error:  # noqa: BLE001 - the test shows what it got instead of a PDF
        return error


def test_pathological_document_hits_the_time_limit_and_the_caller_lives_on(worker, example):
    source, doc = example
    huge = render_html(pathological_document(doc, 3000), lang="en", status_info=info_for(source),
                       standalone=False, for_pdf=True)
    old_pid = worker.pid
    with pytest.raises(RenderFailed) as caught:
        worker.render_pdf(huge, timeout=3)
    assert caught.value.details["limit"] == "time"
    assert "longer than 3 s" in caught.value.message
    assert worker.pid != old_pid  # the child was killed and replaced
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    assert worker.render_pdf(html).startswith(b"%PDF-")  # and the next render works


def test_pathological_document_hits_the_memory_limit():
    """A huge unbreakable text (3 million characters, beyond what the schema lets a document hold,
    and without the soft breaks render_html would add) needs gigabytes of glyph buffers."""
    from registry.render.worker import RenderWorker

    huge = (f"<html><head><style>{fonts.font_face_css(ASSET_BASE)}</style></head>"
            f"<body><p>{'a' * 3_000_000}</p></body></html>")
    small = RenderWorker(timeout=300, memory_mb=450, warm=False).start()
    try:
        with pytest.raises(RenderFailed) as caught:
            small.render_pdf(huge)
        assert caught.value.details["limit"] == "memory"
        assert small.pid is not None and small.restarts == 1  # replaced, ready for the next render
    finally:
        small.close()


def test_too_many_rows_are_refused_before_rendering(example):
    from registry.render import MAX_RENDER_ITEMS, render_standard_pdf

    source, doc = example
    huge = pathological_document(doc, MAX_RENDER_ITEMS // 5)  # 6 entries per work content
    with pytest.raises(RenderFailed) as caught:
        render_standard_pdf(huge, source=source, status_info=info_for(source))
    assert caught.value.details["limit"] == "size" and caught.value.details["items"] > MAX_RENDER_ITEMS


def test_render_standard_pdf_end_to_end(worker, example, monkeypatch):
    """The composition the export layer calls: HTML in this process, PDF in the warm worker."""
    import registry.render.worker as worker_module
    from registry.render import render_standard_pdf

    source, doc = example
    monkeypatch.setattr(worker_module, "get_worker", lambda **_: worker)
    pdf = render_standard_pdf(doc, source=source, status_info=info_for(source), lang="en")
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    assert reader.attachments == {source_attachment_name(doc): [source]}
    assert "物联网工程技术人员" in squash(reader.pages[0].extract_text())


def test_oversized_html_is_refused_before_rendering():
    from registry.render.worker import MAX_HTML_BYTES, RenderWorker

    worker = RenderWorker()  # never started: the size check comes first
    with pytest.raises(RenderFailed) as caught:
        worker.render_pdf("x" * (MAX_HTML_BYTES + 1))
    assert caught.value.details["limit"] == "size"
    assert worker.pid is None
