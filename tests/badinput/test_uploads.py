"""Bad uploads: bodies over the size limit, with and without Content-Length (threats.md item 45)."""

from __future__ import annotations

import io

import pytest

from tests.api.conftest import SAMPLE, versioned

from .conftest import assert_refused, check_response, counts

LIMIT = 256 * 1024  # the module's app: MAX_UPLOAD_BYTES
CHUNKED = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}  # how gunicorn hands on a chunked body


def oversized() -> bytes:
    """A valid standard followed by a YAML comment that takes it over the limit."""
    source = versioned("1.2")
    return source + b"\n#" + b"x" * (LIMIT - len(source) + 10) + b"\n"


CASES = [
    # (what is sent, path, with a token, chunked)
    ("validate, chunked, over the limit", "/api/v1/validate", False, True),
    ("validate, Content-Length over the limit", "/api/v1/validate", False, False),
    ("draft, chunked, over the limit", "/api/v1/drafts", True, True),
    ("draft, Content-Length over the limit", "/api/v1/drafts", True, False),
    ("lint, chunked, over the limit", "/api/v1/lint", False, True),
]


@pytest.mark.parametrize("what, path, with_token, chunked", CASES, ids=[c[0] for c in CASES])
def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_stored(bad_app, bad_client, body_token, what, path,
                                                                          with_token, chunked):
    body = oversized()
    before = counts(bad_app)
    response = bad_client.post(path, input_stream=io.BytesIO(body),
                               headers={"Content-Type": "application/yaml", **(body_token if with_token else {})},
                               environ_overrides=CHUNKED if chunked else None)
    assert_refused(response, 413, "payload_too_large")
    check_response(response, sent=len(body), authenticated=with_token)
    assert counts(bad_app) == before


def test_a_chunked_body_within_the_limit_is_read_whole(bad_client):
    source = SAMPLE.read_bytes()
    response = bad_client.post("/api/v1/validate", input_stream=io.BytesIO(source),
                               headers={"Content-Type": "application/yaml"}, environ_overrides=CHUNKED)
    assert response.status_code == 200 and response.get_json()["valid"] is True, response.get_data(as_text=True)[:300]
