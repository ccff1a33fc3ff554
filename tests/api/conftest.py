"""What the JSON API's tests share: sample documents, request helpers and the bodies' tokens."""

from __future__ import annotations

import pytest

from ..conftest import STANDARDS, close_app, make_test_app

API = "/api/v1"
CODE = "2-02-38-03"  # published in the corpus as 1.0 and 1.1
SAMPLE = STANDARDS / CODE / "1.1.yaml"
YAML = "application/yaml"

OLD_TEXT = "能使用数据库导出、接口调用等方式从业务系统采集结构化数据。".encode()
NEW_TEXT = "能使用数据库导出、应用程序接口调用等方式从业务系统采集结构化数据。".encode()


# --- documents --------------------------------------------------------------------------------


def versioned(version: str, source: bytes | None = None) -> bytes:
    source = SAMPLE.read_bytes() if source is None else source
    assert b'\nversion: "1.1"' in source
    return source.replace(b'\nversion: "1.1"', f'\nversion: "{version}"'.encode(), 1)


def reworded(version: str = "1.2") -> bytes:
    """A minor revision: one requirement's master text reworded."""
    source = versioned(version)
    assert source.count(OLD_TEXT) == 1
    return source.replace(OLD_TEXT, NEW_TEXT)


def without_requirement(version: str = "1.2") -> bytes:
    """A major revision: the last requirement of the first work content (R-J-gather-4) removed."""
    lines = versioned(version).splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if line.strip() == b"- id: R-J-gather-4")
    assert lines[start + 5].strip().startswith(b"knowledge:")
    return b"".join(lines[:start] + lines[start + 5:])


def invalid_document() -> bytes:
    return versioned("1.2").replace(b"edition: 2022", b"edition: twenty")


# --- requests ---------------------------------------------------------------------------------


def url(path: str) -> str:
    return API + path


def post_yaml(client, path: str, source: bytes, headers: dict | None = None):
    return client.post(url(path), data=source, headers={**(headers or {}), "Content-Type": YAML})


def put_yaml(client, path: str, source: bytes, headers: dict, if_match: str | None = None):
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.put(url(path), data=source, headers={**headers, **extra, "Content-Type": YAML})


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is a JSON error with the envelope {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:500]
    payload = response.get_json()
    assert set(payload) == {"error"}
    error = payload["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:1000])
    return response.get_json()


def create_draft(client, headers: dict, source: bytes) -> dict:
    return ok(post_yaml(client, "/drafts", source, headers), 201)


def step(client, draft_id: int, action: str, headers: dict, json: dict | None = None):
    return client.post(url(f"/drafts/{draft_id}/{action}"), headers=headers, json=json)


def draft_in(client, state: str, body: dict, registrar: dict, source: bytes) -> int:
    """A draft of ``body`` brought to ``state`` (draft, submitted or approved); returns its id."""
    draft_id = create_draft(client, body, source)["id"]
    if state in ("submitted", "approved"):
        assert ok(step(client, draft_id, "submit", body))["status"] == "submitted"
    if state == "approved":
        assert ok(step(client, draft_id, "approve", registrar))["status"] == "approved"
    return draft_id


def publish(client, draft_id: int, registrar: dict, bump_reason: str | None = None):
    return step(client, draft_id, "publish", registrar, json={"bump_reason": bump_reason} if bump_reason else None)


def publish_json(client, draft_id: int, registrar: dict, payload: dict):
    return step(client, draft_id, "publish", registrar, json=payload)


def statuses(client, code: str) -> dict[str, str]:
    return {v["version"]: v["status"] for v in ok(client.get(url(f"/standards/{code}")))["versions"]}


def audit(client, **params) -> list[dict]:
    return ok(client.get(url("/audit"), query_string=params))["items"]


def transitions(events: list[dict]) -> list[tuple]:
    return [(e["action"], e["from_state"], e["to_state"]) for e in events]


def corpus_codes() -> list[str]:
    return sorted({path.parent.name for path in STANDARDS.rglob("*.yaml")})


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def cesi(tokens) -> dict:
    return tokens.body("cesi", "China Electronics Standardization Institute", keeps=(CODE,))


@pytest.fixture
def other_body(tokens) -> dict:
    return tokens.body("caict", "China Academy of Information and Communications Technology")


@pytest.fixture
def registrar(tokens) -> dict:
    return tokens.registrar("wang")


@pytest.fixture
def make_app(db_url, tmp_path):
    """Builds extra apps on the test's catalog, as the ``app`` fixture does, with more settings."""
    made = []

    def build(**overrides):
        application = make_test_app(db_url, tmp_path, **overrides)
        made.append(application)
        return application

    yield build
    for application in made:
        close_app(application)
