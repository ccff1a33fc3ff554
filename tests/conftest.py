from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STANDARDS = ROOT / "standards"
VALID = ROOT / "tests" / "data" / "valid"
INVALID = ROOT / "tests" / "data" / "invalid"


@pytest.fixture
def example_bytes() -> bytes:
    return (VALID / "example.yaml").read_bytes()
