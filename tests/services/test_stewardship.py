"""Keepers of standards: assigned and transferred by registrars (command line and web), audited, and
the only bodies whose drafts may change their standards. (The JSON API's side is in tests/api/test_access.py.)"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from registry.cli import main

from ..conftest import STANDARDS
from ..web_helpers import add_people, csrf, sign_in

CODE = "2-02-38-09"


@pytest.fixture
def cli(db_url, tmp_path):
    env = {"REGISTRY_DATABASE_URL": db_url, "REGISTRY_DATA_DIR": str(tmp_path / "instance"),
           "REGISTRY_EXPORTS_DIR": str(tmp_path / "exports"), "REGISTRY_LOG_LEVEL": "WARNING"}
    return lambda *args: CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def keeper(client, code: str = CODE):
    return client.get(f"/api/v1/standards/{code}").get_json()["body"]


def test_registry_standard_assign_sets_and_transfers_the_keeper(cli, client, corpus):
    assert cli("body", "add", "cesi", "China Electronics Standardization Institute").exit_code == 0
    assert cli("body", "add", "caict", "China Academy of ICT").exit_code == 0
    assert keeper(client) is None  # a corpus loads without keepers
    result = cli("standard", "assign", CODE, "cesi")
    assert result.exit_code == 0 and f"standard {CODE} is kept by cesi" in result.output
    assert keeper(client) == "cesi"
    assert cli("standard", "assign", CODE, "caict").exit_code == 0
    assert keeper(client) == "caict"
    events = [e["details"] for e in client.get(f"/api/v1/audit?code={CODE}").get_json()["items"]
              if e["action"] == "assign"]
    assert events == [{"keeper": "cesi", "previous": None}, {"keeper": "caict", "previous": "cesi"}]
    refused = cli("standard", "assign", CODE, "nobody")
    assert refused.exit_code == 1 and "no standards body 'nobody'" in refused.output
    assert cli("standard", "assign", "9-99-99-99", "cesi").exit_code == 1
    assert keeper(client) == "caict"


def test_registry_standard_status_says_what_is_in_force_on_a_day(cli, corpus):
    result = cli("standard", "status", "4-04-05-05", "--as-of", "2024-01-01")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "4-04-05-05 on 2024-01-01: version 1.0 in force; kept by nobody yet"
    assert "1.0     in-force" in lines[1] and "-> 2.0 from 2025-07-01" in lines[1]
    assert "2.0     upcoming" in lines[2]


def test_a_registrar_assigns_a_keeper_on_the_web(client, engine, corpus):
    from registry.db import write_session
    from registry.services import accounts

    people = add_people(engine, "body-a")
    with write_session(engine) as session:
        accounts.add_body(session, "body-b", "Body B")
    sign_in(client, people["registrar"])
    form = client.get(f"/review/standards/{CODE}/keeper")
    assert form.status_code == 200 and 'name="body"' in form.get_data(as_text=True)
    token = csrf(client, f"/review/standards/{CODE}/keeper")
    done = client.post(f"/review/standards/{CODE}/keeper", data={"csrf_token": token, "body": "body-b"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/standards/{CODE}")
    assert "Kept by Body B (body-b)" in client.get(f"/standards/{CODE}").get_data(as_text=True)
    refused = client.post(f"/review/standards/{CODE}/keeper", data={"csrf_token": token, "body": "nobody"})
    assert refused.status_code == 404 and "no standards body" in refused.get_data(as_text=True)
    assert keeper(client) == "body-b"


def test_only_registrars_see_the_keeper_page(client, engine, corpus):
    people = add_people(engine, "body-a")
    assert client.get(f"/review/standards/{CODE}/keeper").status_code in (302, 401)  # to the sign-in page
    sign_in(client, people["body"])
    assert client.get(f"/review/standards/{CODE}/keeper").status_code == 403


def test_a_body_cannot_draft_a_standard_nobody_assigned_to_it(client, engine, corpus):
    people = add_people(engine, "body-a")
    sign_in(client, people["body"])
    source = (STANDARDS / CODE / "1.0.yaml").read_text("utf-8").replace('\nversion: "1.0"', '\nversion: "1.1"', 1)
    refused = client.post("/portal/drafts/new", data={"source": source,
                                                      "csrf_token": csrf(client, "/portal/drafts/new")})
    assert refused.status_code == 403
    assert "has no keeper yet" in refused.get_data(as_text=True)
    assert client.get("/api/v1/audit", query_string={"code": CODE}).get_json()["items"][-1]["action"] == "publish"
