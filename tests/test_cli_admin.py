"""Administration from the command line: bodies, API tokens, loading the corpus, migrations.

Each command runs against the test's catalog (REGISTRY_DATABASE_URL = db_url), on both backends,
and what it does is checked through the JSON API of an app on the same catalog.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from registry.cli import main

from .conftest import STANDARDS, close_app

API = "/api/v1"
TOKEN = re.compile(r"^osr_[A-Za-z0-9_-]{20,}$")


@pytest.fixture
def cli(db_url, tmp_path):
    """Runs `registry ...` on the test's catalog; returns the click Result."""
    env = {"REGISTRY_DATABASE_URL": db_url, "REGISTRY_DATA_DIR": str(tmp_path / "instance"),
           "REGISTRY_LOG_LEVEL": "WARNING"}

    def run(*args: str, **extra_env: str):
        return CliRunner(env={**env, **extra_env}).invoke(main, list(args), catch_exceptions=False)

    return run


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_body(cli, body_id: str = "cesi", name: str = "China Electronics Standardization Institute"):
    result = cli("body", "add", body_id, name)
    assert result.exit_code == 0, result.output
    return result


def create_token(cli, *args: str) -> tuple[str, int]:
    """`registry token create ARGS`; returns the token and its id (from the note on stderr)."""
    result = cli("token", "create", *args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and result.stdout == lines[0] + "\n", result.stdout
    assert TOKEN.match(lines[0]), lines[0]
    token_id = re.search(r"token (\d+) created", result.stderr)
    assert token_id, result.stderr
    return lines[0], int(token_id.group(1))


def example_draft() -> bytes:
    return (STANDARDS / "2-02-38-03" / "1.1.yaml").read_bytes()


def post_draft(client, headers: dict):
    return client.post(f"{API}/drafts", data=example_draft(), headers={**headers, "Content-Type": "application/yaml"})


# --- bodies -----------------------------------------------------------------------------------


def test_body_add(cli, client):
    result = add_body(cli)
    assert result.stdout == "body cesi added\n"
    token, _ = create_token(cli, "--body", "cesi")
    draft = post_draft(client, bearer(token))
    assert draft.status_code == 201, draft.get_data(as_text=True)
    assert draft.get_json()["body"] == "cesi"


def test_adding_a_body_twice_fails(cli):
    add_body(cli)
    result = cli("body", "add", "cesi", "Another name")
    assert result.exit_code == 1
    assert "cesi" in result.stderr and "already exists" in result.stderr
    assert result.stdout == ""


def test_body_add_needs_an_id_and_a_name(cli):
    assert cli("body", "add", "cesi").exit_code == 2


# --- tokens -----------------------------------------------------------------------------------


def test_a_body_token_is_printed_once_and_works(cli, client):
    add_body(cli)
    token, token_id = create_token(cli, "--body", "cesi")
    assert token_id >= 1
    response = client.get(f"{API}/drafts", headers=bearer(token))
    assert response.status_code == 200 and response.get_json() == {"items": []}
    created = post_draft(client, bearer(token))
    assert created.status_code == 201
    assert created.get_json()["created_by"] == "body:cesi"
    # a body member may not approve: the token carries the body member's role, not more
    submitted = client.post(f"{API}/drafts/{created.get_json()['id']}/submit", headers=bearer(token))
    assert submitted.status_code == 200
    approve = client.post(f"{API}/drafts/{created.get_json()['id']}/approve", headers=bearer(token))
    assert approve.status_code == 403


def test_a_registrar_token_is_printed_once_and_works(cli, client):
    add_body(cli)
    body_token, _ = create_token(cli, "--body", "cesi")
    token, _ = create_token(cli, "--registrar", "wang")
    draft_id = post_draft(client, bearer(body_token)).get_json()["id"]
    assert client.post(f"{API}/drafts/{draft_id}/submit", headers=bearer(body_token)).status_code == 200
    listed = client.get(f"{API}/drafts", headers=bearer(token))
    assert listed.status_code == 200 and [d["id"] for d in listed.get_json()["items"]] == [draft_id]
    approved = client.post(f"{API}/drafts/{draft_id}/approve", headers=bearer(token))
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    events = client.get(f"{API}/audit", query_string={"draft_id": draft_id}).get_json()["items"]
    assert events[-1]["actor"] == "registrar:wang"
    # a registrar drafts nothing
    assert post_draft(client, bearer(token)).status_code == 403


def test_each_token_is_new(cli):
    add_body(cli)
    first, first_id = create_token(cli, "--body", "cesi")
    second, second_id = create_token(cli, "--body", "cesi")
    assert first != second and first_id != second_id


def public_part(token: str) -> str:
    """osr_<public id>: the part of a token `token list` shows."""
    public_id, _, secret = token[len("osr_"):].partition("_")
    assert public_id and secret, token
    return f"osr_{public_id}"


def secret_part(token: str) -> str:
    return token[len(public_part(token)) + 1:]


def test_token_list_never_prints_a_token(cli):
    add_body(cli)
    body_token, body_id = create_token(cli, "--body", "cesi")
    registrar_token, registrar_id = create_token(cli, "--registrar", "wang")
    result = cli("token", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line, token, token_id, account in ((lines[0], body_token, body_id, "body:cesi"),
                                           (lines[1], registrar_token, registrar_id, "registrar:wang")):
        assert line.split()[:2] == [str(token_id), public_part(token)]  # the prefix, to tell tokens apart
        assert account in line and "active" in line
    for token in (body_token, registrar_token):
        assert token not in result.output
        assert secret_part(token)[:8] not in result.output


def test_the_catalog_keeps_the_public_id_and_only_a_hash_of_the_secret(cli, engine):
    import hashlib

    from registry.db import read_session
    from registry.models import ApiToken

    add_body(cli)
    token, token_id = create_token(cli, "--body", "cesi")
    with read_session(engine) as session:
        row = session.get(ApiToken, token_id)
    stored = " ".join(str(value) for value in row.model_dump().values())
    assert public_part(token) == f"osr_{row.public_id}"
    assert row.secret_hash == hashlib.sha256(secret_part(token).encode()).hexdigest()
    assert secret_part(token)[:6] not in stored  # not even a few characters of the secret in clear


def test_a_token_needs_its_own_secret(cli, client):
    add_body(cli)
    token, _ = create_token(cli, "--body", "cesi")
    other, _ = create_token(cli, "--body", "cesi")
    assert client.get(f"{API}/drafts", headers=bearer(token)).status_code == 200
    secret = secret_part(token)
    forged = [f"{public_part(token)}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}",  # one character off
              f"{public_part(token)}_{secret_part(other)}",  # another token's secret
              f"{public_part(other)}_{secret}",  # this secret under another id
              public_part(token)]  # the listed prefix alone
    for attempt in forged:
        assert client.get(f"{API}/drafts", headers=bearer(attempt)).status_code == 401, attempt


def token_reference(how: str, token: str, token_id: int) -> str:
    return {"whole": token, "id": str(token_id), "prefix": public_part(token)}[how]


@pytest.mark.parametrize("how", ["whole", "id", "prefix"])
def test_a_revoked_token_gets_401(cli, client, how):
    add_body(cli)
    token, token_id = create_token(cli, "--body", "cesi")
    assert client.get(f"{API}/drafts", headers=bearer(token)).status_code == 200
    result = cli("token", "revoke", token_reference(how, token, token_id))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"token {token_id} revoked\n"
    response = client.get(f"{API}/drafts", headers=bearer(token))
    assert response.status_code == 401
    assert set(response.get_json()["error"]) == {"code", "message", "details"}
    assert post_draft(client, bearer(token)).status_code == 401
    (line,) = cli("token", "list").stdout.splitlines()
    assert "revoked" in line and "active" not in line


def test_revoking_one_token_leaves_the_others(cli, client):
    add_body(cli)
    kept, _ = create_token(cli, "--body", "cesi")
    revoked, revoked_id = create_token(cli, "--body", "cesi")
    assert cli("token", "revoke", str(revoked_id)).exit_code == 0
    assert client.get(f"{API}/drafts", headers=bearer(revoked)).status_code == 401
    assert client.get(f"{API}/drafts", headers=bearer(kept)).status_code == 200


def test_revoking_an_unknown_or_revoked_token_fails(cli):
    add_body(cli)
    token, token_id = create_token(cli, "--body", "cesi")
    for reference in ("999", "osr_unknown", "osr_" + "x" * 40):
        result = cli("token", "revoke", reference)
        assert result.exit_code == 1, reference
        assert result.stderr.startswith("error: ") and result.stdout == ""
    assert cli("token", "revoke", str(token_id)).exit_code == 0
    again = cli("token", "revoke", token)
    assert again.exit_code == 1 and "error: " in again.stderr


@pytest.mark.parametrize("args", [[], ["--body", "cesi", "--registrar", "wang"]])
def test_token_create_needs_exactly_one_of_body_and_registrar(cli, args):
    add_body(cli)
    result = cli("token", "create", *args)
    assert result.exit_code == 2
    assert "exactly one of --body and --registrar" in result.stderr
    assert result.stdout == ""
    assert cli("token", "list").stdout == ""


def test_a_token_for_an_unknown_body_fails(cli):
    result = cli("token", "create", "--body", "nope")
    assert result.exit_code == 1
    assert "no body 'nope'" in result.stderr
    assert result.stdout == ""
    assert cli("token", "list").stdout == ""


# --- loading the corpus -----------------------------------------------------------------------

CORPUS = ("2-02-38-01/1.0.yaml", "4-04-05-05/1.0.yaml")


@pytest.fixture
def folder(tmp_path):
    """A temporary copy of two standards, in the corpus layout <code>/<version>.yaml."""
    root = tmp_path / "standards"
    for name in CORPUS:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((STANDARDS / name).read_bytes())
    return root


def test_load_publishes_the_files(cli, client, folder):
    result = cli("load", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 published\n"
    listing = client.get(f"{API}/standards").get_json()
    assert [item["code"] for item in listing["items"]] == ["2-02-38-01", "4-04-05-05"]
    for name in CORPUS:
        code, version = name[:-len(".yaml")].split("/")
        source = client.get(f"{API}/standards/{code}/versions/{version}/source")
        assert source.status_code == 200 and source.data == (STANDARDS / name).read_bytes()


def test_loading_again_changes_nothing(cli, client, folder):
    assert cli("load", str(folder)).exit_code == 0
    before = client.get(f"{API}/audit").get_json()["items"]
    result = cli("load", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 unchanged\n"
    assert client.get(f"{API}/audit").get_json()["items"] == before


def test_a_modified_file_under_a_published_version_is_refused(cli, client, folder):
    assert cli("load", str(folder)).exit_code == 0
    changed = folder / "4-04-05-05" / "1.0.yaml"
    original = changed.read_bytes()
    assert original.count(b"\nedition: ") == 1
    changed.write_bytes(re.sub(rb"\nedition: (\d+)", lambda m: b"\nedition: " + str(int(m[1]) + 1).encode(),
                               original))
    result = cli("load", str(folder))
    assert result.exit_code == 1
    assert str(changed) in result.stderr and "refused" in result.stderr
    assert "already published with different content" in result.stderr
    assert result.stdout == "1 refused, 1 unchanged\n"
    stored = client.get(f"{API}/standards/4-04-05-05/versions/1.0/source")
    assert stored.data == original


def test_an_invalid_file_is_reported_and_fails_the_load(cli, client, folder):
    broken = folder / "2-02-38-01" / "1.0.yaml"
    broken.write_bytes(broken.read_bytes().replace(b'\nversion: "1.0"', b'\nversion: "one"'))
    result = cli("load", str(folder))
    assert result.exit_code == 1
    assert str(broken) in result.stderr and "invalid" in result.stderr
    assert result.stdout == "1 invalid, 1 published\n"
    assert [i["code"] for i in client.get(f"{API}/standards").get_json()["items"]] == ["4-04-05-05"]


def test_load_uses_the_standards_dir_setting(cli, folder):
    result = cli("load", REGISTRY_STANDARDS_DIR=str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 published\n"


def test_db_upgrade_is_idempotent(cli):
    for _ in range(2):
        result = cli("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert result.stdout == "catalog is up to date\n"


# --- serving ----------------------------------------------------------------------------------


@pytest.fixture
def dev_server(monkeypatch):
    """`registry serve --dev` without a server: records what would be served and which apps were built."""
    import werkzeug.serving

    import registry

    served, built = [], []
    monkeypatch.setattr(werkzeug.serving, "run_simple",
                        lambda host, port, application, **options: served.append((application, options)))
    create_app = registry.create_app

    def counting_create_app(*args, **kwargs):
        built.append(create_app(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(registry, "create_app", counting_create_app)
    yield served, built
    for application in built:
        close_app(application)


def test_serve_dev_prepares_the_catalog_once_in_the_reloaders_parent(cli, client, folder, dev_server):
    served, built = dev_server
    result = cli("serve", "--dev", REGISTRY_STANDARDS_DIR=str(folder), REGISTRY_RENDER_WARM="0")
    assert result.exit_code == 0, result.output
    assert [item["code"] for item in client.get(f"{API}/standards").get_json()["items"]] == ["2-02-38-01",
                                                                                         "4-04-05-05"]
    assert built == []  # the parent only watches files: no app, no warm PDF renderer
    ((_, options),) = served
    assert options["use_reloader"] is True


def test_serve_dev_serves_in_the_reloaders_child_without_preparing_again(cli, client, folder, dev_server):
    served, built = dev_server
    result = cli("serve", "--dev", REGISTRY_STANDARDS_DIR=str(folder), REGISTRY_RENDER_WARM="0",
                 REGISTRY_SEARCH_CHECK_ON_START="0", WERKZEUG_RUN_MAIN="true", WERKZEUG_SERVER_FD="3")
    assert result.exit_code == 0, result.output
    assert client.get(f"{API}/standards").get_json()["items"] == []  # the parent loads, not the child
    ((application, _),) = served
    assert built == [application] and application.debug


def test_serve_loads_the_corpus_and_serves_with_gunicorn_workers(db_url, tmp_path, folder):
    """`registry serve` (what `make serve` runs), as a real process: it loads the corpus and builds the
    search index, saying so, then becomes a gunicorn master with the workers asked for, answering on
    the port given; once ready it prints the address for each kind of user, and a first start logs
    no warning."""
    import json
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "REGISTRY_DATABASE_URL": db_url, "REGISTRY_DATA_DIR": str(tmp_path / "instance"),
           "REGISTRY_EXPORTS_DIR": str(tmp_path / "exports"), "REGISTRY_STANDARDS_DIR": str(folder),
           "REGISTRY_RENDER_WARM": "0", "REGISTRY_LOG_LEVEL": "WARNING"}
    script = Path(sys.executable).with_name("registry")
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen([str(script), "serve", "--port", str(port), "--workers", "2"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True)
    try:
        deadline, codes = time.monotonic() + 60, None
        while time.monotonic() < deadline and codes is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{API}/standards", timeout=2) as response:
                    codes = [item["code"] for item in json.load(response)["items"]]
            except OSError:
                assert server.poll() is None, log.read_text()[-2000:]
                time.sleep(0.2)
        assert codes == ["2-02-38-01", "4-04-05-05"]
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        assert b"gunicorn" in command  # the registry process became gunicorn's master (exec)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) == 2
        deadline = time.monotonic() + 60
        while "ready:" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        printed = log.read_text()
        base = f"http://127.0.0.1:{port}"
        for path in ("/", "/portal/", "/review/", "/api/v1/openapi.json"):
            assert f"  {base}{path}\n" in printed, printed
        assert "catalog: 2 versions" in printed and "search: the index is missing" in printed, printed
        assert " documents indexed (" in printed, printed
        assert "WARNING" not in printed and "alembic" not in printed, printed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
