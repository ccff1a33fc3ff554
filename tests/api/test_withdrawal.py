"""Withdrawing a published version through the JSON API."""

from __future__ import annotations

import pytest

from ..conftest import STANDARDS
from .conftest import CODE, assert_error, audit, ok, statuses, url

# --- withdrawal -----------------------------------------------------------------------------------


def test_a_registrar_withdraws_a_version_with_a_reason(client, corpus, registrar):
    reason = "replaced by a regional pilot standard"
    body = ok(client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar,
                          json={"reason": reason}))
    assert (body["status"], body["withdrawn_reason"]) == ("withdrawn", reason)
    (version,) = ok(client.get(url("/standards/2-02-38-09")))["versions"]
    assert (version["status"], version["withdrawn_reason"]) == ("withdrawn", reason)
    assert [i["code"] for i in ok(client.get(url("/standards?status=withdrawn")))["items"]] == ["2-02-38-09"]
    # no version is in force now: latest says so through the standard, never a 404 for it
    latest = client.get(url("/standards/2-02-38-09/latest"))
    assert latest.status_code == 302 and latest.headers["Location"].endswith(url("/standards/2-02-38-09"))
    assert ok(client.get(url("/standards/2-02-38-09/latest"), follow_redirects=True))["in_force"] is None
    (event,) = [e for e in audit(client, code="2-02-38-09") if e["action"] == "withdraw"]
    assert (event["actor"], event["version"], event["from_state"], event["to_state"]) == (
        "registrar:wang", "1.0", "published", "withdrawn")
    # the bytes stay readable: a withdrawn version is history, not deleted
    assert client.get(url("/standards/2-02-38-09/versions/1.0/source")).data == (
        STANDARDS / "2-02-38-09" / "1.0.yaml").read_bytes()


def test_withdrawing_twice_is_409(client, corpus, registrar):
    path = url("/standards/2-02-38-09/versions/1.0/withdraw")
    ok(client.post(path, headers=registrar, json={"reason": "replaced"}))
    assert_error(client.post(path, headers=registrar, json={"reason": "again"}), 409, "invalid_transition")


def test_a_superseded_version_can_be_withdrawn(client, corpus, registrar):
    ok(client.post(url("/standards/4-04-05-05/versions/1.0/withdraw"), headers=registrar,
                   json={"reason": "contains an error"}))
    assert statuses(client, "4-04-05-05") == {"1.0": "withdrawn", "2.0": "in-force"}


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 7}])
def test_a_withdrawal_without_a_reason_is_400(client, corpus, registrar, payload):
    response = client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar, json=payload)
    assert assert_error(response, 400, "bad_request")["details"] == {"field": "reason"}
    assert statuses(client, "2-02-38-09") == {"1.0": "in-force"}


def test_a_withdrawal_with_no_body_at_all_is_400(client, corpus, registrar):
    response = client.post(url("/standards/2-02-38-09/versions/1.0/withdraw"), headers=registrar)
    assert_error(response, 400, "bad_request")
    assert statuses(client, "2-02-38-09") == {"1.0": "in-force"}


def test_withdrawing_an_unknown_version_is_404(client, corpus, registrar):
    assert_error(client.post(url(f"/standards/{CODE}/versions/9.9/withdraw"), headers=registrar,
                             json={"reason": "x"}), 404, "not_found")
