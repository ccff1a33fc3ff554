"""Downloads at stable URLs, served from the exports cache; verification of printed sha256s."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from registry.clock import Clock
from registry.db import write_session
from registry.exports.formats import VERSION, of_scope
from registry.services import catalog, exports
from registry.services.context import Actor
from registry.services.export_all import export_all

from .conftest import RENDERED_ON_SQLITE, STANDARDS, VALID

REGISTRAR = Actor("registrar:test", "registrar")
DATA_FORMATS = ["csv", "json", "yaml", "case.json"]


def fetch(client, url, **kwargs):
    """GET and close: a file response holds its file open until closed."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def _exports(app) -> Path:
    return Path(app.config["REGISTRY_EXPORTS_DIR"]).resolve()


@pytest.mark.parametrize("fmt", DATA_FORMATS)
def test_a_versioned_download_is_immutable_and_cached(app, client, corpus, monkeypatch, fmt):
    url = f"/standards/4-04-05-05/1.0{exports.FORMATS[fmt].suffix}"
    first = fetch(client, url)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == exports.FORMATS[fmt].media_type  # e.g. one charset, header=present
    # the source's own formats keep for a year; CASE and CSV show the standing, which changes
    max_age = 3600 if fmt in ("case.json", "csv") else 31536000
    assert first.headers["Cache-Control"] == f"public, max-age={max_age}, immutable"
    source = (STANDARDS / "4-04-05-05" / "1.0.yaml").read_bytes()
    assert first.headers["ETag"].strip('"').startswith(hashlib.sha256(source).hexdigest())
    if fmt == "yaml":
        assert first.data == source

    def no_rendering(*args, **kwargs):
        raise AssertionError("a cached export was rendered again")

    monkeypatch.setattr(exports, "produce", no_rendering)
    second = fetch(client, url)
    assert second.status_code == 200 and second.data == first.data
    assert fetch(client, url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_latest_redirects_to_the_current_version(client, corpus):
    response = fetch(client, "/standards/4-04-05-05/latest.csv")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/standards/4-04-05-05/2.0.csv")
    assert response.headers["Cache-Control"] == "no-cache"


def test_unknown_format_or_version_is_404(client, corpus):
    assert fetch(client, "/standards/4-04-05-05/1.0.docx").status_code == 404
    assert fetch(client, "/standards/4-04-05-05/9.9.csv").status_code == 404
    assert fetch(client, "/standards/9-99-99-99/latest.csv").status_code == 404


def test_exports_folder_can_be_deleted_and_is_rebuilt_identically(app, client, corpus):
    first = fetch(client, "/standards/2-02-38-03/1.1.csv").data
    shutil.rmtree(_exports(app))
    assert fetch(client, "/standards/2-02-38-03/1.1.csv").data == first
    mirror = _exports(app) / "standards" / "2-02-38-03" / "1.1.csv"
    assert mirror.read_bytes() == first  # a plain web server can serve the folder


def test_a_status_change_gives_a_new_address(app, client, engine, corpus):
    before = fetch(client, "/standards/2-02-38-09/1.0.case.json")
    with write_session(engine) as session:
        catalog.withdraw(session, "2-02-38-09", "1.0", REGISTRAR, "pilot ended")
    after = fetch(client, "/standards/2-02-38-09/1.0.case.json")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"pilot ended" in after.data
    csv_before = fetch(client, "/standards/2-02-38-09/1.0.csv")
    assert csv_before.headers["ETag"] == fetch(client, "/standards/2-02-38-09/1.0.csv").headers["ETag"]


def test_a_status_change_by_another_process_is_served_within_the_lookup_ttl(app, client, engine, corpus):
    """Downloads reuse what the catalog said about a version for LOOKUP_TTL seconds; a change committed
    elsewhere (here: a raw connection, which this process's engine does not see commit) shows after it."""
    import time

    url = "/standards/2-02-38-09/1.0.case.json"
    before = fetch(client, url).headers["ETag"]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("UPDATE standard_version SET withdrawn_at = CURRENT_TIMESTAMP, withdrawn_reason = "
                       "'elsewhere' WHERE code = '2-02-38-09' AND version = '1.0'")
        raw.commit()
    finally:
        raw.close()
    deadline = time.monotonic() + 60  # a generous limit: the TTL is a second
    while (after := fetch(client, url)).headers["ETag"] == before:
        assert time.monotonic() < deadline, "the change elsewhere was never served"
        time.sleep(exports.LOOKUP_TTL / 10)
    assert b"Withdrawn: elsewhere" in after.data


def test_a_version_another_process_has_just_published_downloads_at_once(app, client, db_url, corpus, monkeypatch):
    """Its publisher has answered 201: a download of the new version (or of a new standard) from any
    process works at once, even while that process reuses what the catalog said a moment before."""
    from sqlalchemy.engine import make_url

    from registry.db import make_engine
    from registry.loader import load_bytes
    from registry.services.context import SYSTEM

    monkeypatch.setattr(exports, "LOOKUP_TTL", 3600.0)  # "a moment" as long as the test takes
    assert fetch(client, "/standards/2-02-38-03/1.1.json").status_code == 200  # the standard's rows reused now
    assert fetch(client, "/standards/2-02-38-98/1.0.json").status_code == 404  # and a standard not yet published
    new_version = (STANDARDS / "2-02-38-03" / "1.1.yaml").read_bytes().replace(b'\nversion: "1.1"', b'\nversion: "1.2"')
    new_standard = (VALID / "example.yaml").read_bytes().replace(b"\ncode: 2-02-38-02", b"\ncode: 2-02-38-98", 1)
    # another process: the same catalog under another URL, so none of this process's receivers hear its commits
    url = make_url(db_url)
    elsewhere = make_engine(url.update_query_dict({"timeout": "30"} if url.get_backend_name() == "sqlite" else
                                                  {"application_name": "elsewhere"}).render_as_string(False))
    try:
        with write_session(elsewhere) as session:
            catalog.publish(session, load_bytes(new_version.replace("能".encode(), "能够".encode(), 1)), SYSTEM)
            assert catalog.publish(session, load_bytes(new_standard), SYSTEM).created
    finally:
        elsewhere.dispose()
    assert fetch(client, "/standards/2-02-38-03/1.2.json").status_code == 200
    assert fetch(client, "/standards/2-02-38-98/1.0.json").status_code == 200


def test_export_all_renders_what_is_missing_and_skips_the_rest(app, engine, corpus):
    folder = _exports(app)
    report = export_all(engine, folder, clock=Clock(), formats=["csv", "yaml"], base_url="http://x", jobs=2)
    versions = len(list(STANDARDS.rglob("*.yaml")))
    assert (report.rendered, report.skipped, report.failures) == (2 * versions, 0, [])
    again = export_all(engine, folder, clock=Clock(), formats=["csv", "yaml"], base_url="http://x", jobs=2)
    assert (again.rendered, again.skipped) == (0, 2 * versions)


def test_export_all_reports_failures_at_the_end_without_stopping(app, engine, corpus, monkeypatch):
    real = exports.produce

    def flaky(row, info, fmt, **kwargs):
        if row.code == "4-04-05-05":
            raise RuntimeError("renderer exploded")
        return real(row, info, fmt, **kwargs)

    monkeypatch.setattr(exports, "produce", flaky)
    progress = []
    report = export_all(engine, _exports(app), clock=Clock(), formats=["csv"], base_url="http://x", jobs=1,
                        progress=lambda done, total: progress.append((done, total)))
    versions = len(list(STANDARDS.rglob("*.yaml")))
    assert report.rendered == versions - 2
    assert sorted(label for label, _ in report.failures) == ["4-04-05-05 1.0 csv", "4-04-05-05 2.0 csv"]
    assert all("renderer exploded" in why for _, why in report.failures)
    assert progress[-1] == (versions, versions)


def _digest(code: str, version: str) -> str:
    return hashlib.sha256((STANDARDS / code / f"{version}.yaml").read_bytes()).hexdigest()


def test_verify_says_current_superseded_or_withdrawn(client, engine, corpus):
    current = fetch(client, f"/api/v1/verify/{_digest('4-04-05-05', '2.0')}").get_json()
    assert current["authentic"] and current["current"] and current["standing"] == "in-force"
    assert (current["format"], current["in_force_version"]) == ("yaml", "2.0")
    old = fetch(client, f"/api/v1/verify/{_digest('4-04-05-05', '1.0')}").get_json()
    assert (old["standing"], old["superseded_by"], old["current"]) == ("superseded", "2.0", False)
    assert (old["superseded_from"], old["in_force_version"]) == ("2025-07-01", "2.0")
    with write_session(engine) as session:
        catalog.withdraw(session, "2-02-38-09", "1.0", REGISTRAR, "pilot ended")
    gone = fetch(client, f"/api/v1/verify/{_digest('2-02-38-09', '1.0')}").get_json()
    assert (gone["standing"], gone["withdrawn_reason"], gone["in_force_version"]) == ("withdrawn", "pilot ended", None)
    page = fetch(client, f"/verify/{_digest('4-04-05-05', '1.0')}")
    assert page.status_code == 200 and b"superseded" in page.data and b"2.0" in page.data


def test_verify_refuses_unknown_documents(client, corpus):
    response = fetch(client, "/api/v1/verify/" + "0" * 64)
    assert response.status_code == 200 and response.get_json()["authentic"] is False
    assert fetch(client, "/api/v1/verify/not-a-digest").get_json()["authentic"] is False
    page = fetch(client, "/verify/<script>alert(1)</script>")
    assert b"<script>alert(1)</script>" not in page.data


# --- PDF and HTML: rendered once, then served from the cache -------------------------------------------


def _pdf_text(data: bytes) -> str:
    import io

    import pypdf

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages))


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_pdf_and_html_downloads_are_rendered_once_then_cached(app, client, corpus, monkeypatch, fmt):
    url = f"/standards/4-04-05-05/2.0.{fmt}"
    first = fetch(client, url)
    assert first.status_code == 200, first.data[:300]
    assert first.mimetype == ("application/pdf" if fmt == "pdf" else "text/html")
    # the file says whether the version is current: a cache revalidates it within the hour
    assert first.headers["Cache-Control"] == "public, max-age=3600, immutable"
    assert first.headers["Content-Type"] == exports.FORMATS[fmt].media_type
    assert first.headers["ETag"].strip('"').startswith(_digest("4-04-05-05", "2.0"))
    if fmt == "pdf":
        assert first.data.startswith(b"%PDF-") and "page1of" in _pdf_text(first.data)
        assert first.headers["Content-Disposition"].startswith("attachment")
    else:
        assert b"<style>" in first.data and b"Artificial intelligence trainer" in first.data
        assert "sandbox" in first.headers["Content-Security-Policy"]
    mirror = _exports(app) / "standards" / "4-04-05-05" / f"2.0.{fmt}"
    assert mirror.read_bytes() == first.data

    def no_rendering(*args, **kwargs):
        raise AssertionError("a cached export was rendered again")

    monkeypatch.setattr(exports, "produce", no_rendering)
    second = fetch(client, url)
    assert second.status_code == 200 and second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert fetch(client, url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    latest = fetch(client, f"/standards/4-04-05-05/latest.{fmt}")
    assert latest.status_code == 302 and latest.headers["Location"].endswith(f"/standards/4-04-05-05/2.0.{fmt}")


@RENDERED_ON_SQLITE
def test_a_download_in_the_visitors_language(app, client, corpus):
    """?lang= picks the translation under the master text; it is part of the cache address."""
    default = fetch(client, "/standards/4-04-05-05/2.0.html")
    french = fetch(client, "/standards/4-04-05-05/2.0.html?lang=fr")
    assert french.status_code == 200 and french.headers["ETag"] != default.headers["ETag"]
    assert "Entraîneur d&#39;intelligence artificielle" in french.get_data(as_text=True)
    assert b"Artificial intelligence trainer" not in french.data and b"Artificial intelligence trainer" in default.data
    master_only = fetch(client, "/standards/4-04-05-05/2.0.html?lang=zh")
    assert b"Artificial intelligence trainer" not in master_only.data
    assert "人工智能训练师" in master_only.get_data(as_text=True)
    pdf = fetch(client, "/standards/4-04-05-05/2.0.pdf?lang=fr")
    assert pdf.status_code == 200 and "Entraîneurd'intelligenceartificielle" in _pdf_text(pdf.data)
    assert pdf.headers["Content-Disposition"].endswith('4-04-05-05-2.0.fr.pdf')
    assert fetch(client, "/standards/4-04-05-05/2.0.pdf?lang=fr").data == pdf.data  # cached
    # the plain mirror keeps the default language
    assert (_exports(app) / "standards" / "4-04-05-05" / "2.0.html").read_bytes() == default.data
    redirect = fetch(client, "/standards/4-04-05-05/latest.pdf?lang=fr")
    assert redirect.status_code == 302
    assert redirect.headers["Location"].endswith("/standards/4-04-05-05/2.0.pdf?lang=fr")
    # a language the version does not have, a malformed one, a language for a data format
    missing = fetch(client, "/standards/4-04-05-05/2.0.pdf?lang=de")
    assert missing.status_code == 404 and "languages are zh, en, fr" in missing.get_data(as_text=True)
    assert fetch(client, "/standards/4-04-05-05/2.0.pdf?lang=../../x").status_code == 400
    assert fetch(client, "/standards/4-04-05-05/2.0.csv?lang=fr").status_code == 400
    files = list((_exports(app) / "files" / "4-04-05-05" / "2.0").iterdir())
    assert len(files) == 4  # html: default, fr, zh; pdf: fr; nothing for de


def _publish(engine, source: bytes) -> None:
    from registry.services.catalog import publish, validate_upload

    with write_session(engine) as session:
        publish(session, validate_upload(source), REGISTRAR)


def _huge_version(rows: int, items: int) -> bytes:
    """The example standard as version 2.0 with ``rows`` work contents of ``items`` requirements
    each in one table: valid, within every limit of the schema."""
    import copy

    import yaml

    from registry.loader import load_bytes

    doc = copy.deepcopy(load_bytes((VALID / "example.yaml").read_bytes()).data)
    text = "能完成规定的工作内容，并记录结果。"
    doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"] = [
        {"id": f"WC-{i}", "number": f"1.{i + 1}", "name": {"zh": f"工作内容{i}", "en": f"Work content {i}"},
         "requirements": [{"id": f"R-{i}-{j}", "number": f"1.{i + 1}.{j + 1}",
                           "text": {"zh": text, "en": "Can do the work and record the results."}}
                          for j in range(items)],
         "knowledge": [{"id": f"K-{i}", "number": f"1.{i + 1}.1", "text": {"zh": text, "en": "Knows the work."}}]}
        for i in range(rows)]
    doc["version"] = "2.0"  # it drops the example's work contents: a major change
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()


@RENDERED_ON_SQLITE
def test_a_pathological_standard_gets_a_clear_error_and_the_web_worker_lives_on(app, client, engine):
    """Huge tables within the schema's limits: past the render time limit the PDF is refused (422,
    with the limit), the render process is replaced, and the next request is served."""
    from registry.render.worker import get_worker

    _publish(engine, (VALID / "example.yaml").read_bytes())
    _publish(engine, _huge_version(100, 29))  # 3,100 table entries: a render of 10 s or more
    app.config["REGISTRY_RENDER_TIMEOUT"] = 2.0
    before = get_worker().restarts
    refused = fetch(client, "/standards/2-02-38-02/2.0.pdf")
    assert refused.status_code == 422, refused.data[:300]
    assert "the render took longer than 2 s and was stopped" in refused.get_data(as_text=True)  # the site's error page
    assert get_worker().restarts == before + 1
    assert not list((_exports(app) / "files" / "2-02-38-02" / "2.0").glob("*.pdf"))  # nothing half-made is kept
    app.config["REGISTRY_RENDER_TIMEOUT"] = 60.0
    assert fetch(client, "/standards/2-02-38-02/1.0.pdf").status_code == 200  # the same process serves on
    assert fetch(client, "/standards/2-02-38-02/2.0.html").status_code == 200  # the HTML needs no render worker


@RENDERED_ON_SQLITE
def test_a_standard_over_the_size_limit_is_refused_before_rendering(app, client, engine):
    from registry.render import MAX_RENDER_ITEMS

    _publish(engine, (VALID / "example.yaml").read_bytes())
    _publish(engine, _huge_version(100, MAX_RENDER_ITEMS // 100))  # 100 x (1 + 60 + 1) > 6,000 entries
    refused = fetch(client, "/standards/2-02-38-02/2.0.pdf")
    assert refused.status_code == 422
    assert re.search(rf"too large to render: 6\d\d\d table entries \(at most {MAX_RENDER_ITEMS}\)",
                     refused.get_data(as_text=True))


# --- export --all ----------------------------------------------------------------------------------------


def test_export_all_every_format_in_parallel(app, engine):
    """Every format of every version, on two processes; PDFs through each process's render worker."""
    import pypdf

    for code in ("2-02-38-02", "2-02-38-07"):
        _publish(engine, (STANDARDS / code / "1.0.yaml").read_bytes())
    folder = _exports(app)
    report = export_all(engine, folder, clock=Clock(), base_url="http://x", jobs=2)
    versions = of_scope(VERSION)  # a version's files (a level's are rendered when asked: tests/exports/test_formats_table.py)
    assert (report.rendered, report.skipped, report.failures) == (2 * len(versions), 0, []), report.failures
    for code in ("2-02-38-02", "2-02-38-07"):
        for spec in versions.values():
            assert (folder / "standards" / code / f"1.0{spec.suffix}").stat().st_size > 0
        pdf = (folder / "standards" / code / "1.0.pdf").read_bytes()
        reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
        assert list(reader.attachments) == [f"{code}-1.0.yaml"] and len(reader.pages) >= 5
    again = export_all(engine, folder, clock=Clock(), base_url="http://x", jobs=2)
    assert (again.rendered, again.skipped) == (0, 2 * len(versions))


def test_registry_export_all_command(app, db_url, tmp_path, monkeypatch):
    """The command: a progress bar, what was skipped, and every failure listed at the end (exit 1)."""
    from click.testing import CliRunner

    from registry.cli import main

    for code in ("2-02-38-02", "2-02-38-07"):
        _publish(app.extensions["registry.engine"], (STANDARDS / code / "1.0.yaml").read_bytes())
    env = {"REGISTRY_DATABASE_URL": db_url, "REGISTRY_EXPORTS_DIR": str(tmp_path / "cli-exports"),
           "REGISTRY_DATA_DIR": str(tmp_path / "cli-instance")}
    runner = CliRunner()
    result = runner.invoke(main, ["export", "--all", "--format", "csv", "--format", "json", "--jobs", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert "rendering 4 export(s)" in result.output and "4 rendered, 0 up to date, 0 failed" in result.output
    result = runner.invoke(main, ["export", "--all", "--format", "csv"], env=env)
    assert result.exit_code == 0 and "0 rendered, 2 up to date, 0 failed" in result.output

    real = exports.produce

    def flaky(row, info, fmt, **kwargs):
        if row.code == "2-02-38-02":
            raise RuntimeError("renderer exploded")
        return real(row, info, fmt, **kwargs)

    monkeypatch.setattr(exports, "produce", flaky)
    result = runner.invoke(main, ["export", "--all", "--format", "yaml", "--jobs", "1"], env=env)
    assert result.exit_code == 1
    assert "1 rendered, 0 up to date, 1 failed" in result.output
    assert result.output.rstrip().endswith("FAILED 2-02-38-02 1.0 yaml: RuntimeError: renderer exploded")


# --- drafts --------------------------------------------------------------------------------------------


def test_a_draft_pdf_is_rendered_once_per_revision(tmp_path, monkeypatch):
    from types import SimpleNamespace

    import registry.render as render
    from registry.loader import load_bytes

    source = (VALID / "example.yaml").read_bytes()
    draft = SimpleNamespace(id=7, revision=1, sha256=hashlib.sha256(source).hexdigest(), source=source,
                            document=load_bytes(source).data, code="2-02-38-02", version="1.0")
    calls = []
    real = render.render_standard_pdf

    def counting(*args, **kwargs):
        calls.append(kwargs["status_info"].draft_revision)
        return real(*args, **kwargs)

    monkeypatch.setattr(render, "render_standard_pdf", counting)
    cache = tmp_path / "instance" / "cache" / "drafts"
    first = exports.draft_pdf(cache, draft, "http://x")
    assert first.startswith(b"%PDF-") and "DRAFT,notapproved" in _pdf_text(first)
    assert exports.draft_pdf(cache, draft, "http://x") == first and calls == [1]
    draft.revision, draft.sha256 = 2, "b" * 64  # edited
    second = exports.draft_pdf(cache, draft, "http://x")
    assert second != first and calls == [1, 2] and "rev.2" in _pdf_text(second)
    assert len(list((cache / "7").iterdir())) == 1  # the earlier revision is gone
    with pytest.raises(exports.NotFound):
        exports.draft_pdf(cache, draft, "http://x", lang="de")


def test_an_anonymous_download_sets_no_cookie_and_is_shared_by_caches(client, corpus):
    """A reader without a session gets no cookie and no ``Vary: Cookie``, so a shared cache (a CDN,
    a company proxy) keeps one copy for everyone."""
    response = fetch(client, "/standards/4-04-05-05/1.0.csv")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert response.headers["Cache-Control"].startswith("public")


def test_exported_files_are_readable_by_a_web_server_and_draft_pdfs_are_not(app, client, corpus, tmp_path):
    """Any web server (another OS user) may serve exports/: files get an ordinary file's mode, not
    the 0600 of a temporary file; a draft's cached PDF stays private to the registry."""
    import os
    import stat

    umask = os.umask(0o022)
    os.umask(umask)
    assert fetch(client, "/standards/4-04-05-05/1.0.csv").status_code == 200
    written = [p for p in _exports(app).rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
    from registry.services.files import atomic_write

    atomic_write(tmp_path / "draft.pdf", b"%PDF-", public=False)
    assert stat.S_IMODE((tmp_path / "draft.pdf").stat().st_mode) == 0o600


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_with_the_exports_disk_full_a_download_is_served_from_memory_and_nothing_half_written_is_left(
        app, client, corpus, monkeypatch, fmt):
    import errno

    from registry.services import files

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    url = f"/standards/4-04-05-05/1.0{exports.FORMATS[fmt].suffix}"
    response = fetch(client, url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_data() and "4-04-05-05" in response.get_data(as_text=True)
    assert not [p for p in _exports(app).rglob("*") if p.is_file()]  # neither the file nor a half of it
    monkeypatch.undo()  # space again: the next download keeps its file
    assert fetch(client, url).get_data() == response.get_data()
    assert [p.name for p in _exports(app).rglob(f"*{exports.FORMATS[fmt].suffix}")]
