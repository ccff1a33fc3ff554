"""Rendering untrusted documents: the fetcher serves only print assets, no threat vector reaches the output."""

from __future__ import annotations

import copy
import socket
import uuid
import zlib

import pikepdf
import pypdf
import pytest

from registry.render import RenderAssetError, render_html, source_attachment_name
from registry.render.html import ASSET_BASE

from .conftest import ROOT, Elements, info_for, page_texts, squash

# --- safety: the fetcher ---------------------------------------------------------------------------------


@pytest.fixture
def canary(tmp_path):
    token = f"CANARY-{uuid.uuid4().hex}"
    path = tmp_path / "canary-secret.txt"
    path.write_text(token + "\n")
    (tmp_path / "canary.css").write_text(f"body {{ --x: '{token}'; }}")
    (tmp_path / "canary.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><text>{token}</text></svg>')
    return {"token": token, "path": path, "dir": tmp_path}


def test_fetcher_serves_only_print_assets(canary):
    from registry.render.pdf import AssetRefused, PrintAssetFetcher

    fetcher = PrintAssetFetcher()
    response = fetcher.fetch(ASSET_BASE + "standard.css")
    assert b"table.wr" in response.read() and response.content_type == "text/css"
    refused = [
        canary["path"].as_uri(), f"file://{canary['path']}", "file:///etc/passwd", "file:///proc/self/environ",
        "file:///dev/urandom", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:5000/admin",
        "http://localhost:5432/", "http://[::1]/", "http://0x7f000001/", "http://2130706433/", "http://10.0.0.5/",
        "https://example.com/x.css", "ftp://example.com/x", "data:text/css,body{}",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        ASSET_BASE + "../../../../etc/passwd", ASSET_BASE + "%2e%2e/%2e%2e/config.py", ASSET_BASE + "..%2F..%2Fapp.py",
        ASSET_BASE + "standard.css?x=1", ASSET_BASE + "standard.css#x", ASSET_BASE + "missing.css",
        ASSET_BASE + "fonts/manifest.json", ASSET_BASE.replace("https", "http") + "standard.css",
        "https://print-assets.registry.invalid.attacker.example/print/standard.css", "standard.css",
        ASSET_BASE + "/etc/passwd",
    ]
    for url in refused:
        with pytest.raises(AssetRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == len(refused)


@pytest.mark.parametrize("markup", [
    '<link rel="stylesheet" href="{base}missing.css">',
    '<link rel="stylesheet" href="{file}">',
    '<img src="{file}">',
    '<style>@import "{file}";</style>',
    '<p style="background:url({file})">x</p>',
    '<style>@font-face {{ font-family: X; src: url({file}); }} p {{ font-family: X }}</style><p>x</p>',
    '<link rel="attachment" href="{file}">',
    '<a rel="attachment" href="{file}">x</a>',
    '<object data="{file}"></object>',
    '<embed src="{file}">',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
    '<image href="{file}" xlink:href="{file}" width="10" height="10"/></svg>',
    '<img src="http://127.0.0.1:9/x.png">',
    '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22%3E%3C/svg%3E">',
])
def test_a_refused_or_missing_asset_fails_the_render(markup, canary, no_network):
    """Markup that never comes from a document (it is escaped): the fetcher is the last lock."""
    from registry.render.pdf import render_pdf

    html = f"<!DOCTYPE html><html><body><p>x</p>{markup.format(base=ASSET_BASE, file=canary['path'].as_uri())}</body></html>"
    with pytest.raises(RenderAssetError) as caught:
        render_pdf(html)
    assert caught.value.details
    assert no_network == []


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every outbound connection attempt made in this process."""
    attempts: list = []

    def record(*args, **kwargs):
        attempts.append(args[1:] if args else kwargs)
        raise OSError("outbound connection attempted during a render test")

    monkeypatch.setattr(socket.socket, "connect", record)
    monkeypatch.setattr(socket.socket, "connect_ex", record)
    monkeypatch.setattr(socket, "create_connection", record)
    monkeypatch.setattr(socket, "getaddrinfo", record)
    return attempts


# --- safety: every vector of threats.md A through document text -----------------------------------------

VECTORS = [
    '<img src="{file}">',
    '<link rel=stylesheet href="{file}">',
    '<style>@import "{file}";</style>',
    '<p style="background:url({file})">bg</p>',
    '<style>@font-face{{font-family:E;src:url({file})}} *{{font-family:E}}</style>',
    '<object data={file}></object>',
    '<embed src={file}>',
    '<svg><image href="{file}"/></svg>',
    '<link rel="attachment" href="{file}">',
    '<link rel="attachment" href="http://169.254.169.254/latest/meta-data/iam/security-credentials/">',
    '<img src="http://127.0.0.1:5000/admin">', '<img src="http://localhost:5432/">', '<img src="http://[::1]/">',
    '<img src="http://0x7f000001/">', '<img src="http://2130706433/">', '<img src="http://10.0.0.5/">',
    '<style>body{{background:url(file:///dev/urandom)}}</style>', '<img src="file:///dev/zero">',
    '<style>@page{{size:100000cm}} p{{font-size:1e7px;width:1e9px}}</style>',
    'Intro <style>@import url(http://attacker.example/x.css)</style>',
    '<a href="{file}" rel="attachment">x</a>', '<iframe src="{file}"></iframe>',
    '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjwvc3ZnPg==">',
    '"><img src="{file}">', "'><link rel=stylesheet href='{file}'>", '</span><img src="{file}">',
    '{{{{ config }}}} {{% include "{file}" %}}', '<base href="file:///"><img src="etc/passwd">',
    '<meta http-equiv="refresh" content="0;url={file}">', '<img src="EPS:{file}">',
    # A4 a redirect and A5 a tarpit, both served by a local listener that must never see a connection
    '<img src="http://127.0.0.1:{port}/302-to-169.254.169.254">',
    '<link rel=stylesheet href="http://localhost:{port}/slow.css">',
    '<img src="{file}" type="application/postscript">', '<object type="application/postscript" data="{file}"></object>',
    '<table background="{file}"><tr><td bgcolor="red"><font size="100" face="E">hint</font></td></tr></table>',
    '<div style="font-size:1e7em"><div style="font-size:1e7em"><div style="width:1e9%">em chain</div></div></div>',
]
#: long vectors (A8 deep nesting, A10 a very long SVG path), each within the schema's 20,000 characters
BIG_VECTORS = [
    "<div>" * 3000 + "deep divs" + "</div>" * 500,
    "<ul><li>" * 1500 + "deep list",
    "<table><tr><td>" * 1000 + "deep table",
    '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0' + " L1 1" * 3500 + '"/></svg>',
]


def hostile_document(doc: dict, canary: dict, port: int = 9) -> dict:
    doc = copy.deepcopy(doc)
    file_url = canary["path"].as_uri()
    payloads = [v.format(file=file_url, port=port) for v in VECTORS]
    joined = " ".join(payloads)
    doc["title"] = {"zh": joined, "en": joined}
    doc["occupation"] = {"zh": payloads[0], "en": payloads[1]}
    doc["overview"]["definition"] = {"zh": joined, "en": joined}
    doc["provenance"]["issuers"] = [{"zh": p, "en": p} for p in payloads[:5]]
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["name"] = {"zh": payloads[2], "en": payloads[3]}
    wc["requirements"] = [{"id": f"R-evil-{i}", "number": f"1.1.{i + 1}", "text": {"zh": p, "en": p}}
                          for i, p in enumerate(payloads)]
    wc["knowledge"][0]["text"] = {"zh": joined, "en": joined}
    doc["functions"][0]["name"] = {"zh": payloads[8], "en": payloads[9]}
    doc["appendix"] = [{"title": payloads[10], "paragraphs": payloads + BIG_VECTORS}]
    wc["knowledge"].append({"id": "K-evil-big", "number": "1.1.9",
                            "text": {"zh": BIG_VECTORS[0], "en": BIG_VECTORS[3]}})
    return doc


def inflated_streams(pdf: bytes) -> bytes:
    """Every stream of the PDF, decompressed, plus the raw file."""
    parts = [pdf]
    with pikepdf.open(__import__("io").BytesIO(pdf)) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    parts.append(obj.read_bytes())
                except pikepdf.PdfError:
                    parts.append(zlib.decompress(obj.read_raw_bytes()))
    return b"\n".join(parts)


def test_threat_vectors_in_document_text_never_reach_the_output(example, canary, no_network):
    from registry.render.pdf import render_pdf

    source, doc = example
    evil = hostile_document(doc, canary)
    token = canary["token"].encode()
    outputs = []
    for standalone, for_pdf in ((True, False), (False, False), (False, True)):
        html = render_html(evil, lang="en", status_info=info_for(source), standalone=standalone, for_pdf=for_pdf)
        assert canary["token"] not in html
        tags = Elements(html).tags
        assert not {t for t, _ in tags} & {"img", "iframe", "object", "embed", "base", "script", "image"}
        assert not any(a.get("rel") == "attachment" or a.get("http-equiv") or a.get("src") for _, a in tags)
        assert [t for t, _ in tags].count("style") <= 2 and [t for t, _ in tags].count("svg") == 2  # ours: CSS, QR
        outputs.append(html)
    stats: dict = {}
    pdf = render_pdf(outputs[-1], attachments=[(source_attachment_name(doc), source)], stats=stats)
    blob = inflated_streams(pdf)
    assert token not in blob
    reader = pypdf.PdfReader(__import__("io").BytesIO(pdf))
    assert list(reader.attachments) == [source_attachment_name(doc)]  # no embedded file but ours
    assert blob.count(b"/EmbeddedFile") == 1 + blob.count(b"/EmbeddedFiles")
    # the fetcher served our assets only, and nothing tried the network
    assert all(url.startswith(ASSET_BASE) for url in stats["served"])
    assert no_network == []
    # the hostile text is there, as text
    assert "file://" in squash("".join(page.extract_text() for page in reader.pages))


def test_threat_vectors_never_reach_the_data_formats(example, canary):
    """CSV, JSON, CASE and YAML never fetch anything: the canary's content is in none of them."""
    import yaml

    from registry.exports import RenderJob
    from registry.exports import render as export

    source, doc = example
    evil = hostile_document(doc, canary)
    evil_source = yaml.safe_dump(evil, allow_unicode=True, sort_keys=False).encode()
    info = info_for(evil_source, "withdrawn", withdrawn_reason=VECTORS[0].format(file=canary["path"].as_uri(), port=9))
    for fmt in ("csv", "json", "case.json", "yaml"):
        data = export(fmt, RenderJob(evil, evil_source, info))
        assert canary["token"].encode() not in data, fmt
        assert canary["path"].as_uri().encode() in data, fmt  # the hostile text is there, as data
    html = render_html(evil, lang="en", status_info=info_for(source, "withdrawn", withdrawn_reason=VECTORS[2].format(
        file=canary["path"].as_uri(), port=9)))
    assert canary["token"] not in html and "<style>@import" not in html


@pytest.fixture
def listener():
    """A local TCP server that counts the connections it gets (a redirect or a tarpit if it answered)."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            accepted.append(peer)
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield {"port": server.getsockname()[1], "accepted": accepted}
    stop.set()
    thread.join(30)
    server.close()


RENDER_SCRIPT = """
import json, sys
from pathlib import Path
from registry.exports import VersionInfo
from registry.render import render_standard_pdf
doc = json.loads(Path(sys.argv[1]).read_text("utf-8"))
source = Path(sys.argv[2]).read_bytes()
pdf = render_standard_pdf(doc, source=source, status_info=VersionInfo.of_document(doc, source=source), lang="en")
Path(sys.argv[3]).write_bytes(pdf)
"""


def test_no_outbound_connection_from_any_render_process(example, canary, listener, tmp_path):
    """The pipeline as the app runs it (HTML in this process, the PDF in the render worker's child),
    in a fresh Python, traced with ``strace -f`` when the machine has it: not one connect() or send
    to a network address from either process. The vectors also name a local listener (a redirect
    and a tarpit if it ever answered): it never sees a connection."""
    import json
    import shutil
    import subprocess
    import sys

    source, doc = example
    evil = hostile_document(doc, canary, port=listener["port"])
    (tmp_path / "doc.json").write_text(json.dumps(evil, ensure_ascii=False), "utf-8")
    (tmp_path / "source.yaml").write_bytes(source)
    command = [sys.executable, "-c", RENDER_SCRIPT, str(tmp_path / "doc.json"), str(tmp_path / "source.yaml"),
               str(tmp_path / "out.pdf")]
    trace = tmp_path / "strace.log"
    traced = shutil.which("strace") is not None and subprocess.run(
        ["strace", "-f", "-qq", "-o", str(tmp_path / "probe.log"), "true"], capture_output=True).returncode == 0
    if traced:
        command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-e", "signal=none",
                   "-o", str(trace), *command]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    pdf = (tmp_path / "out.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and canary["token"].encode() not in inflated_streams(pdf)
    assert listener["accepted"] == []
    if traced:
        calls = [line for line in trace.read_text().splitlines() if "AF_INET" in line or "AF_INET6" in line]
        assert calls == [], calls[:5]  # (a local AF_UNIX socket, were there one, is not the network)
    else:  # pragma: no cover - machines without strace: the listener (and test_threat_vectors' socket patch) remain
        import warnings

        warnings.warn("strace is not installed: connections to the network were not traced", stacklevel=2)


def laid_out_text(html: str) -> tuple[int, str, list[tuple[int, str]]]:
    """WeasyPrint's layout of ``html``: pages, all the text laid out, and the text boxes that run
    past the right or left edge of their page."""
    import weasyprint

    from registry.render.pdf import PrintAssetFetcher, font_config

    document = weasyprint.HTML(string=html, base_url=ASSET_BASE, url_fetcher=PrintAssetFetcher()).render(
        font_config=font_config())
    boxes = [(number, page, box) for number, page in enumerate(document.pages, start=1)
             for box in page._page_box.descendants() if type(box).__name__ == "TextBox"]
    past = [(number, box.text[:30]) for number, page, box in boxes
            if box.position_x + box.width > page.width + 0.5 or box.position_x < -0.5]
    return len(document.pages), "".join(box.text for _, _, box in boxes), past


def test_very_long_words_wrap_inside_the_page(example):
    """A word of 20,000 letters (the schema's longest text) in the narrowest table cell and in the
    title: it wraps inside the page, nothing is cut off, and it renders in seconds (WeasyPrint alone
    would take minutes to break it: see html.soft_breaks)."""
    import time

    source, doc = example
    doc = copy.deepcopy(doc)
    word = "W" * 20000
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["name"] = {"zh": word, "en": "x"}
    doc["title"] = {"zh": "标准" + word, "en": "x"}
    wc["requirements"][0]["text"] = {"zh": "能访问 https://example.org/" + "segment/" * 16 + "。", "en": "x"}
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    assert render_html(doc, lang="en", status_info=info_for(source)).count("\u200b") == 0  # the HTML page keeps it
    started = time.perf_counter()
    pages, text, past = laid_out_text(html)
    assert past == []
    assert text.count("W") >= 2 * 20000  # the work content and the title (and the header's first 120)
    assert "https://example.org/segment/" in text  # an ordinary long address gets no soft break
    assert time.perf_counter() - started < 45, "long words are laid out quadratically again"
    assert pages > 20


def test_deeply_nested_markup_in_text_is_only_text(example, worker):
    source, doc = example
    plain = Elements(render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True))
    doc = copy.deepcopy(doc)
    wc = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]
    wc["requirements"] = [{"id": f"R-deep-{i}", "number": f"1.1.{i + 1}", "text": {"zh": v, "en": v}}
                          for i, v in enumerate(BIG_VECTORS)]
    html = render_html(doc, lang="en", status_info=info_for(source), standalone=False, for_pdf=True)
    for tag in ("div", "li", "ul", "table", "td", "path"):
        assert Elements(html).count(tag) == plain.count(tag), tag
    pdf = worker.render_pdf(html, timeout=60)
    assert "deepdivs" in squash("".join(page_texts(pdf)))
