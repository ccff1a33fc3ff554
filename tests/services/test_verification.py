"""Verification of what the registry issued: every file it served is recognised by its sha256 (the
ledger), and a PDF in someone's hands can be checked whole (its bytes, and the source inside it)."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pikepdf
import pytest

from ..conftest import STANDARDS

CODE, VERSION = "4-04-05-05", "2.0"
PDF_CODE, PDF_VERSION = "2-02-38-09", "1.0"  # the corpus's shortest standard: its PDF renders in half the time


def fetch(client, url, **kwargs):
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def pdf(client, corpus) -> bytes:
    response = fetch(client, f"/standards/{PDF_CODE}/{PDF_VERSION}.pdf")
    assert response.status_code == 200
    return response.data


@pytest.mark.parametrize("fmt", ["csv", "json", "case.json", "html"])
def test_every_file_served_for_a_version_is_recognised_by_its_sha256(client, corpus, fmt):
    data = fetch(client, f"/standards/{CODE}/{VERSION}.{fmt}").data
    answer = fetch(client, f"/api/v1/verify/{sha(data)}").get_json()
    assert answer["authentic"] and (answer["code"], answer["version"], answer["format"]) == (CODE, VERSION, fmt)
    assert answer["standing"] == "in-force" and answer["source_sha256"] == sha(
        (STANDARDS / CODE / f"{VERSION}.yaml").read_bytes())


def test_a_downloaded_pdf_is_recognised_by_the_hash_an_hr_officer_computes(client, pdf):
    answer = fetch(client, f"/api/v1/verify/{sha(pdf)}").get_json()
    assert answer["authentic"] and (answer["format"], answer["version"], answer["current"]) == ("pdf", PDF_VERSION, True)
    page = fetch(client, f"/verify/{sha(pdf).upper()}")  # as pasted, in capitals
    assert page.status_code == 200 and "Authentic." in page.get_data(as_text=True)


def test_the_ledger_outlives_the_cache(app, client, corpus):
    data = fetch(client, f"/standards/{CODE}/{VERSION}.html").data
    shutil.rmtree(Path(app.config["REGISTRY_EXPORTS_DIR"]))
    assert fetch(client, f"/api/v1/verify/{sha(data)}").get_json()["authentic"]


def test_a_made_up_hash_is_never_authentic(client, corpus):
    for digest in ("0" * 64, sha(b"a forged document"), "f" * 64):
        answer = fetch(client, f"/api/v1/verify/{digest}").get_json()
        assert answer == {"authentic": False, "sha256": digest, "reason": answer["reason"]}
    assert fetch(client, "/verify/" + "0" * 64).status_code == 404


def test_the_verify_page_has_a_form_and_takes_a_pasted_hash(client, corpus):
    page = fetch(client, "/verify")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="sha256"' in text and 'type="file"' in text
    digest = sha((STANDARDS / CODE / f"{VERSION}.yaml").read_bytes())
    redirected = fetch(client, f"/verify?sha256=+{digest}+")
    assert redirected.status_code == 302 and redirected.headers["Location"].endswith(f"/verify/{digest}")


def upload(client, data: bytes, name: str = "document.pdf"):
    from ..web_helpers import csrf

    token = csrf(client, "/verify")
    return client.post("/verify", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_an_uploaded_pdf_the_registry_issued_is_recognised_whole(client, pdf):
    api = client.post("/api/v1/verify", data=pdf, content_type="application/pdf").get_json()
    assert (api["verdict"], api["issued"], api["file_sha256"]) == ("issued", True, sha(pdf))
    assert (api["authentic_source"]["version"], api["authentic_source"]["standing"]) == (PDF_VERSION, "in-force")
    assert [e["name"] for e in api["embedded"]] == [f"{PDF_CODE}-{PDF_VERSION}.yaml"]
    page = upload(client, pdf)
    assert page.status_code == 200 and "byte for byte" in page.get_data(as_text=True)


def test_a_pdf_changed_outside_its_text_still_shows_its_authentic_source(client, pdf):
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.docinfo["/Title"] = "edited by someone"
        out = io.BytesIO()
        document.save(out)
    changed = out.getvalue()
    api = client.post("/api/v1/verify", data=changed, content_type="application/pdf").get_json()
    assert (api["verdict"], api["issued"]) == ("authentic-source", False)
    assert api["authentic_source"]["code"] == PDF_CODE


def test_a_pdf_with_a_source_the_registry_never_published_is_not_authentic(client, pdf):
    with pikepdf.open(io.BytesIO(pdf)) as document:
        name = f"{PDF_CODE}-{PDF_VERSION}.yaml"
        document.attachments[name] = pikepdf.AttachedFileSpec(document, b"code: forged\n", filename=name)
        out = io.BytesIO()
        document.save(out)
    api = client.post("/api/v1/verify", data=out.getvalue(), content_type="application/pdf").get_json()
    assert (api["verdict"], api["authentic_source"]) == ("unknown-source", None)
    assert not any(e["authentic"] for e in api["embedded"])


def test_a_pdf_without_a_source_and_bytes_that_are_no_pdf(client, corpus):
    blank = io.BytesIO()
    with pikepdf.new() as document:
        document.add_blank_page()
        document.save(blank)
    api = client.post("/api/v1/verify", data=blank.getvalue(), content_type="application/pdf").get_json()
    assert (api["verdict"], api["embedded"]) == ("no-source", [])
    for junk in (b"%PDF-1.7\n\x00\x01garbage", b"not a pdf at all"):
        response = client.post("/api/v1/verify", data=junk, content_type="application/pdf")
        assert response.status_code == 400 and response.get_json()["error"]["details"] == {"field": "file"}
    assert upload(client, b"not a pdf at all").status_code == 400
    assert client.post("/api/v1/verify", data=b"x", content_type="text/plain").status_code == 415


def test_an_upload_over_the_limit_is_refused(db_url, corpus, tmp_path):
    from ..conftest import close_app, make_test_app

    app = make_test_app(db_url, tmp_path, MAX_UPLOAD_BYTES=1000)
    try:
        response = app.test_client().post("/api/v1/verify", data=b"%PDF-" + b"0" * 2000,
                                          content_type="application/pdf")
        assert response.status_code == 413
    finally:
        close_app(app)
