"""`make audit` (scripts/audit-deps): the locked set checked against known vulnerabilities.

The live source (pip-audit) is replaced here by what it answers where PyPI's per-release API is out
of reach: every package "not found". The offline snapshot must then find what is known.
"""

from __future__ import annotations

import importlib.util
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit-deps"


@pytest.fixture
def audit_deps():
    loader = SourceFileLoader("audit_deps", str(SCRIPT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("audit_deps", loader))
    loader.exec_module(module)
    return module


def test_the_locked_set_is_pinned_and_covered_by_the_snapshot(audit_deps):
    import json

    locked = audit_deps.pins()
    snapshot = json.loads(audit_deps.SNAPSHOT.read_text("utf-8"))
    assert {"flask", "jinja2", "werkzeug", "weasyprint", "pip", "setuptools"} <= set(locked)
    assert all(version[0].isdigit() for version in locked.values())
    assert set(locked) <= set(snapshot["packages"])
    assert {"jinja2", "werkzeug", "pillow"} <= set(snapshot["with_advisories"])


def test_a_new_pin_needs_a_refreshed_snapshot_only_when_the_database_knows_advisories_for_it(
        audit_deps, monkeypatch, capsys):
    locked = {**audit_deps.pins(), "urllib3": "2.8.0", "no-advisory-ever": "1.0"}
    snapshot = audit_deps.json.loads(audit_deps.SNAPSHOT.read_text("utf-8"))
    snapshot["packages"].remove("urllib3")
    monkeypatch.setattr(audit_deps.json, "loads", lambda text: snapshot)
    monkeypatch.setattr(audit_deps, "pins", lambda: locked)
    monkeypatch.setattr(audit_deps, "installed", lambda: set(locked))
    monkeypatch.setattr(audit_deps, "run_pip_audit", lambda: ({}, set(locked), "all not found"))
    assert audit_deps.audit() == 1
    printed = capsys.readouterr().err
    assert "the snapshot leaves out the advisories of urllib3;" in printed and "no-advisory-ever" not in printed


def test_a_package_installed_without_a_pin_fails_the_audit(audit_deps, monkeypatch, capsys):
    monkeypatch.setattr(audit_deps, "installed", lambda: set(audit_deps.pins()) | {"locust"})
    monkeypatch.setattr(audit_deps, "run_pip_audit", lambda: ({}, set(audit_deps.pins()), "all not found"))
    assert audit_deps.audit() == 1
    assert "installed but not in the locked set: locust; run `make lock`" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "version", "advisory"), [
    ("jinja2", "2.10", "PYSEC-2019-217"),       # sandbox escape, fixed in 2.10.1
    ("werkzeug", "2.2.2", "PYSEC-2023-58"),     # fixed in 2.2.3
    ("pillow", "9.0.0", "PYSEC-2022-42979"),    # fixed in 9.2.0
])
def test_a_vulnerable_pin_fails_the_audit_with_its_advisory(audit_deps, monkeypatch, capsys, name, version, advisory):
    locked = {**audit_deps.pins(), name: version}
    monkeypatch.setattr(audit_deps, "pins", lambda: locked)
    monkeypatch.setattr(audit_deps, "run_pip_audit", lambda: ({}, set(locked), "all not found"))
    assert audit_deps.audit() == 1
    printed = capsys.readouterr().err
    assert f"{name}=={version}: {advisory}" in printed and "FAILED" in printed


def test_the_locked_versions_pass(audit_deps, monkeypatch, capsys):
    """The locked set itself (what `make install` installs: a virtualenv with more, say the bench extra,
    fails `make audit` for those: test_a_package_installed_without_a_pin_fails_the_audit)."""
    monkeypatch.setattr(audit_deps, "installed", lambda: set(audit_deps.pins()))
    monkeypatch.setattr(audit_deps, "run_pip_audit", lambda: ({}, set(audit_deps.pins()), "all not found"))
    assert audit_deps.audit() == 0
    assert "offline snapshot of the PyPA advisory database of 2024-10-10" in capsys.readouterr().err


def test_ranges_follow_the_osv_rules(audit_deps):
    advisory = {"ranges": [[{"introduced": "0"}, {"fixed": "1.2"}], [{"introduced": "2.0"}, {"last_affected": "2.1"}]],
                "versions": ["3.0rc1"]}
    assert [audit_deps.affected(v, advisory) for v in ("0.9", "1.2", "1.5", "2.0", "2.1", "2.2", "3.0rc1")] == \
        [True, False, False, True, True, False, True]
