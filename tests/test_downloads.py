"""Downloads at stable URLs, served from the exports cache; verification of printed sha256s."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from registry.db import write_session
from registry.services import catalog, exports
from registry.services.context import Actor

from .conftest import STANDARDS

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
    assert first.mimetype == exports.FORMATS[fmt].media_type.split(";")[0]
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
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


def test_export_all_renders_what_is_missing_and_skips_the_rest(app, engine, corpus):
    folder = _exports(app)
    report = exports.export_all(engine, folder, formats=["csv", "yaml"], base_url="http://x", jobs=2)
    versions = len(list(STANDARDS.rglob("*.yaml")))
    assert (report.rendered, report.skipped, report.failures) == (2 * versions, 0, [])
    again = exports.export_all(engine, folder, formats=["csv", "yaml"], base_url="http://x", jobs=2)
    assert (again.rendered, again.skipped) == (0, 2 * versions)


def test_export_all_reports_failures_at_the_end_without_stopping(app, engine, corpus, monkeypatch):
    real = exports.produce

    def flaky(row, successor, fmt, base_url):
        if row.code == "4-04-05-05":
            raise RuntimeError("renderer exploded")
        return real(row, successor, fmt, base_url)

    monkeypatch.setattr(exports, "produce", flaky)
    progress = []
    report = exports.export_all(engine, _exports(app), formats=["csv"], base_url="http://x", jobs=1,
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
    assert current["authentic"] and current["current"] and current["status"] == "published"
    old = fetch(client, f"/api/v1/verify/{_digest('4-04-05-05', '1.0')}").get_json()
    assert (old["status"], old["superseded_by"], old["current"]) == ("superseded", "2.0", False)
    with write_session(engine) as session:
        catalog.withdraw(session, "2-02-38-09", "1.0", REGISTRAR, "pilot ended")
    gone = fetch(client, f"/api/v1/verify/{_digest('2-02-38-09', '1.0')}").get_json()
    assert (gone["status"], gone["withdrawn_reason"]) == ("withdrawn", "pilot ended")
    page = fetch(client, f"/verify/{_digest('4-04-05-05', '1.0')}")
    assert page.status_code == 200 and b"superseded" in page.data and b"2.0" in page.data


def test_verify_refuses_unknown_documents(client, corpus):
    response = fetch(client, "/api/v1/verify/" + "0" * 64)
    assert response.status_code == 200 and response.get_json()["authentic"] is False
    assert fetch(client, "/api/v1/verify/not-a-digest").get_json()["authentic"] is False
    page = fetch(client, "/verify/<script>alert(1)</script>")
    assert b"<script>alert(1)</script>" not in page.data
